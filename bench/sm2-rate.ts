/**
 * Operations per second on one core for the SM2 module, next to sm-crypto-v2
 * and `openssl speed sm2`. Not a test; run by hand:
 *   npx tsx bench/sm2-rate.ts
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { sm2 as smCrypto } from "sm-crypto-v2";
import {
  createSm2Decrypter,
  createSm2Encrypter,
  createSm2Signer,
  createSm2Verifier,
  generateSm2KeyPair,
  sm2PrivateKeyFromPkcs8,
  sm2Verify,
} from "../src/crypto/asymmetric/sm2.js";
import { opsPerSecond } from "./rate.js";

const SECONDS = Number(process.env["SECONDS"] ?? 3);

const rate = (op: () => unknown): number => opsPerSecond(op, SECONDS);

function report(name: string, op: () => unknown): void {
  console.log(`${name.padEnd(52)} ${rate(op).toFixed(0).padStart(8)} ops/s`);
}

const message = randomBytes(64);
const plaintext = randomBytes(32);

// Ours.
const pair = generateSm2KeyPair();
const signer = createSm2Signer(pair.privateKey);
const verifier = createSm2Verifier(pair.publicKeySpki);
const encrypter = createSm2Encrypter(pair.publicKeySpki);
const decrypter = createSm2Decrypter(pair.privateKey);
const signature = signer.sign(message, "RAW");
const ciphertext = encrypter.encrypt(plaintext, "C1C3C2");
const ciphertextAsn1 = encrypter.encrypt(plaintext, "C1C3C2_ASN1");
if (!verifier.verify(message, signature, "RAW")) throw new Error("self-check failed");

// sm-crypto-v2 with the same key, given every shortcut it offers (public key passed, point precomputed).
const privateHex = sm2PrivateKeyFromPkcs8(pair.privateKey).d.toString(16).padStart(64, "0");
const publicHex = Buffer.from(sm2PrivateKeyFromPkcs8(pair.privateKey).publicKey.uncompressed).toString("hex");
const publicPoint = smCrypto.precomputePublicKey(publicHex);
const theirSignature = smCrypto.doSignature(message, privateHex, { hash: true, der: true, publicKey: publicHex });
const theirCiphertext = smCrypto.doEncrypt(plaintext, publicHex, 1);

console.log(`Node ${process.version}, OpenSSL ${process.versions.openssl}, ${SECONDS} s per operation, one core\n`);
report("ours   keygen", () => generateSm2KeyPair());
report("ours   sign (RAW, 64 B)", () => signer.sign(message, "RAW"));
report("ours   verify (RAW, 64 B)", () => verifier.verify(message, signature, "RAW"));
report("ours   encrypt (32 B, C1C3C2)", () => encrypter.encrypt(plaintext, "C1C3C2"));
report("ours   decrypt (32 B, C1C3C2)", () => decrypter.decrypt(ciphertext, "C1C3C2"));
report("ours   decrypt (32 B, C1C3C2_ASN1)", () => decrypter.decrypt(ciphertextAsn1, "C1C3C2_ASN1"));
report("ours   verify, fresh verifier each time (sm2Verify)", () => sm2Verify(pair.publicKeySpki, message, signature, "RAW"));
report("ours   encrypt, fresh encrypter each time", () => createSm2Encrypter(pair.publicKeySpki).encrypt(plaintext, "C1C3C2"));
report("ours   decrypt, fresh decrypter each time", () => createSm2Decrypter(pair.privateKey).decrypt(ciphertext, "C1C3C2"));
report("ours   createSm2Signer (parse PKCS#8, d·G, Z_A)", () => createSm2Signer(pair.privateKey));
report("sm-crypto-v2 sign (hash, der, publicKey given)", () =>
  smCrypto.doSignature(message, privateHex, { hash: true, der: true, publicKey: publicHex }),
);
report("sm-crypto-v2 sign (hash, der, public key recomputed)", () => smCrypto.doSignature(message, privateHex, { hash: true, der: true }));
report("sm-crypto-v2 verify (hash, der)", () => smCrypto.doVerifySignature(message, theirSignature, publicHex, { hash: true, der: true }));
report("sm-crypto-v2 verify (hash, der, precomputed point)", () =>
  smCrypto.doVerifySignature(message, theirSignature, publicPoint, { hash: true, der: true }),
);
report("sm-crypto-v2 encrypt (32 B, hex key)", () => smCrypto.doEncrypt(plaintext, publicHex, 1));
report("sm-crypto-v2 encrypt (32 B, precomputed point)", () => smCrypto.doEncrypt(plaintext, publicPoint, 1));
report("sm-crypto-v2 decrypt (32 B)", () => smCrypto.doDecrypt(theirCiphertext, privateHex, 1, { output: "array" }));

const seconds = Math.max(1, Math.round(SECONDS));
console.log(`\nopenssl speed -seconds ${seconds} sm2`);
const speed = execFileSync("openssl", ["speed", "-seconds", String(seconds), "sm2"], { stdio: ["ignore", "pipe", "ignore"] });
console.log(speed.toString().split("\n").filter((line) => /sign|SM2/.test(line)).join("\n"));
