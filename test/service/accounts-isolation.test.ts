/**
 * Nothing of one account is visible to another, nor of one region in another
 * (in process, through the real pipeline, every transport's one path).
 *
 * Account A (the default account) makes one of everything: keys of every
 * kind, versions, ciphertexts, signatures, an import token, a bound cloud
 * resource, a sub-user with a policy, token, access key and certificate, a
 * secret, an SSH key pair and an export package. Then account B's root calls
 * every method of every service (KMS, key versions, admin, secrets, trust,
 * operator, unseal) with A's ids. Each call either names A's resources, and
 * must be refused exactly as the same call naming ids that never existed
 * (same code, same message but for the id), with a not-found or denied code;
 * or it names none (a listing, a creation, a status), and its answer must
 * carry no identifier of A. A's state is then exactly as it was, and no event
 * of B's calls is in A's audit trail. The same holds for A's own root calling
 * from its second region (the regional services: keys, versions, secrets;
 * principals and policies are account-wide, as in CAM).
 *
 * The cases are a table typed against each service's descriptor, so a method
 * added to a service without a case here does not compile.
 */
import { execFile } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { DescMessage, DescService, MessageInitShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { DataKeySpec, KeyManagementService, KeyUsage, MessageType } from "../../gen/kms/v1/kms_pb.js";
import { OperatorService } from "../../gen/kms/v1/operator_pb.js";
import { TrustService } from "../../gen/kms/v1/trust_pb.js";
import { UnsealService } from "../../gen/kms/v1/unseal_pb.js";
import { KeyVersionService } from "../../gen/kms/v1/versions_pb.js";
import { SecretsManagerService } from "../../gen/ssm/v1/ssm_pb.js";
import type { Credentials } from "../../src/pipeline/credentials.js";
import type { Served } from "../../src/pipeline/pipeline.js";
import { keyIdOfCiphertext } from "../../src/keys/resources.js";
import { callMethod, expectOk, openInProcess, type InProcess } from "../helpers/in-process.js";

const R1 = "ap-guangzhou";
const R2 = "ap-shanghai";
const A = 100000000001n;

/** Everything of A a call can name. */
interface Ids {
  account: bigint;
  keyId: string;
  extKeyId: string;
  rsaKeyId: string;
  sm2KeyId: string;
  eccKeyId: string;
  kemKeyId: string;
  dsaKeyId: string;
  blob: Uint8Array;
  pqBlob: Uint8Array;
  signature: Uint8Array;
  pqSignature: Uint8Array;
  importToken: string;
  principalUin: bigint;
  policyName: string;
  tokenId: string;
  secretId: string;
  fingerprint: string;
  certificatePem: string;
  secretName: string;
  sshKeyId: string;
  package: Uint8Array;
}

/** "named": the call names A's resources and must be refused as if they did not exist; "own": it names none of them. */
interface Case<I extends DescMessage> {
  names: "named" | "own";
  request: (ids: Ids) => MessageInitShape<I>;
}
type Cases<S extends DescService> = {
  [K in keyof S["method"]]: S["method"][K] extends { input: infer I extends DescMessage } ? Case<I> : never;
};

const named = <I extends DescMessage>(request: (ids: Ids) => MessageInitShape<I>): Case<I> => ({ names: "named", request });
const own = <I extends DescMessage>(request: (ids: Ids) => MessageInitShape<I>): Case<I> => ({ names: "own", request });
const text = (s: string) => Buffer.from(s);
const POLICY = JSON.stringify({ version: "2.0", statement: [{ effect: "allow", action: ["kms:Encrypt"], resource: ["*"] }] });

const KMS_CASES: Cases<typeof KeyManagementService> = {
  createKey: own(() => ({ alias: "shared-alias", description: "B's own" })),
  describeKey: named((i) => ({ keyId: i.keyId })),
  describeKeys: own((i) => ({ keyIds: [i.keyId, i.rsaKeyId] })),
  listKeys: own(() => ({})),
  listKeyDetail: own(() => ({ allKeyUsages: true })),
  updateAlias: named((i) => ({ keyId: i.keyId, alias: "renamed" })),
  updateKeyDescription: named((i) => ({ keyId: i.keyId, description: "mine now" })),
  enableKey: named((i) => ({ keyId: i.keyId })),
  disableKey: named((i) => ({ keyId: i.keyId })),
  enableKeys: named((i) => ({ keyIds: [i.keyId] })),
  disableKeys: named((i) => ({ keyIds: [i.keyId, i.rsaKeyId] })),
  scheduleKeyDeletion: named((i) => ({ keyId: i.keyId, pendingWindowInDays: 7 })),
  cancelKeyDeletion: named((i) => ({ keyId: i.keyId })),
  archiveKey: named((i) => ({ keyId: i.keyId })),
  cancelKeyArchive: named((i) => ({ keyId: i.keyId })),
  getServiceStatus: own(() => ({})),
  getRegions: own(() => ({})),
  encrypt: named((i) => ({ keyId: i.keyId, plaintext: text("x") })),
  decrypt: named((i) => ({ ciphertextBlob: i.blob })),
  reEncrypt: named((i) => ({ ciphertextBlob: i.blob, destinationKeyId: i.keyId })),
  generateDataKey: named((i) => ({ keyId: i.keyId, keySpec: DataKeySpec.AES_256 })),
  generateRandom: own(() => ({ numberOfBytes: 16 })),
  enableKeyRotation: named((i) => ({ keyId: i.keyId, rotateDays: 30 })),
  disableKeyRotation: named((i) => ({ keyId: i.keyId })),
  getKeyRotationStatus: named((i) => ({ keyId: i.keyId })),
  rotateKey: named((i) => ({ keyId: i.keyId })),
  getParametersForImport: named((i) => ({ keyId: i.extKeyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" })),
  importKeyMaterial: named((i) => ({ keyId: i.extKeyId, importToken: i.importToken, encryptedKeyMaterial: new Uint8Array(256) })),
  deleteImportedKeyMaterial: named((i) => ({ keyId: i.extKeyId })),
  getPublicKey: named((i) => ({ keyId: i.rsaKeyId })),
  signByAsymmetricKey: named((i) => ({ keyId: i.eccKeyId, algorithm: "ECC_P256_R1", message: text("m"), messageType: MessageType.RAW })),
  verifyByAsymmetricKey: named((i) => ({ keyId: i.eccKeyId, algorithm: "ECC_P256_R1", message: text("m"), messageType: MessageType.RAW, signatureValue: i.signature })),
  asymmetricRsaDecrypt: named((i) => ({ keyId: i.rsaKeyId, ciphertext: new Uint8Array(256), algorithm: "RSAES_OAEP_SHA_256" })),
  asymmetricSm2Decrypt: named((i) => ({ keyId: i.sm2KeyId, ciphertext: new Uint8Array(120) })),
  listAlgorithms: own(() => ({})),
  postQuantumCryptoEncrypt: named((i) => ({ keyId: i.kemKeyId, plainText: text("x") })),
  postQuantumCryptoDecrypt: named((i) => ({ ciphertextBlob: i.pqBlob })),
  postQuantumCryptoSign: named((i) => ({ keyId: i.dsaKeyId, message: text("m") })),
  postQuantumCryptoVerify: named((i) => ({ keyId: i.dsaKeyId, message: text("m"), signatureValue: i.pqSignature })),
  bindCloudResource: named((i) => ({ keyId: i.keyId, productId: "cvm", resourceId: "ins-b" })),
  unbindCloudResource: named((i) => ({ keyId: i.keyId, productId: "cvm", resourceId: "ins-a" })),
};

const VERSION_CASES: Cases<typeof KeyVersionService> = {
  listKeyVersions: named((i) => ({ keyId: i.keyId })),
  describeKeyVersion: named((i) => ({ keyId: i.keyId, version: 1 })),
  enableKeyVersion: named((i) => ({ keyId: i.keyId, version: 1 })),
  disableKeyVersion: named((i) => ({ keyId: i.keyId, version: 1 })),
  scheduleKeyVersionDeletion: named((i) => ({ keyId: i.keyId, version: 1, pendingWindowInDays: 7 })),
  cancelKeyVersionDeletion: named((i) => ({ keyId: i.keyId, version: 1 })),
};

const SECRETS_CASES: Cases<typeof SecretsManagerService> = {
  // With A's CMK: the key domain's CmkNotFound, as SSM reports a KMS refusal.
  createSecret: named((i) => ({ secretName: "b-secret", versionId: "v1", secretString: "x", kmsKeyId: i.keyId })),
  getSecretValue: named((i) => ({ secretName: i.secretName, versionId: "v1" })),
  putSecretValue: named((i) => ({ secretName: i.secretName, versionId: "v2", secretString: "y" })),
  updateSecret: named((i) => ({ secretName: i.secretName, versionId: "v1", secretString: "y" })),
  updateDescription: named((i) => ({ secretName: i.secretName, description: "mine now" })),
  describeSecret: named((i) => ({ secretName: i.secretName })),
  listSecrets: own(() => ({})),
  listSecretVersionIds: named((i) => ({ secretName: i.secretName })),
  deleteSecret: named((i) => ({ secretName: i.secretName, recoveryWindowInDays: 0 })),
  deleteSecretVersion: named((i) => ({ secretName: i.secretName, versionId: "v1" })),
  restoreSecret: named((i) => ({ secretName: i.secretName })),
  enableSecret: named((i) => ({ secretName: i.secretName })),
  disableSecret: named((i) => ({ secretName: i.secretName })),
  createSSHKeyPairSecret: named((i) => ({ secretName: "b-ssh", projectId: 0n, kmsKeyId: i.keyId })),
  getSSHKeyPairValue: named((i) => ({ sshKeyId: i.sshKeyId })),
  getServiceStatus: own(() => ({})),
  getRegions: own(() => ({})),
  enableSecretVersion: named((i) => ({ secretName: i.secretName, versionId: "v1" })),
  disableSecretVersion: named((i) => ({ secretName: i.secretName, versionId: "v1" })),
  updateSecretVersion: named((i) => ({ secretName: i.secretName, versionId: "v1", validTo: 2_000_000_000n })),
  describeSecretVersion: named((i) => ({ secretName: i.secretName, versionId: "v1" })),
  exportSecret: named((i) => ({ secretName: i.secretName, kmsKeyId: i.keyId })),
  importSecret: named((i) => ({ package: i.package, kmsKeyId: i.keyId })),
  // Product secrets: A's ordinary secret by name (A would get "not a product secret"; B must get not-found).
  createProductSecret: named((i) => ({ secretName: "b-product", productName: "Mysql", instanceId: "a-instance", domains: ["%"], privilegesList: [{ privilegeName: "GlobalPrivileges", privileges: ["SELECT"] }], kmsKeyId: i.keyId, userNamePrefix: "b" })),
  rotateProductSecret: named((i) => ({ secretName: i.secretName })),
  updateRotationStatus: named((i) => ({ secretName: i.secretName, enableRotation: false })),
  describeRotationDetail: named((i) => ({ secretName: i.secretName })),
  describeRotationHistory: named((i) => ({ secretName: i.secretName })),
  describeAsyncRequestInfo: named(() => ({ flowId: 1n })),
  describeSupportedProducts: own(() => ({})),
  // Registration logs in to the database: here none listens, so B's attempt is refused and stores nothing.
  registerDatabaseInstance: own(() => ({ instanceId: "b-instance", productName: "Mysql", host: "127.0.0.1", port: 1, adminUser: "root", adminPassword: "x" })),
  listDatabaseInstances: own(() => ({})),
  deregisterDatabaseInstance: named(() => ({ instanceId: "a-instance" })),
};

const ADMIN_CASES: Cases<typeof AdminService> = {
  createAccessKey: named((i) => ({ principalUin: i.principalUin })),
  listAccessKeys: own((i) => ({ principalUin: i.principalUin })),
  enableAccessKey: named((i) => ({ secretId: i.secretId })),
  disableAccessKey: named((i) => ({ secretId: i.secretId })),
  deleteAccessKey: named((i) => ({ secretId: i.secretId })),
  createPrincipal: own(() => ({ name: "alice" })),
  listPrincipals: own(() => ({})),
  deletePrincipal: named((i) => ({ uin: i.principalUin })),
  createPolicy: own(() => ({ name: "b-policy", document: POLICY })),
  updatePolicy: named((i) => ({ name: i.policyName, document: POLICY })),
  listPolicies: own(() => ({})),
  deletePolicy: named((i) => ({ name: i.policyName })),
  attachPolicy: named((i) => ({ principalUin: i.principalUin, policyName: i.policyName })),
  detachPolicy: named((i) => ({ principalUin: i.principalUin, policyName: i.policyName })),
  createToken: named((i) => ({ principalUin: i.principalUin })),
  listTokens: own((i) => ({ principalUin: i.principalUin })),
  deleteToken: named((i) => ({ tokenId: i.tokenId })),
  registerCertificate: named((i) => ({ principalUin: i.principalUin, certificatePem: i.certificatePem })),
  listCertificates: own((i) => ({ principalUin: i.principalUin })),
  deleteCertificate: named((i) => ({ fingerprint: i.fingerprint })),
  queryAuditEvents: own(() => ({ limit: 1000 })),
  verifyAuditLog: named(() => ({})),
};

const TRUST_CASES: Cases<typeof TrustService> = {
  getKeyringStatus: named(() => ({})),
  rotateKeyring: named(() => ({})),
  rotateRootOfTrust: named(() => ({})),
};

const OPERATOR_CASES: Cases<typeof OperatorService> = {
  createAccount: named(() => ({ name: "made-by-b" })),
  listAccounts: named(() => ({})),
  disableAccount: named((i) => ({ uin: i.account })),
  enableAccount: named((i) => ({ uin: i.account })),
  setAccountOrganization: named((i) => ({ memberUin: i.account, organizationUin: 0n })),
};

const UNSEAL_CASES: Cases<typeof UnsealService> = {
  getSealStatus: own(() => ({})),
  initializeSeal: own(() => ({ shares: 3, threshold: 2 })),
  submitUnsealShare: own(() => ({ share: "kmss1.x" })),
};

/** The answers a call naming another scope's resources may get: what a missing resource gets. */
function isNotFoundOrDenied(s: Served): boolean {
  if (s.ok) return false;
  const { code, message } = s.outcome;
  if (code === "ResourceUnavailable.CmkNotFound" || code === "ResourceNotFound" || code === "UnauthorizedOperation") return true;
  // Secrets Manager reports the key domain's refusal as its own code, the key domain's in the message.
  return code === "FailedOperation.AccessKmsError" && message.includes("ResourceUnavailable.CmkNotFound");
}

/** JSON of anything a call carries (bigints as decimal, bytes as base64, and the key a ciphertext names), to look for identifiers in. */
function flat(value: unknown): string {
  return (
    JSON.stringify(value, (_k, v: unknown) => {
      if (typeof v === "bigint") return v.toString();
      if (v instanceof Uint8Array) return `${Buffer.from(v).toString("base64")} ${keyIdOfCiphertext(v) ?? ""}`;
      return v;
    }) ?? ""
  );
}

/** A blob naming another key: the key id sits at bytes 2..18 of both blob formats. */
function withKeyId(blob: Uint8Array, keyId: string): Uint8Array {
  const out = Buffer.from(blob);
  Buffer.from(keyId.replace(/-/g, ""), "hex").copy(out, 2);
  return out;
}

/** Ids of the same shapes as A's that name nothing anywhere. */
function ghostsOf(a: Ids): Ids {
  const key = () => randomUUID();
  const ghostKey = key();
  const ghostKem = key();
  return {
    ...a,
    account: 100900000000n + BigInt(Math.floor(Math.random() * 1e8)),
    keyId: ghostKey,
    extKeyId: key(),
    rsaKeyId: key(),
    sm2KeyId: key(),
    eccKeyId: key(),
    kemKeyId: ghostKem,
    dsaKeyId: key(),
    blob: withKeyId(a.blob, ghostKey),
    pqBlob: withKeyId(a.pqBlob, ghostKem),
    importToken: randomBytes(a.importToken.length).toString("base64url").slice(0, a.importToken.length),
    principalUin: 100800000000n + BigInt(Math.floor(Math.random() * 1e8)),
    policyName: `ghost-${randomBytes(4).toString("hex")}`,
    tokenId: `kmst${randomBytes(8).toString("hex")}`,
    secretId: `AKID${randomBytes(16).toString("hex")}`,
    fingerprint: randomBytes(32).toString("hex"),
    secretName: `ghost-${randomBytes(4).toString("hex")}`,
    sshKeyId: `skey-${randomBytes(4).toString("hex")}`,
  };
}

/** A message with every id of `ids` replaced by its field name, to compare answers about different ids. */
function normalised(message: string, ids: Ids): string {
  let out = message;
  for (const [field, v] of Object.entries(ids)) if (typeof v === "string" || typeof v === "bigint") out = out.split(v.toString()).join(`<${field}>`);
  return out;
}

let kms: InProcess;
let pki: string;
let ids: Ids;
let bToken: string;
const rootA = (): Credentials => ({ kind: "token", token: kms.token });

async function as<M extends { input: DescMessage }>(method: M, request: MessageInitShape<M["input"]>, credentials: Credentials, region = R1): Promise<Served> {
  return callMethod(kms.core.pipeline, method as never, request as never, credentials, { region });
}

async function ok<T>(method: { input: DescMessage }, request: object, credentials = rootA(), region = R1): Promise<T> {
  return expectOk<T>(as(method, request as never, credentials, region));
}

/** What A holds, read as A's root: must be the same before and after anyone else's calls. */
async function snapshotOfA(): Promise<string> {
  const parts: unknown[] = [];
  const keys = await ok<{ keyMetadatas: { keyId: string }[] }>(KeyManagementService.method.listKeyDetail, { allKeyUsages: true, limit: 100 });
  parts.push(keys);
  for (const k of keys.keyMetadatas) parts.push(await ok(KeyVersionService.method.listKeyVersions, { keyId: k.keyId }));
  parts.push(await ok(KeyManagementService.method.getServiceStatus, {}));
  for (const m of [AdminService.method.listPrincipals, AdminService.method.listPolicies, AdminService.method.listTokens, AdminService.method.listAccessKeys, AdminService.method.listCertificates]) parts.push(await ok(m, {}));
  parts.push(await ok(SecretsManagerService.method.listSecrets, {}));
  parts.push(await ok(SecretsManagerService.method.describeSecret, { secretName: ids.secretName }));
  parts.push(await ok(SecretsManagerService.method.getSecretValue, { secretName: ids.secretName, versionId: "v1" }));
  parts.push(await ok(KeyManagementService.method.getKeyRotationStatus, { keyId: ids.keyId }));
  return flat(parts);
}

beforeAll(async () => {
  kms = await openInProcess({ KMS_REGIONS: `${R1},${R2}` });
  pki = await mkdtemp(join(tmpdir(), "kms-isolation-"));
  await promisify(execFile)("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", "k.pem", "-out", "c.pem", "-days", "30", "-subj", "/CN=alice"], { cwd: pki });
  const certificatePem = await readFile(join(pki, "c.pem"), "utf8");

  // A makes one of everything.
  const create = async (init: object) => (await ok<{ keyId: string }>(KeyManagementService.method.createKey, init)).keyId;
  const keyId = await create({ alias: "shared-alias", description: "a-private-description" });
  await create({ alias: "a-only-alias" });
  const extKeyId = await create({ alias: "a-external", type: 2 });
  const rsaKeyId = await create({ alias: "a-rsa", keyUsage: KeyUsage.ASYMMETRIC_DECRYPT_RSA_2048 });
  const sm2KeyId = await create({ alias: "a-sm2", keyUsage: KeyUsage.ASYMMETRIC_DECRYPT_SM2 });
  const eccKeyId = await create({ alias: "a-ecc", keyUsage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC });
  const kemKeyId = await create({ alias: "a-kem", keyUsage: KeyUsage.ASYMMETRIC_DECRYPT_ML_KEM_768 });
  const dsaKeyId = await create({ alias: "a-dsa", keyUsage: KeyUsage.ASYMMETRIC_SIGN_VERIFY_ML_DSA_65 });
  await ok(KeyManagementService.method.enableKeyRotation, { keyId, rotateDays: 30 });
  await ok(KeyManagementService.method.rotateKey, { keyId });
  await ok(KeyManagementService.method.bindCloudResource, { keyId, productId: "cvm", resourceId: "ins-a" });
  const blob = (await ok<{ ciphertextBlob: Uint8Array }>(KeyManagementService.method.encrypt, { keyId, plaintext: text("a's secret") })).ciphertextBlob;
  const importToken = (await ok<{ importToken: string }>(KeyManagementService.method.getParametersForImport, { keyId: extKeyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" })).importToken;
  const signature = (await ok<{ signature: Uint8Array }>(KeyManagementService.method.signByAsymmetricKey, { keyId: eccKeyId, algorithm: "ECC_P256_R1", message: text("m"), messageType: MessageType.RAW })).signature;
  const pqBlob = (await ok<{ ciphertextBlob: Uint8Array }>(KeyManagementService.method.postQuantumCryptoEncrypt, { keyId: kemKeyId, plainText: text("x") })).ciphertextBlob;
  const pqSignature = (await ok<{ signature: Uint8Array }>(KeyManagementService.method.postQuantumCryptoSign, { keyId: dsaKeyId, message: text("m") })).signature;
  const principalUin = (await ok<{ principal: { uin: bigint } }>(AdminService.method.createPrincipal, { name: "alice" })).principal.uin;
  await ok(AdminService.method.createPolicy, { name: "a-only-policy", document: POLICY });
  await ok(AdminService.method.attachPolicy, { principalUin, policyName: "a-only-policy" });
  const tokenId = (await ok<{ token: { tokenId: string } }>(AdminService.method.createToken, { principalUin })).token.tokenId;
  const secretId = (await ok<{ accessKey: { secretId: string } }>(AdminService.method.createAccessKey, { principalUin })).accessKey.secretId;
  const fingerprint = (await ok<{ certificate: { fingerprint: string } }>(AdminService.method.registerCertificate, { principalUin, certificatePem })).certificate.fingerprint;
  await ok(SecretsManagerService.method.createSecret, { secretName: "a-secret", versionId: "v1", secretString: "a's password", kmsKeyId: keyId });
  const sshKeyId = (await ok<{ sshKeyId: string }>(SecretsManagerService.method.createSSHKeyPairSecret, { secretName: "a-ssh", projectId: 0n })).sshKeyId;
  const pkg = (await ok<{ package: Uint8Array }>(SecretsManagerService.method.exportSecret, { secretName: "a-secret", kmsKeyId: keyId })).package;
  ids = { account: A, keyId, extKeyId, rsaKeyId, sm2KeyId, eccKeyId, kemKeyId, dsaKeyId, blob, pqBlob, signature, pqSignature, importToken, principalUin, policyName: "a-only-policy", tokenId, secretId, fingerprint, certificatePem, secretName: "a-secret", sshKeyId, package: pkg };

  bToken = (await ok<{ rootToken: string }>(OperatorService.method.createAccount, { name: "tenant-b" })).rootToken;
}, 60_000);

afterAll(async () => {
  await kms?.dispose();
  if (pki) await rm(pki, { recursive: true, force: true });
});

interface Finding {
  method: string;
  problem: string;
}

/** Everything a caller has sent so far: its own audit trail may name it. */
const sent = new Map<string, string>();

/**
 * Calls every method of `service` as `credentials` in `region`, and reports
 * what broke isolation. `markers` are the strings no answer may carry unless
 * the caller itself sent them.
 */
async function sweep<S extends DescService>(service: S, cases: Cases<S>, credentials: Credentials, region: string, markers: readonly string[]): Promise<{ findings: Finding[]; refused: number; own: number }> {
  const who = flat(credentials) + region;
  const findings: Finding[] = [];
  let refused = 0;
  let owned = 0;
  const ghosts = ghostsOf(ids);
  for (const method of service.methods) {
    const c = (cases as unknown as Record<string, Case<DescMessage>>)[method.localName];
    if (!c) {
      findings.push({ method: method.name, problem: "no case" });
      continue;
    }
    const request = c.request(ids);
    const served = await as(method as never, request as never, credentials, region);
    const said = served.ok ? flat(served.output) : `${served.outcome.code} ${served.outcome.message}`;
    const asked = `${sent.get(who) ?? ""} ${flat(request)}`;
    sent.set(who, asked);
    for (const m of markers) if (said.includes(m) && !asked.includes(m)) findings.push({ method: method.name, problem: `answer carries ${m}: ${said.slice(0, 300)}` });
    if (!served.ok && served.outcome.code === "InternalError") findings.push({ method: method.name, problem: `InternalError: ${served.outcome.message}` });
    if (c.names === "own") {
      owned++;
      continue;
    }
    refused++;
    if (!isNotFoundOrDenied(served)) {
      findings.push({ method: method.name, problem: `expected not-found or denied, got ${said.slice(0, 300)}` });
      continue;
    }
    // Exactly as for ids that never existed: same code, same message but for the id.
    const ghost = await as(method as never, c.request(ghosts) as never, credentials, region);
    const mine = served.ok ? "" : `${served.outcome.code} ${normalised(served.outcome.message, ids)}`;
    const theirs = ghost.ok ? "ok" : `${ghost.outcome.code} ${normalised(ghost.outcome.message, ghosts)}`;
    if (mine !== theirs) findings.push({ method: method.name, problem: `answers differently than for a missing resource: "${mine}" vs "${theirs}"` });
  }
  return { findings, refused, own: owned };
}

function markersOf(i: Ids, withAccount: boolean): string[] {
  const m = [i.keyId, i.extKeyId, i.rsaKeyId, i.sm2KeyId, i.eccKeyId, i.kemKeyId, i.dsaKeyId, i.importToken, i.tokenId, i.secretId, i.fingerprint, i.secretName, i.sshKeyId, "a-only-alias", "a-private-description", "a-only-policy", "a-ssh"];
  return withAccount ? [...m, i.account.toString(), i.principalUin.toString()] : m;
}

describe("account B sees nothing of account A", () => {
  it("every method of every service, with A's ids, is refused as for missing ids or answers only B's own", async () => {
    const before = await snapshotOfA();
    const b: Credentials = { kind: "token", token: bToken };
    const markers = markersOf(ids, true);
    const all: Finding[] = [];
    const counts: Record<string, [number, number]> = {};
    for (const [service, cases] of [
      [KeyManagementService, KMS_CASES],
      [KeyVersionService, VERSION_CASES],
      [SecretsManagerService, SECRETS_CASES],
      [AdminService, ADMIN_CASES],
      [TrustService, TRUST_CASES],
      [OperatorService, OPERATOR_CASES],
      [UnsealService, UNSEAL_CASES],
    ] as const) {
      const r = await sweep(service as DescService, cases as never, b, R1, markers);
      all.push(...r.findings);
      counts[service.typeName] = [r.refused, r.own];
    }
    expect(all).toEqual([]);
    // Every method was tried: 41 + 6 + 33 + 22 + 3 + 5 + 3.
    expect(Object.values(counts).reduce((n, [r, o]) => n + r + o, 0)).toBe(113);
    expect(await snapshotOfA()).toBe(before);
  }, 120_000);

  it("files none of B's calls in A's audit trail, and shows B only its own", async () => {
    const eventsOf = async (credentials: Credentials) => (await ok<{ events: { accountUin: bigint; memberAccountUins: bigint[]; keyIds: string[] }[] }>(AdminService.method.queryAuditEvents, { limit: 1000 }, credentials)).events;
    const b: Credentials = { kind: "token", token: bToken };
    const inA = await eventsOf(rootA());
    const inB = await eventsOf(b);
    const bUin = inB[0]?.accountUin;
    expect(bUin).toBeDefined();
    expect(bUin).not.toBe(A);
    expect(inB.length).toBeGreaterThan(100);
    expect(inB.every((e) => e.accountUin === bUin)).toBe(true);
    expect(inA.some((e) => e.accountUin !== A)).toBe(false);
    expect(inA.length).toBeGreaterThan(20);
  });
});

describe("region ap-shanghai sees nothing of ap-guangzhou", () => {
  it("every regional method, from A's own root in the other region, is refused as for missing ids or answers only that region's", async () => {
    const before = await snapshotOfA();
    // A's account and principals are A's in both regions: only the regional resources are markers.
    const markers = markersOf(ids, false).filter((m) => m !== "a-only-policy");
    const all: Finding[] = [];
    for (const [service, cases] of [
      [KeyManagementService, KMS_CASES],
      [KeyVersionService, VERSION_CASES],
      [SecretsManagerService, SECRETS_CASES],
    ] as const) all.push(...(await sweep(service as DescService, cases as never, rootA(), R2, markers)).findings);
    expect(all).toEqual([]);
    expect(await snapshotOfA()).toBe(before);
  }, 120_000);
});
