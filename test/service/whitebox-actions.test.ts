/**
 * The white-box family in process: the real core (LevelDB, root key, worker
 * pool, pipeline, audit) without listeners. Every action's rules and
 * documented refusal codes, nothing written on refusal, the limit and the
 * batches, the lifecycle table, the scope by account and region, sealing at
 * rest, fingerprint binding, paging, the service switch and the audit trail.
 */
import { createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { DescMethod, MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openTables, decryptCbc } from "../../client/whitebox/index.mjs";
import { WhiteBoxAlgorithm, WhiteBoxKeyService, WhiteBoxKeyStatus } from "../../gen/kms/v1/whitebox_pb.js";
import { decodeTableFile, FLAG_FINGERPRINT_BOUND } from "../../src/crypto/whitebox/index.js";
import type { Credentials } from "../../src/pipeline/credentials.js";
import type { Served } from "../../src/pipeline/pipeline.js";
import { sealLabel, whiteBoxKeyspace } from "../../src/whitebox/keyspace.js";
import type { WhiteBoxScope } from "../../src/whitebox/key.js";
import { callMethod, openInProcess, type InProcess } from "../helpers/in-process.js";

const M = WhiteBoxKeyService.method;
const ACCOUNT = "100000000001";
const GZ = "ap-guangzhou";
const REGIONS = "ap-guangzhou,ap-beijing,ap-shanghai,ap-chengdu,ap-nanjing";
const FP = (n: number) => `${n.toString(16).padStart(8, "0")}-0123456789abcd-0123456789abcd-0123456789abcd-0123456789abcdef`;

let kms: InProcess;
let root: Credentials;

beforeAll(async () => {
  kms = await openInProcess({ KMS_REGIONS: REGIONS });
  root = { kind: "token", token: kms.token };
});
afterAll(async () => {
  await kms.dispose();
});

type Answer = Record<string, unknown>;

function serve<Me extends DescMethod>(k: InProcess, method: Me, req: MessageInitShape<Me["input"]>, region = GZ): Promise<Served> {
  return callMethod(k.core.pipeline, method, req, { kind: "token", token: k.token }, { region });
}

async function ok<Me extends DescMethod, T = Answer>(method: Me, req: MessageInitShape<Me["input"]>, region = GZ, k = kms): Promise<T> {
  const s = await serve(k, method, req, region);
  if (!s.ok) throw new Error(`${method.name}: expected success, got ${s.outcome.code}: ${s.outcome.message}`);
  return s.output as T;
}

async function code<Me extends DescMethod>(method: Me, req: MessageInitShape<Me["input"]>, region = GZ, k = kms): Promise<string> {
  const s = await serve(k, method, req, region);
  if (s.ok) throw new Error(`${method.name}: expected a refusal`);
  return s.outcome.code;
}

let aliasSeq = 0;
const alias = () => `wb-${++aliasSeq}-${randomBytes(3).toString("hex")}`;

interface Created {
  keyId: string;
  encryptKey: Uint8Array;
  decryptKey: Uint8Array;
}

interface CreateExtra {
  alias?: string;
  description?: string;
  tags?: { tagKey: string; tagValue: string }[];
}

async function create(algorithm = WhiteBoxAlgorithm.SM4, region = GZ, extra: CreateExtra = {}, k = kms): Promise<Created> {
  return ok<typeof M.createWhiteBoxKey, Created>(M.createWhiteBoxKey, { alias: alias(), algorithm, ...extra }, region, k);
}

const scope = (region = GZ): WhiteBoxScope => ({ account: ACCOUNT, region });

/** Every stored white-box entry, as key → SHA-256 of its value. */
async function whiteBoxStore(k = kms): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const [key, value] of k.core.store.scan({ prefix: "v1/whitebox/" })) out.set(key, createHash("sha256").update(value).digest("hex"));
  return out;
}

/** The key itself, read from the store and unsealed (for reference checks only). */
async function storedKey(keyId: string, region = GZ): Promise<Uint8Array> {
  const repo = kms.core.domain.whiteBox.repo;
  const record = await repo.get(scope(region), keyId);
  if (!record) throw new Error(`no record for ${keyId}`);
  return repo.material(record, "key");
}

function cbcDecrypt(cipher: string, key: Uint8Array, iv: Uint8Array, ct: Uint8Array): Buffer {
  const d = createDecipheriv(cipher, key, iv);
  return Buffer.concat([d.update(ct), d.final()]);
}

async function events(filter: { action?: string; keyId?: string; result?: string }) {
  await kms.core.domain.audit.flush();
  return (await kms.core.domain.audit.query(filter, { limit: 1000 })).events;
}

describe("CreateWhiteBoxKey", () => {
  it("creates an Enabled key whose two table files share its table id, and describes it as the SDK's WhiteboxKeyInfo", async () => {
    const name = alias();
    const created = await ok<typeof M.createWhiteBoxKey, Created & { tagCode: number; tagMsg: string }>(M.createWhiteBoxKey, {
      alias: name,
      algorithm: WhiteBoxAlgorithm.AES_256,
      description: "edge box",
      tags: [{ tagKey: "team", tagValue: "edge" }],
    });
    expect(created.tagCode).toBe(0);
    const enc = decodeTableFile(created.encryptKey);
    const dec = decodeTableFile(created.decryptKey);
    expect([enc.algorithm, enc.direction, dec.algorithm, dec.direction]).toEqual(["AES_256", "encrypt", "AES_256", "decrypt"]);
    expect(Buffer.from(enc.tableId).equals(Buffer.from(dec.tableId))).toBe(true);
    expect(created.encryptKey.length).toBe(749_632);

    const { keyInfo } = await ok<typeof M.describeWhiteBoxKey, { keyInfo: Answer }>(M.describeWhiteBoxKey, { keyId: created.keyId });
    expect(keyInfo).toMatchObject({
      keyId: created.keyId,
      alias: name,
      description: "edge box",
      creatorUin: BigInt(ACCOUNT),
      ownerUin: BigInt(ACCOUNT),
      createTime: BigInt(Math.floor(kms.clock.now() / 1000)),
      status: WhiteBoxKeyStatus.ENABLED,
      algorithm: WhiteBoxAlgorithm.AES_256,
      resourceId: `creatorUin/${ACCOUNT}/${created.keyId}`,
      deviceFingerprintBind: false,
    });
    expect(Buffer.from(keyInfo.encryptKey as Uint8Array).equals(Buffer.from(created.encryptKey))).toBe(true);
    expect(Buffer.from(keyInfo.decryptKey as Uint8Array).equals(Buffer.from(created.decryptKey))).toBe(true);
    const record = await kms.core.domain.whiteBox.repo.get(scope(), created.keyId);
    expect(record?.tableId).toBe(Buffer.from(enc.tableId).toString("hex"));
  });

  it("refuses bad input with the documented code and writes nothing", async () => {
    const taken = alias();
    await create(WhiteBoxAlgorithm.SM4, GZ, { alias: taken });
    const before = await whiteBoxStore();
    const cases: [string, MessageInitShape<typeof M.createWhiteBoxKey.input>][] = [
      ["InvalidParameterValue.InvalidAlias", { alias: "", algorithm: WhiteBoxAlgorithm.SM4 }],
      ["InvalidParameterValue.InvalidAlias", { alias: "-starts-with-dash", algorithm: WhiteBoxAlgorithm.SM4 }],
      ["InvalidParameterValue.InvalidAlias", { alias: "a".repeat(61), algorithm: WhiteBoxAlgorithm.SM4 }],
      ["InvalidParameterValue.InvalidAlias", { alias: "has space", algorithm: WhiteBoxAlgorithm.SM4 }],
      ["InvalidParameterValue.InvalidAlias", { alias: "kms-reserved", algorithm: WhiteBoxAlgorithm.SM4 }],
      ["InvalidParameterValue", { alias: alias(), algorithm: WhiteBoxAlgorithm.UNSPECIFIED }],
      ["InvalidParameterValue", { alias: alias(), algorithm: 9 as WhiteBoxAlgorithm }],
      ["InvalidParameterValue", { alias: alias(), algorithm: WhiteBoxAlgorithm.SM4, description: "é".repeat(513) }],
      ["InvalidParameterValue", { alias: alias(), algorithm: WhiteBoxAlgorithm.SM4, tags: Array.from({ length: 51 }, (_, i) => ({ tagKey: `k${i}`, tagValue: "v" })) }],
      ["InvalidParameterValue", { alias: alias(), algorithm: WhiteBoxAlgorithm.SM4, tags: [{ tagKey: "", tagValue: "v" }] }],
      ["InvalidParameterValue.TagKeysDuplicated", { alias: alias(), algorithm: WhiteBoxAlgorithm.SM4, tags: [{ tagKey: "k", tagValue: "1" }, { tagKey: "k", tagValue: "2" }] }],
      ["InvalidParameterValue.AliasAlreadyExists", { alias: taken, algorithm: WhiteBoxAlgorithm.AES_256 }],
    ];
    for (const [expected, req] of cases) expect(await code(M.createWhiteBoxKey, req), JSON.stringify({ ...req, tags: req.tags?.length })).toBe(expected);
    expect(await whiteBoxStore()).toEqual(before);
    // 60 characters and 1024 bytes are still fine.
    await create(WhiteBoxAlgorithm.SM4, GZ, { alias: `a${"b".repeat(59)}`, description: "é".repeat(512) });
  });

  it("keeps at most 50 keys per account and region by default, and a batch takes 50 of them at once", async () => {
    const region = "ap-beijing";
    const keys = await Promise.all(Array.from({ length: 50 }, () => create(WhiteBoxAlgorithm.SM4, region)));
    const before = await whiteBoxStore();
    expect(await code(M.createWhiteBoxKey, { alias: alias(), algorithm: WhiteBoxAlgorithm.SM4 }, region)).toBe("LimitExceeded.KeyLimitExceeded");
    expect(await whiteBoxStore()).toEqual(before);
    // Another region of the same account has its own room.
    await create(WhiteBoxAlgorithm.SM4, "ap-chengdu");

    const ids = keys.map((k) => k.keyId);
    await ok(M.disableWhiteBoxKeys, { keyIds: ids }, region);
    const { keyInfos } = await ok<typeof M.describeWhiteBoxKeyDetails, { keyInfos: Answer[]; totalCount: number }>(M.describeWhiteBoxKeyDetails, { keyStatus: 1 }, region);
    expect(keyInfos).toEqual([]);
    await ok(M.enableWhiteBoxKeys, { keyIds: ids }, region);
    expect((await ok<typeof M.describeWhiteBoxKeyDetails, { totalCount: number }>(M.describeWhiteBoxKeyDetails, { keyStatus: 0 }, region)).totalCount).toBe(0);

    // Deleting one makes room for one.
    await ok(M.disableWhiteBoxKey, { keyId: ids[0] }, region);
    await ok(M.deleteWhiteBoxKey, { keyId: ids[0] }, region);
    await create(WhiteBoxAlgorithm.SM4, region);
    expect(await code(M.createWhiteBoxKey, { alias: alias(), algorithm: WhiteBoxAlgorithm.SM4 }, region)).toBe("LimitExceeded.KeyLimitExceeded");
  });

  it("holds the limit and alias uniqueness under concurrent creation (KMS_WHITEBOX_KEY_LIMIT)", async () => {
    const small = await openInProcess({ KMS_REGIONS: "ap-guangzhou,ap-beijing", KMS_WHITEBOX_KEY_LIMIT: "2" });
    try {
      const outcomes = await Promise.all(Array.from({ length: 5 }, () => serve(small, M.createWhiteBoxKey, { alias: alias(), algorithm: WhiteBoxAlgorithm.SM4 })));
      expect(outcomes.filter((o) => o.ok)).toHaveLength(2);
      expect(outcomes.filter((o) => !o.ok).map((o) => (o.ok ? "" : o.outcome.code))).toEqual(Array(3).fill("LimitExceeded.KeyLimitExceeded"));
      const same = alias();
      const racing = await Promise.all(Array.from({ length: 3 }, () => serve(small, M.createWhiteBoxKey, { alias: same, algorithm: WhiteBoxAlgorithm.SM4 }, "ap-beijing")));
      expect(racing.filter((o) => o.ok)).toHaveLength(1);
      expect(racing.filter((o) => !o.ok).map((o) => (o.ok ? "" : o.outcome.code))).toEqual(Array(2).fill("InvalidParameterValue.AliasAlreadyExists"));
      let records = 0;
      for await (const _ of small.core.store.scanKeys({ prefix: "v1/whitebox/keys/" })) records++;
      expect(records).toBe(3);
    } finally {
      await small.dispose();
    }
  });
});

describe("sealed at rest", () => {
  it("stores the key and both tables sealed under the root key, with labels naming their place", async () => {
    const created = await create(WhiteBoxAlgorithm.AES_256);
    const key = await storedKey(created.keyId);
    expect(key.length).toBe(32);
    const rootKey = kms.core.domain.deps.rootKey;
    const raw = await kms.core.store.get(whiteBoxKeyspace.material(scope(), created.keyId, "decrypt-tables"));
    expect(Buffer.from(rootKey.unseal(raw!, sealLabel(scope(), created.keyId, "decrypt-tables"))).equals(Buffer.from(created.decryptKey))).toBe(true);
    expect(() => rootKey.unseal(raw!, sealLabel(scope(), created.keyId, "encrypt-tables"))).toThrow();
    expect(() => rootKey.unseal(raw!, sealLabel(scope("ap-beijing"), created.keyId, "decrypt-tables"))).toThrow();

    // Neither the key nor a slice of either table file occurs in any stored value (audit included).
    const needles = [Buffer.from(key), Buffer.from(created.encryptKey.subarray(4096, 4160)), Buffer.from(created.decryptKey.subarray(4096, 4160))];
    for await (const [storeKey, value] of kms.core.store.scan({ prefix: "v1/" }))
      for (const needle of needles) expect(Buffer.from(value).includes(needle), storeKey).toBe(false);
  });

  it("answers InternalError, and nothing else, when a sealed part was moved onto another key", async () => {
    const a = await create();
    const b = await create();
    const store = kms.core.store;
    const sealedA = await store.get(whiteBoxKeyspace.material(scope(), a.keyId, "key"));
    const keyOfB = whiteBoxKeyspace.material(scope(), b.keyId, "key");
    const sealedB = await store.get(keyOfB);
    await store.batch([{ type: "put", key: keyOfB, value: sealedA! }]);
    const s = await serve(kms, M.encryptByWhiteBox, { keyId: b.keyId, plainText: Buffer.from("x") });
    expect(s.ok ? "" : s.outcome).toMatchObject({ code: "InternalError", message: expect.stringContaining("internal error") });
    await store.batch([{ type: "put", key: keyOfB, value: sealedB! }]);
    await ok(M.encryptByWhiteBox, { keyId: b.keyId, plainText: Buffer.from("x") });
  });
});

describe("storage damage and races", () => {
  it("fails closed when a key's device list is missing from storage: never unbound tables", async () => {
    const { keyId } = await create();
    await ok(M.overwriteWhiteBoxDeviceFingerprints, { keyId, deviceFingerprints: [{ identity: FP(40) }] });
    const listKey = whiteBoxKeyspace.fingerprints(scope(), keyId);
    const sealed = await kms.core.store.get(listKey);
    await kms.core.store.batch([{ type: "del", key: listKey }]);
    for (const method of [M.describeWhiteBoxDecryptKey, M.describeWhiteBoxKey, M.describeWhiteBoxDeviceFingerprints]) expect(await code(method, { keyId }), method.name).toBe("InternalError");
    await kms.core.store.batch([{ type: "put", key: listKey, value: sealed! }]);
    await ok(M.describeWhiteBoxDecryptKey, { keyId });
  });

  it("answers ResourceNotFound for parts of a key deleted after its record was read", async () => {
    const { keyId } = await create();
    await ok(M.overwriteWhiteBoxDeviceFingerprints, { keyId, deviceFingerprints: [{ identity: FP(41) }] });
    const repo = kms.core.domain.whiteBox.repo;
    const stale = (await repo.get(scope(), keyId))!;
    await ok(M.disableWhiteBoxKey, { keyId });
    await ok(M.deleteWhiteBoxKey, { keyId });
    await expect(repo.material(stale, "decrypt-tables")).rejects.toMatchObject({ code: "ResourceNotFound" });
    await expect(repo.fingerprints(stale)).rejects.toMatchObject({ code: "ResourceNotFound" });
  });
});

describe("EncryptByWhiteBox", () => {
  it("answers standard CBC with PKCS#7 padding under the key, with the IV given or a fresh one", async () => {
    for (const [algorithm, cipher] of [
      [WhiteBoxAlgorithm.AES_256, "aes-256-cbc"],
      [WhiteBoxAlgorithm.SM4, "sm4-cbc"],
    ] as const) {
      const { keyId } = await create(algorithm);
      const key = await storedKey(keyId);
      for (const length of [1, 15, 16, 17, 255, 4096]) {
        const plainText = randomBytes(length);
        const iv = randomBytes(16);
        const given = await ok<typeof M.encryptByWhiteBox, { initializationVector: Uint8Array; cipherText: Uint8Array }>(M.encryptByWhiteBox, { keyId, plainText, initializationVector: iv });
        expect(Buffer.from(given.initializationVector).equals(iv)).toBe(true);
        expect(given.cipherText.length).toBe((Math.floor(length / 16) + 1) * 16);
        expect(cbcDecrypt(cipher, key, iv, given.cipherText).equals(plainText)).toBe(true);
      }
      const a = await ok<typeof M.encryptByWhiteBox, { initializationVector: Uint8Array; cipherText: Uint8Array }>(M.encryptByWhiteBox, { keyId, plainText: Buffer.from("same") });
      const b = await ok<typeof M.encryptByWhiteBox, { initializationVector: Uint8Array; cipherText: Uint8Array }>(M.encryptByWhiteBox, { keyId, plainText: Buffer.from("same") });
      expect(a.initializationVector.length).toBe(16);
      expect(Buffer.from(a.initializationVector).equals(Buffer.from(b.initializationVector))).toBe(false);
      expect(cbcDecrypt(cipher, key, a.initializationVector, a.cipherText).toString()).toBe("same");
    }
  });

  it("refuses bad input with the documented codes", async () => {
    const { keyId } = await create();
    const cases: [string, MessageInitShape<typeof M.encryptByWhiteBox.input>][] = [
      ["InvalidParameterValue.InvalidKeyId", { keyId: "", plainText: Buffer.from("x") }],
      ["InvalidParameterValue.InvalidKeyId", { keyId: "not-a-key", plainText: Buffer.from("x") }],
      ["InvalidParameterValue", { keyId, plainText: new Uint8Array(0) }],
      ["InvalidParameterValue", { keyId, plainText: new Uint8Array(4097) }],
      ["InvalidParameterValue", { keyId, plainText: Buffer.from("x"), initializationVector: new Uint8Array(15) }],
      ["InvalidParameterValue", { keyId, plainText: Buffer.from("x"), initializationVector: new Uint8Array(17) }],
      ["ResourceNotFound", { keyId: "0d0466b0-e727-4d9c-b35d-f84bb474a37f", plainText: Buffer.from("x") }],
    ];
    for (const [expected, req] of cases) expect(await code(M.encryptByWhiteBox, req)).toBe(expected);
  });
});

describe("the lifecycle", () => {
  it("disables and enables (idempotently), refuses encryption while disabled, and still describes", async () => {
    const { keyId } = await create();
    await ok(M.disableWhiteBoxKey, { keyId });
    const disabled = await whiteBoxStore();
    await ok(M.disableWhiteBoxKey, { keyId });
    expect(await whiteBoxStore()).toEqual(disabled);
    expect((await ok<typeof M.describeWhiteBoxKey, { keyInfo: Answer }>(M.describeWhiteBoxKey, { keyId })).keyInfo.status).toBe(WhiteBoxKeyStatus.DISABLED);
    expect(await code(M.encryptByWhiteBox, { keyId, plainText: Buffer.from("x") })).toBe("ResourceUnavailable.KeyDisabled");
    await ok(M.describeWhiteBoxDecryptKey, { keyId });
    await ok(M.describeWhiteBoxDeviceFingerprints, { keyId });
    await ok(M.enableWhiteBoxKey, { keyId });
    await ok(M.enableWhiteBoxKey, { keyId });
    await ok(M.encryptByWhiteBox, { keyId, plainText: Buffer.from("x") });
  });

  it("deletes only a disabled key, and then everything of it, for good", async () => {
    const name = alias();
    const { keyId } = await create(WhiteBoxAlgorithm.SM4, GZ, { alias: name });
    await ok(M.overwriteWhiteBoxDeviceFingerprints, { keyId, deviceFingerprints: [{ identity: FP(1) }] });
    const before = await whiteBoxStore();
    expect(await code(M.deleteWhiteBoxKey, { keyId })).toBe("FailedOperation");
    expect(await whiteBoxStore()).toEqual(before);
    expect([...before.keys()].filter((k) => k.includes(keyId) || k.endsWith(`/${name}`))).toHaveLength(6);

    await ok(M.disableWhiteBoxKey, { keyId });
    await ok(M.deleteWhiteBoxKey, { keyId });
    expect([...(await whiteBoxStore()).keys()].filter((k) => k.includes(keyId) || k.endsWith(`/${name}`))).toEqual([]);
    for (const method of [M.describeWhiteBoxKey, M.describeWhiteBoxDecryptKey, M.describeWhiteBoxDeviceFingerprints, M.enableWhiteBoxKey, M.disableWhiteBoxKey, M.deleteWhiteBoxKey])
      expect(await code(method, { keyId }), method.name).toBe("ResourceNotFound");
    // The alias is free again.
    await create(WhiteBoxAlgorithm.SM4, GZ, { alias: name });
  });

  it("refuses malformed and missing ids in every single-key action", async () => {
    const missing = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
    for (const method of [M.deleteWhiteBoxKey, M.describeWhiteBoxKey, M.describeWhiteBoxDecryptKey, M.describeWhiteBoxDeviceFingerprints, M.enableWhiteBoxKey, M.disableWhiteBoxKey, M.overwriteWhiteBoxDeviceFingerprints]) {
      expect(await code(method, { keyId: "" }), method.name).toBe("InvalidParameterValue.InvalidKeyId");
      expect(await code(method, { keyId: "0D0466B0-E727-4D9C-B35D-F84BB474A37F" }), method.name).toBe("InvalidParameterValue.InvalidKeyId");
      expect(await code(method, { keyId: missing }), method.name).toBe("ResourceNotFound");
    }
  });

  it("applies a batch to all its keys or to none", async () => {
    const keys = [await create(), await create(), await create()].map((k) => k.keyId);
    const missing = "0d0466b0-e727-4d9c-b35d-f84bb474a37f";
    const before = await whiteBoxStore();
    for (const method of [M.enableWhiteBoxKeys, M.disableWhiteBoxKeys]) {
      expect(await code(method, { keyIds: [] }), method.name).toBe("InvalidParameter");
      expect(await code(method, { keyIds: Array.from({ length: 51 }, () => keys[0]!) }), method.name).toBe("InvalidParameter");
      expect(await code(method, { keyIds: [keys[0]!, keys[1]!, keys[0]!] }), method.name).toBe("InvalidParameterValue.DuplicatedKeyId");
      expect(await code(method, { keyIds: [keys[0]!, "bad"] }), method.name).toBe("InvalidParameterValue.InvalidKeyId");
      expect(await code(method, { keyIds: [keys[0]!, missing, keys[1]!] }), method.name).toBe("ResourceNotFound");
    }
    expect(await whiteBoxStore()).toEqual(before);
    await ok(M.disableWhiteBoxKeys, { keyIds: keys });
    for (const keyId of keys) expect(await code(M.encryptByWhiteBox, { keyId, plainText: Buffer.from("x") })).toBe("ResourceUnavailable.KeyDisabled");
  });
});

describe("device fingerprints", () => {
  it("binds every DecryptKey a caller receives to the listed devices, and an empty list unbinds it", async () => {
    const created = await create(WhiteBoxAlgorithm.SM4);
    const { keyId } = created;
    const devices = [
      { identity: FP(1), description: "kiosk 1, 10.0.0.1" },
      { identity: FP(2), description: "" },
    ];
    await ok(M.overwriteWhiteBoxDeviceFingerprints, { keyId, deviceFingerprints: devices });
    expect((await ok<typeof M.describeWhiteBoxDeviceFingerprints, { deviceFingerprints: Answer[] }>(M.describeWhiteBoxDeviceFingerprints, { keyId })).deviceFingerprints).toMatchObject(devices);

    const { decryptKey } = await ok<typeof M.describeWhiteBoxDecryptKey, { decryptKey: Uint8Array }>(M.describeWhiteBoxDecryptKey, { keyId });
    expect(decodeTableFile(decryptKey).flags & FLAG_FINGERPRINT_BOUND).toBe(FLAG_FINGERPRINT_BOUND);
    const { keyInfo } = await ok<typeof M.describeWhiteBoxKey, { keyInfo: { decryptKey: Uint8Array; encryptKey: Uint8Array; deviceFingerprintBind: boolean } }>(M.describeWhiteBoxKey, { keyId });
    expect(keyInfo.deviceFingerprintBind).toBe(true);
    expect(decodeTableFile(keyInfo.decryptKey).flags & FLAG_FINGERPRINT_BOUND).toBe(FLAG_FINGERPRINT_BOUND);
    expect(Buffer.from(keyInfo.encryptKey).equals(Buffer.from(created.encryptKey))).toBe(true);

    const enc = await ok<typeof M.encryptByWhiteBox, { initializationVector: Uint8Array; cipherText: Uint8Array }>(M.encryptByWhiteBox, { keyId, plainText: Buffer.from("for kiosk 2") });
    expect(Buffer.from(decryptCbc(openTables(decryptKey, { fingerprint: FP(2) }), enc.initializationVector, enc.cipherText)).toString()).toBe("for kiosk 2");
    expect(() => openTables(decryptKey, { fingerprint: FP(3) })).toThrow();
    expect(() => openTables(decryptKey)).toThrow();

    await ok(M.overwriteWhiteBoxDeviceFingerprints, { keyId, deviceFingerprints: [] });
    expect((await ok<typeof M.describeWhiteBoxDeviceFingerprints, { deviceFingerprints: Answer[] }>(M.describeWhiteBoxDeviceFingerprints, { keyId })).deviceFingerprints).toEqual([]);
    const unbound = await ok<typeof M.describeWhiteBoxDecryptKey, { decryptKey: Uint8Array }>(M.describeWhiteBoxDecryptKey, { keyId });
    expect(Buffer.from(unbound.decryptKey).equals(Buffer.from(created.decryptKey))).toBe(true);
    expect([...(await whiteBoxStore()).keys()].filter((k) => k.startsWith("v1/whitebox/fingerprints/") && k.endsWith(keyId))).toEqual([]);
  });

  it("takes up to 200 distinct identities of the documented pattern, sealed at rest, and refuses the rest", async () => {
    const { keyId } = await create();
    const many = (n: number) => Array.from({ length: n }, (_, i) => ({ identity: FP(i), description: `device ${i}` }));
    await ok(M.overwriteWhiteBoxDeviceFingerprints, { keyId, deviceFingerprints: many(200) });
    const before = await whiteBoxStore();
    const cases: [string, MessageInitShape<typeof M.overwriteWhiteBoxDeviceFingerprints.input>["deviceFingerprints"]][] = [
      ["LimitExceeded.FingerprintsLimitExceeded", many(201)],
      ["InvalidParameterValue", [{ identity: FP(1).toUpperCase() }]],
      ["InvalidParameterValue", [{ identity: `${FP(1)}0` }]],
      ["InvalidParameterValue", [{ identity: "" }]],
      ["InvalidParameterValue", [{ identity: FP(1) }, { identity: FP(1) }]],
      ["InvalidParameterValue", [{ identity: FP(1), description: "x".repeat(1025) }]],
    ];
    for (const [expected, deviceFingerprints] of cases) expect(await code(M.overwriteWhiteBoxDeviceFingerprints, { keyId, deviceFingerprints })).toBe(expected);
    expect(await whiteBoxStore()).toEqual(before);
    expect((await ok<typeof M.describeWhiteBoxDeviceFingerprints, { deviceFingerprints: Answer[] }>(M.describeWhiteBoxDeviceFingerprints, { keyId })).deviceFingerprints).toHaveLength(200);
    const needle = Buffer.from(FP(199));
    for await (const [storeKey, value] of kms.core.store.scan({ prefix: "v1/whitebox/" })) expect(Buffer.from(value).includes(needle), storeKey).toBe(false);
  });
});

describe("DescribeWhiteBoxKeyDetails", () => {
  const region = "ap-shanghai";
  let ids: string[];

  beforeAll(async () => {
    ids = [];
    for (const tags of [[{ tagKey: "env", tagValue: "dev" }], [{ tagKey: "env", tagValue: "prod" }], []]) {
      ids.push((await create(WhiteBoxAlgorithm.SM4, region, { tags })).keyId);
      kms.clock.advance(1000);
    }
    await ok(M.disableWhiteBoxKey, { keyId: ids[1] }, region);
  });

  const details = (req: MessageInitShape<typeof M.describeWhiteBoxKeyDetails.input>) =>
    ok<typeof M.describeWhiteBoxKeyDetails, { keyInfos: { keyId: string; encryptKey: Uint8Array }[]; totalCount: number }>(M.describeWhiteBoxKeyDetails, req, region);

  it("pages the keys oldest first, two at a time at most, with their tables", async () => {
    const first = await details({});
    expect(first.totalCount).toBe(3);
    expect(first.keyInfos.map((k) => k.keyId)).toEqual(ids.slice(0, 2));
    expect(first.keyInfos.every((k) => k.encryptKey.length > 0)).toBe(true);
    expect((await details({ offset: 2, limit: 2 })).keyInfos.map((k) => k.keyId)).toEqual(ids.slice(2));
    expect((await details({ offset: 1, limit: 1 })).keyInfos.map((k) => k.keyId)).toEqual([ids[1]]);
    expect(await details({ offset: 9 })).toEqual({ keyInfos: [], totalCount: 3 });
    expect(await code(M.describeWhiteBoxKeyDetails, { limit: 3 }, region)).toBe("InvalidParameterValue");
  });

  it("filters by state (0 Disabled, 1 Enabled) and by tags", async () => {
    expect((await details({ keyStatus: 0 })).keyInfos.map((k) => k.keyId)).toEqual([ids[1]]);
    expect((await details({ keyStatus: 1 })).keyInfos.map((k) => k.keyId)).toEqual([ids[0], ids[2]]);
    expect(await code(M.describeWhiteBoxKeyDetails, { keyStatus: 2 }, region)).toBe("InvalidParameterValue");
    expect((await details({ tagFilters: [{ tagKey: "env" }] })).totalCount).toBe(2);
    expect((await details({ tagFilters: [{ tagKey: "env", tagValue: ["prod", "test"] }] })).keyInfos.map((k) => k.keyId)).toEqual([ids[1]]);
    expect((await details({ tagFilters: [{ tagKey: "env", tagValue: ["prod"] }], keyStatus: 1 })).totalCount).toBe(0);
    expect((await details({ tagFilters: [{ tagKey: "owner" }] })).totalCount).toBe(0);
    expect(await code(M.describeWhiteBoxKeyDetails, { tagFilters: [{ tagKey: "" }] }, region)).toBe("InvalidParameterValue");
  });
});

describe("the scope", () => {
  it("keeps keys to their account and region: another region neither sees nor changes them, and may reuse the alias", async () => {
    const name = alias();
    const { keyId } = await create(WhiteBoxAlgorithm.SM4, GZ, { alias: name });
    const other = "ap-nanjing";
    for (const method of [M.describeWhiteBoxKey, M.describeWhiteBoxDecryptKey, M.describeWhiteBoxDeviceFingerprints, M.enableWhiteBoxKey, M.disableWhiteBoxKey, M.deleteWhiteBoxKey])
      expect(await code(method, { keyId }, other), method.name).toBe("ResourceNotFound");
    expect(await code(M.encryptByWhiteBox, { keyId, plainText: Buffer.from("x") }, other)).toBe("ResourceNotFound");
    expect(await code(M.disableWhiteBoxKeys, { keyIds: [keyId] }, other)).toBe("ResourceNotFound");
    expect((await ok<typeof M.describeWhiteBoxKeyDetails, { totalCount: number }>(M.describeWhiteBoxKeyDetails, {}, other)).totalCount).toBe(0);
    await create(WhiteBoxAlgorithm.SM4, other, { alias: name });
    expect((await ok<typeof M.describeWhiteBoxKey, { keyInfo: Answer }>(M.describeWhiteBoxKey, { keyId })).keyInfo.status).toBe(WhiteBoxKeyStatus.ENABLED);
  });
});

describe("the service switch (KMS_WHITEBOX_ENABLED)", () => {
  it("answers ResourceUnavailable.NotPurchased to every action but DescribeWhiteBoxServiceStatus while off", async () => {
    expect(await ok(M.describeWhiteBoxServiceStatus, {})).toEqual({ serviceEnabled: true });
    const off = await openInProcess({ KMS_WHITEBOX_ENABLED: "false" });
    try {
      expect(await ok(M.describeWhiteBoxServiceStatus, {}, GZ, off)).toEqual({ serviceEnabled: false });
      for (const method of WhiteBoxKeyService.methods) {
        if (method === M.describeWhiteBoxServiceStatus) continue;
        expect(await code(method, {}, GZ, off), method.name).toBe("ResourceUnavailable.NotPurchased");
      }
    } finally {
      await off.dispose();
    }
  });
});

describe("the audit trail", () => {
  it("records every change with its key in the same batch, and every refusal", async () => {
    const { keyId } = await create();
    await ok(M.overwriteWhiteBoxDeviceFingerprints, { keyId, deviceFingerprints: [{ identity: FP(7) }] });
    await ok(M.encryptByWhiteBox, { keyId, plainText: Buffer.from("x") });
    await ok(M.disableWhiteBoxKey, { keyId });
    expect(await code(M.encryptByWhiteBox, { keyId, plainText: Buffer.from("x") })).toBe("ResourceUnavailable.KeyDisabled");
    await ok(M.deleteWhiteBoxKey, { keyId });
    const trail = (await events({ keyId })).map((e) => [e.action, e.result]);
    expect(trail).toEqual([
      ["kms:CreateWhiteBoxKey", "Success"],
      ["kms:OverwriteWhiteBoxDeviceFingerprints", "Success"],
      ["kms:EncryptByWhiteBox", "Success"],
      ["kms:DisableWhiteBoxKey", "Success"],
      ["kms:EncryptByWhiteBox", "ResourceUnavailable.KeyDisabled"],
      ["kms:DeleteWhiteBoxKey", "Success"],
    ]);
    const fingerprint = Buffer.from(FP(7));
    for await (const [storeKey, value] of kms.core.store.scan({ prefix: "v1/audit" })) expect(Buffer.from(value).includes(fingerprint), storeKey).toBe(false);
  });
});
