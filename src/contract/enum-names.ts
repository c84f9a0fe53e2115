/**
 * How enum values are spelt on the wire. The contract names them
 * KEY_STATE_ENABLED (buf STANDARD), Tencent's API names them Enabled or
 * ENCRYPT_DECRYPT, and the README uses Tencent's: every transport accepts
 * all of these, and the API 3.0 gateway answers in Tencent's.
 */
import type { DescEnum, DescEnumValue } from "@bufbuild/protobuf";
import type { ErrorCode } from "../errors.js";

/** Enums whose values Tencent spells in PascalCase ("PendingDelete"); the rest keep UPPER_SNAKE ("ENCRYPT_DECRYPT"). */
const PASCAL_ENUMS = new Set(["kms.v1.KeyState", "kms.v1.WhiteBoxKeyStatus", "kms.v1.DataKeyState", "ssm.v1.SecretStatus", "ssm.v1.SecretVersionState"]);

/** Enums whose unknown values have a type-specific code (else InvalidParameterValue). */
const UNKNOWN_VALUE_CODES: Readonly<Record<string, ErrorCode>> = {
  "kms.v1.KeyUsage": "InvalidParameterValue.InvalidKeyUsage",
};

function pascal(localName: string): string {
  return localName
    .toLowerCase()
    .split("_")
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join("");
}

/** Tencent's spelling of a value ("Enabled", "ENCRYPT_DECRYPT"). */
export function apiEnumName(e: DescEnum, v: DescEnumValue): string {
  return PASCAL_ENUMS.has(e.typeName) ? pascal(v.localName) : v.localName;
}

/**
 * The value a caller named: the contract's name (KEY_USAGE_ENCRYPT_DECRYPT),
 * Tencent's spelling (ENCRYPT_DECRYPT, Enabled), or the value's own name in
 * either case convention. The zero (_UNSPECIFIED) value is never named.
 */
export function enumValueNamed(e: DescEnum, text: string): DescEnumValue | undefined {
  for (const v of e.values) {
    if (v.number === 0) continue;
    if (text === v.name || text === v.localName || text === pascal(v.localName)) return v;
  }
  return undefined;
}

/** The code for a value this enum does not have. */
export function unknownEnumValueCode(e: DescEnum): ErrorCode {
  return UNKNOWN_VALUE_CODES[e.typeName] ?? "InvalidParameterValue";
}
