/**
 * Passwords for product accounts, from the OS CSPRNG (crypto.randomInt:
 * uniform, no modulo bias). 32 characters with at least one upper-case
 * letter, lower-case letter, digit and symbol, so MariaDB's
 * simple_password_check and cracklib-style policies accept them; the symbols
 * exclude quotes, backslash, backtick and space, so a password is a plain SQL
 * string literal and survives shells and connection URLs.
 */
import { randomInt } from "node:crypto";

const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const LOWER = "abcdefghijklmnopqrstuvwxyz";
const DIGITS = "0123456789";
const SYMBOLS = "!#$%&*+-=?@^_";
const ALPHABET = UPPER + LOWER + DIGITS + SYMBOLS;
const CLASSES = [UPPER, LOWER, DIGITS, SYMBOLS];

export const PASSWORD_LENGTH = 32;

export function generatePassword(length = PASSWORD_LENGTH): string {
  if (length < CLASSES.length) throw new Error("a password needs room for every character class");
  for (;;) {
    let out = "";
    for (let i = 0; i < length; i++) out += ALPHABET[randomInt(ALPHABET.length)];
    // Rejection keeps the distribution uniform over the passwords that have every class (a miss is rare at 32 characters).
    if (CLASSES.every((cls) => [...out].some((c) => cls.includes(c)))) return out;
  }
}
