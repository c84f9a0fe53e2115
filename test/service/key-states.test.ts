/**
 * The key state table, cell by cell: every action on a key in every state it
 * can be in, through the real actions over LevelDB. A cell is the state the
 * action leads to ("→ Disabled"), "ok" for a use that leaves the state as it
 * was, or the exact refusal code. A refusal must write nothing: the stored
 * record is compared before and after. The expected rows are written here
 * from Tencent's documentation, not read from src/keys/state.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MessageType } from "../../gen/kms/v1/kms_pb.js";
import type { KeyState } from "../../src/keys/key.js";
import { codeOf, importMaterial, keyIn, openService, type Flavor, type Service } from "./harness.js";

let s: Service;
beforeAll(async () => {
  s = await openService();
});
afterAll(() => s.close());

const NOT_SUPPORTED = "ResourceUnavailable.CmkStateNotSupport";
const DISABLED = "ResourceUnavailable.CmkDisabled";
const ARCHIVED = "ResourceUnavailable.CmkArchived";
const SHOULD_BE_DISABLED = "ResourceUnavailable.CmkShouldBeDisabled";
const NOT_PENDING_DELETE = "ResourceUnavailable.CmkNotPendingDelete";
const KEY_USAGE = "InvalidParameterValue.InvalidKeyUsage";
const NOT_EXTERNAL = "UnsupportedOperation.NotExternalCmk";
const CANNOT_ROTATE = "UnsupportedOperation.ExternalCmkCanNotRotate";

/** A column of the table: a kind of key in one state. */
type Column = `${Flavor} ${KeyState}`;
type Row = Partial<Record<Column, string>>;

/** Every key state once: generated symmetric keys, and an EXTERNAL key still waiting for its material. */
const EVERY_STATE: readonly Column[] = ["generated Enabled", "generated Disabled", "generated PendingDelete", "generated Archived", "external PendingImport"];
const EXTERNAL: readonly Column[] = ["external PendingImport", "external Enabled", "external Disabled", "external PendingDelete", "external Archived"];
const ASYMMETRIC: readonly Column[] = ["asymmetric Enabled", "asymmetric Disabled", "asymmetric PendingDelete", "asymmetric Archived"];

/** What a case gets: the key, and what was made while the key was still usable (a blob). */
interface Prepared {
  keyId: string;
  blob?: Uint8Array;
}

interface Case {
  /** Runs while the key is in its first state (Enabled or PendingImport). */
  before?: (keyId: string, into: Prepared) => Promise<void>;
  run: (p: Prepared) => Promise<unknown>;
  /** Whether a success is a state change ("→ State") rather than a use ("ok"). */
  transition?: boolean;
  expected: Row;
}

/** Runs a case on one column: a fresh key in that state. */
async function cell(column: Column, c: Case): Promise<string> {
  const [flavor, state] = column.split(" ") as [Flavor, KeyState];
  const prepared: Prepared = { keyId: "" };
  prepared.keyId = await keyIn(s, flavor, state, c.before && ((keyId) => c.before!(keyId, prepared)));
  const before = await s.record(prepared.keyId);
  const code = await codeOf(c.run(prepared));
  const after = await s.record(prepared.keyId);
  if (code !== "ok") {
    expect(after, `${column}: a refusal wrote nothing`).toEqual(before);
    return code;
  }
  if (c.transition) return `→ ${after.keyState}`;
  expect(after.keyState, `${column}: a use leaves the state`).toBe(before.keyState);
  return "ok";
}

/** The row as observed; each cell on its own key, so the cells run side by side. */
async function observe(c: Case): Promise<Row> {
  const cols = Object.keys(c.expected) as Column[];
  const got = await Promise.all(cols.map((column) => cell(column, c)));
  return Object.fromEntries(cols.map((column, i) => [column, got[i]]));
}

const columns = (cols: readonly Column[], value: string | ((column: Column) => string)): Row =>
  Object.fromEntries(cols.map((c) => [c, typeof value === "string" ? value : value(c)]));

const makeBlob = async (keyId: string, into: Prepared) => {
  into.blob = (await s.kms("encrypt", { keyId, plaintext: Buffer.from("state table") })).ciphertextBlob as Uint8Array;
};

const CASES: Record<string, Case> = {
  EnableKey: {
    run: ({ keyId }) => s.kms("enableKey", { keyId }),
    transition: true,
    expected: {
      "generated Enabled": "→ Enabled",
      "generated Disabled": "→ Enabled",
      "generated PendingDelete": NOT_SUPPORTED,
      "generated Archived": NOT_SUPPORTED,
      "external PendingImport": NOT_SUPPORTED,
    },
  },
  DisableKey: {
    run: ({ keyId }) => s.kms("disableKey", { keyId }),
    transition: true,
    expected: {
      "generated Enabled": "→ Disabled",
      "generated Disabled": "→ Disabled",
      "generated PendingDelete": NOT_SUPPORTED,
      "generated Archived": NOT_SUPPORTED,
      "external PendingImport": NOT_SUPPORTED,
    },
  },
  ScheduleKeyDeletion: {
    run: ({ keyId }) => s.kms("scheduleKeyDeletion", { keyId, pendingWindowInDays: 7 }),
    transition: true,
    expected: {
      "generated Enabled": SHOULD_BE_DISABLED,
      "generated Disabled": "→ PendingDelete",
      "generated PendingDelete": NOT_SUPPORTED,
      "generated Archived": SHOULD_BE_DISABLED,
      "external PendingImport": "→ PendingDelete",
    },
  },
  CancelKeyDeletion: {
    run: ({ keyId }) => s.kms("cancelKeyDeletion", { keyId }),
    transition: true,
    expected: {
      ...columns(EVERY_STATE, NOT_PENDING_DELETE),
      "generated PendingDelete": "→ Disabled",
      "external PendingDelete": "→ Disabled",
    },
  },
  ArchiveKey: {
    run: ({ keyId }) => s.kms("archiveKey", { keyId }),
    transition: true,
    expected: { ...columns(EVERY_STATE, NOT_SUPPORTED), "generated Enabled": "→ Archived", "generated Archived": "→ Archived" },
  },
  CancelKeyArchive: {
    run: ({ keyId }) => s.kms("cancelKeyArchive", { keyId }),
    transition: true,
    expected: { ...columns(EVERY_STATE, NOT_SUPPORTED), "generated Archived": "→ Enabled" },
  },
  Encrypt: {
    run: ({ keyId }) => s.kms("encrypt", { keyId, plaintext: Buffer.from("x") }),
    expected: {
      "generated Enabled": "ok",
      "generated Disabled": DISABLED,
      "generated PendingDelete": NOT_SUPPORTED,
      "generated Archived": ARCHIVED,
      "external PendingImport": NOT_SUPPORTED,
      ...columns(ASYMMETRIC, KEY_USAGE),
    },
  },
  GenerateDataKey: {
    run: ({ keyId }) => s.kms("generateDataKey", { keyId, numberOfBytes: 32 }),
    expected: {
      "generated Enabled": "ok",
      "generated Disabled": DISABLED,
      "generated PendingDelete": NOT_SUPPORTED,
      "generated Archived": ARCHIVED,
      "external PendingImport": NOT_SUPPORTED,
    },
  },
  Decrypt: {
    before: makeBlob,
    run: ({ blob }) => s.kms("decrypt", { ciphertextBlob: blob }),
    expected: {
      "generated Enabled": "ok",
      "generated Disabled": DISABLED,
      "generated PendingDelete": NOT_SUPPORTED,
      "generated Archived": "ok",
      "external Enabled": "ok",
      "external Archived": "ok",
    },
  },
  ReEncrypt: {
    before: makeBlob,
    run: ({ blob }) => s.kms("reEncrypt", { ciphertextBlob: blob }),
    expected: {
      "generated Enabled": "ok",
      "generated Disabled": DISABLED,
      "generated PendingDelete": NOT_SUPPORTED,
      // Decrypting under an archived key works; encrypting again under it does not.
      "generated Archived": ARCHIVED,
    },
  },
  RotateKey: {
    before: async (keyId) => {
      if ((await s.record(keyId)).origin === "TENCENT_KMS" && (await s.record(keyId)).keyUsage === "ENCRYPT_DECRYPT") await s.kms("enableKeyRotation", { keyId, rotateDays: 30 });
    },
    run: ({ keyId }) => s.kms("rotateKey", { keyId }),
    expected: {
      "generated Enabled": "ok",
      "generated Disabled": DISABLED,
      "generated PendingDelete": NOT_SUPPORTED,
      "generated Archived": ARCHIVED,
      ...columns(EXTERNAL, CANNOT_ROTATE),
      ...columns(ASYMMETRIC, KEY_USAGE),
    },
  },
  EnableKeyRotation: {
    run: ({ keyId }) => s.kms("enableKeyRotation", { keyId, rotateDays: 30 }),
    expected: {
      "generated Enabled": "ok",
      "generated Disabled": "ok",
      "generated PendingDelete": NOT_SUPPORTED,
      "generated Archived": "ok",
      ...columns(EXTERNAL, CANNOT_ROTATE),
      "asymmetric Enabled": KEY_USAGE,
    },
  },
  DisableKeyRotation: {
    before: async (keyId) => void (await s.kms("enableKeyRotation", { keyId, rotateDays: 30 })),
    run: ({ keyId }) => s.kms("disableKeyRotation", { keyId }),
    expected: { "generated Enabled": "ok", "generated Disabled": "ok", "generated PendingDelete": NOT_SUPPORTED, "generated Archived": "ok" },
  },
  GetParametersForImport: {
    run: ({ keyId }) => s.kms("getParametersForImport", { keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_1", wrappingKeySpec: "RSA_2048" }),
    expected: {
      ...columns(EVERY_STATE, NOT_EXTERNAL),
      ...columns(EXTERNAL, (c) => (c === "external PendingDelete" ? NOT_SUPPORTED : "ok")),
      "asymmetric Enabled": NOT_EXTERNAL,
    },
  },
  ImportKeyMaterial: {
    run: async ({ keyId }) => {
      // Only a key waiting for material gets a token and material; every other state is refused before the token is read.
      if ((await s.record(keyId)).keyState === "PendingImport") return importMaterial(s, keyId);
      return s.kms("importKeyMaterial", { keyId, importToken: "not-read", encryptedKeyMaterial: Buffer.alloc(256, 1) });
    },
    transition: true,
    expected: {
      ...columns(EVERY_STATE, NOT_EXTERNAL),
      ...columns(EXTERNAL, NOT_SUPPORTED),
      "external PendingImport": "→ Enabled",
    },
  },
  DeleteImportedKeyMaterial: {
    run: ({ keyId }) => s.kms("deleteImportedKeyMaterial", { keyId }),
    transition: true,
    expected: {
      ...columns(EVERY_STATE, NOT_EXTERNAL),
      "external PendingImport": NOT_SUPPORTED,
      "external Enabled": "→ PendingImport",
      "external Disabled": "→ PendingImport",
      "external PendingDelete": NOT_SUPPORTED,
      "external Archived": "→ PendingImport",
    },
  },
  BindCloudResource: {
    run: ({ keyId }) => s.kms("bindCloudResource", { keyId, productId: "cos", resourceId: "bucket" }),
    expected: { ...columns(EVERY_STATE, "ok"), "generated PendingDelete": NOT_SUPPORTED },
  },
  UnbindCloudResource: {
    before: async (keyId) => void (await s.kms("bindCloudResource", { keyId, productId: "cos", resourceId: "bucket" })),
    run: ({ keyId }) => s.kms("unbindCloudResource", { keyId, productId: "cos", resourceId: "bucket" }),
    // A bound key cannot be scheduled for deletion or archived, so those states are reached unbound: ResourceNotFound is the binding's absence.
    expected: { "generated Enabled": "ok", "generated Disabled": "ok", "external PendingImport": "ok" },
  },
  "EnableKeyVersion (KeyVersionService)": {
    run: ({ keyId }) => s.versions("enableKeyVersion", { keyId, version: 1 }),
    expected: { ...columns(EVERY_STATE, "ok"), "generated PendingDelete": NOT_SUPPORTED, "external PendingImport": NOT_SUPPORTED },
  },
  SignByAsymmetricKey: {
    run: ({ keyId }) => s.kms("signByAsymmetricKey", { keyId, algorithm: "ECC_P256_R1", message: Buffer.from("m"), messageType: MessageType.RAW }),
    expected: {
      "asymmetric Enabled": "ok",
      "asymmetric Disabled": DISABLED,
      "asymmetric PendingDelete": NOT_SUPPORTED,
      "asymmetric Archived": ARCHIVED,
      ...columns(EVERY_STATE, KEY_USAGE),
    },
  },
  VerifyByAsymmetricKey: {
    run: ({ keyId }) => s.kms("verifyByAsymmetricKey", { keyId, algorithm: "ECC_P256_R1", message: Buffer.from("m"), signatureValue: Buffer.alloc(8), messageType: MessageType.RAW }),
    expected: {
      "asymmetric Enabled": "ok",
      "asymmetric Disabled": DISABLED,
      "asymmetric PendingDelete": NOT_SUPPORTED,
      "asymmetric Archived": "ok",
      "generated Enabled": KEY_USAGE,
    },
  },
  GetPublicKey: {
    run: ({ keyId }) => s.kms("getPublicKey", { keyId }),
    expected: {
      "asymmetric Enabled": "ok",
      "asymmetric Disabled": DISABLED,
      "asymmetric PendingDelete": NOT_SUPPORTED,
      "asymmetric Archived": "ok",
      ...columns(EVERY_STATE, KEY_USAGE),
    },
  },
  DescribeKey: {
    run: ({ keyId }) => s.kms("describeKey", { keyId }),
    expected: columns([...EVERY_STATE, ...ASYMMETRIC], "ok"),
  },
};

describe("key state table, every action × every state", () => {
  for (const [action, c] of Object.entries(CASES)) {
    it(action, async () => {
      expect(await observe(c)).toEqual(c.expected);
    });
  }

  it("covers every key state", () => {
    const states = new Set(Object.values(CASES).flatMap((c) => Object.keys(c.expected).map((col) => col.split(" ")[1])));
    expect([...states].sort()).toEqual(["Archived", "Disabled", "Enabled", "PendingDelete", "PendingImport"]);
  });
});
