/**
 * The usable key for a purpose. This is the one place where a key id (from a
 * request, or named by a ciphertext blob) becomes a key record, and the one
 * place that decides whether that key may serve: its origin and usage (what
 * it can do), its state (state.ts), which version (the primary one, or the one
 * a blob names: version-state.ts), and that version's material, unsealed once
 * and cached. Each action resolves its key once, in the order the checks are
 * listed here:
 *
 *   id → record (CmkNotFound) → origin → usage kind → the request's algorithm
 *   and message → key state → version → material
 *
 * Other families encrypt under a CMK the same way: resolveKey(deps, call,
 * "encrypt", keyId), then sealUnderKey (cmk-blobs.ts).
 */
import { KmsError, type ErrorCode } from "../errors.js";
import { invalidCiphertext } from "../crypto/ciphertext.js";
import type { Aead, SymmetricAlgorithm } from "../crypto/primitives.js";
import type { AsymmetricSpecName, MessageType } from "../crypto/asymmetric/types.js";
import type { CallContext } from "../call.js";
import type { KmsDeps } from "./deps.js";
import type { KeyOrigin, KeyRecord, KeyScope } from "./key.js";
import { assertTransition, type KeyAction } from "./state.js";
import { ASYMMETRIC_USAGES, assertAlgorithm, assertMessage, usageKind, type AsymmetricKeyUsage, type UsageKind } from "./usages.js";
import { assertKeyId } from "./validate.js";
import { loadAead, loadKeyPair, symmetricAlgorithmOf } from "./version-material.js";
import { decryptableVersion, primaryVersion } from "./versions.js";

/** A symmetric key ready to seal or open blobs: what a blob under it names (algorithm, key id, version) and the version's Aead. */
export interface SymmetricKeyUse {
  readonly key: KeyRecord;
  readonly keyId: string;
  readonly keyVersion: number;
  readonly algorithm: SymmetricAlgorithm;
  readonly aead: Aead;
}

/** An asymmetric key ready for the engine: its spec and one version's key pair. */
export interface AsymmetricKeyUse {
  readonly key: KeyRecord;
  readonly keyVersion: number;
  readonly spec: AsymmetricSpecName;
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** The version a ciphertext names, and (symmetric blobs) the algorithm it says it was made with. */
export interface NamedVersion {
  readonly keyVersion: number;
  readonly algorithm?: { readonly name: string };
}

/** A signature request's algorithm and message, checked against the key's spec before its state. */
export interface SignatureRequest {
  readonly algorithm: string;
  readonly message: Uint8Array;
  readonly messageType: MessageType;
}

/** AsymmetricRsaDecrypt and AsymmetricSm2Decrypt: the key spec the action is for, and the algorithm it names. */
export interface DecryptionRequest {
  readonly spec: AsymmetricSpecName;
  readonly algorithm?: string;
}

/** The request field that held the key id, for the messages of InvalidKeyId (default KeyId). */
export interface KeyField {
  readonly field: string;
}

/** For each purpose: what the caller passes beyond the key id, and what it gets. */
interface Purposes {
  /** New ciphertext under the primary version (Encrypt, GenerateDataKey, ReEncrypt's destination; other families). */
  encrypt: { detail: KeyField | undefined; use: SymmetricKeyUse };
  /** Open a blob with the version it names (Decrypt, ReEncrypt's source). */
  decrypt: { detail: NamedVersion; use: SymmetricKeyUse };
  sign: { detail: SignatureRequest; use: AsymmetricKeyUse };
  verify: { detail: SignatureRequest; use: AsymmetricKeyUse };
  "asymmetric-decrypt": { detail: DecryptionRequest; use: AsymmetricKeyUse };
  "pq-encrypt": { detail: undefined; use: AsymmetricKeyUse };
  "pq-decrypt": { detail: NamedVersion; use: AsymmetricKeyUse };
  "pq-sign": { detail: undefined; use: AsymmetricKeyUse };
  "pq-verify": { detail: undefined; use: AsymmetricKeyUse };
  "public-key": { detail: undefined; use: AsymmetricKeyUse };
  /** Any key, in any state (Describe*, ListKeyVersions, UpdateKeyDescription, UnbindCloudResource, GetKeyRotationStatus). */
  describe: { detail: KeyField | undefined; use: KeyRecord };
  "import-parameters": { detail: undefined; use: KeyRecord };
  /** ImportKeyMaterial, DeleteImportedKeyMaterial: an EXTERNAL key; the action then applies its transition (state.ts). */
  import: { detail: undefined; use: KeyRecord };
  rotate: { detail: undefined; use: KeyRecord };
  "rotation-settings": { detail: undefined; use: KeyRecord };
  "manage-versions": { detail: undefined; use: KeyRecord };
  bind: { detail: undefined; use: KeyRecord };
}

export type Purpose = keyof Purposes;
export type ResolvedKey<P extends Purpose> = Purposes[P]["use"];
type DetailArgs<P extends Purpose> = undefined extends Purposes[P]["detail"] ? [detail?: Purposes[P]["detail"]] : [detail: Purposes[P]["detail"]];

interface PurposeRule {
  /** Keys of any other origin are refused with `refusal`, saying the key `why` (checked first). */
  origin?: { only: KeyOrigin; refusal: ErrorCode; why: string };
  /** The usage kinds that may serve; any other key answers InvalidKeyUsage. Absent: any key. */
  kinds?: readonly UsageKind[];
  /** Checks of what the request names against the key (spec, algorithm, message), before its state. */
  check?: (key: KeyRecord, detail: never) => void;
  /** The row of the key state table the key must pass. Absent: any state. */
  state?: KeyAction;
  /** Which version serves: the primary one, or the one the caller names. Absent: the record is the answer. */
  version?: "primary" | "named";
  /** What of the version is made ready: its Aead, or its key pair. */
  material?: "aead" | "pair";
}

const ASYMMETRIC_KINDS: readonly UsageKind[] = ["decrypt", "sign", "pq-encrypt", "pq-sign"];
const EXTERNAL_ONLY = { only: "EXTERNAL", refusal: "UnsupportedOperation.NotExternalCmk", why: "is not an EXTERNAL key" } as const;
const GENERATED_ONLY = { only: "TENCENT_KMS", refusal: "UnsupportedOperation.ExternalCmkCanNotRotate", why: "holds imported material and cannot rotate" } as const;

function checkSignature(key: KeyRecord, request: SignatureRequest): void {
  const usage = key.keyUsage as AsymmetricKeyUsage;
  assertAlgorithm(usage, request.algorithm);
  assertMessage(ASYMMETRIC_USAGES[usage].spec, request.algorithm, request.message, request.messageType);
}

function checkDecryption(key: KeyRecord, request: DecryptionRequest): void {
  const usage = key.keyUsage as AsymmetricKeyUsage;
  if (ASYMMETRIC_USAGES[usage].spec !== request.spec) throw invalidKeyUsage(key);
  if (request.algorithm !== undefined) assertAlgorithm(usage, request.algorithm);
}

/** The resolver's table: for each purpose, the checks in the order they run. */
const PURPOSES: Readonly<Record<Purpose, PurposeRule>> = {
  encrypt: { kinds: ["symmetric"], state: "Encrypt", version: "primary", material: "aead" },
  decrypt: { kinds: ["symmetric"], state: "Decrypt", version: "named", material: "aead" },
  sign: { kinds: ["sign"], check: checkSignature, state: "Encrypt", version: "primary", material: "pair" },
  verify: { kinds: ["sign"], check: checkSignature, state: "Decrypt", version: "primary", material: "pair" },
  "asymmetric-decrypt": { kinds: ["decrypt"], check: checkDecryption, state: "Decrypt", version: "primary", material: "pair" },
  "pq-encrypt": { kinds: ["pq-encrypt"], state: "Encrypt", version: "primary", material: "pair" },
  "pq-decrypt": { kinds: ["pq-encrypt"], state: "Decrypt", version: "named", material: "pair" },
  "pq-sign": { kinds: ["pq-sign"], state: "Encrypt", version: "primary", material: "pair" },
  "pq-verify": { kinds: ["pq-sign"], state: "Decrypt", version: "primary", material: "pair" },
  "public-key": { kinds: ASYMMETRIC_KINDS, state: "Decrypt", version: "primary", material: "pair" },
  describe: {},
  "import-parameters": { origin: EXTERNAL_ONLY, state: "GetParametersForImport" },
  import: { origin: EXTERNAL_ONLY },
  rotate: { origin: GENERATED_ONLY, kinds: ["symmetric"], state: "RotateKey" },
  "rotation-settings": { origin: GENERATED_ONLY, kinds: ["symmetric"], state: "ChangeKeyRotation" },
  "manage-versions": { state: "ManageKeyVersions" },
  bind: { state: "BindCloudResource" },
};

export function keyNotFound(keyId: string): KmsError {
  return new KmsError("ResourceUnavailable.CmkNotFound", `key ${keyId} does not exist`);
}

function invalidKeyUsage(key: KeyRecord): KmsError {
  return new KmsError("InvalidParameterValue.InvalidKeyUsage", `key ${key.keyId} (${key.keyUsage}) does not allow this operation`);
}

/** The scope a call acts in: its account (call.uin: its own, or a member account it names) and region. */
export function callScope(call: CallContext): KeyScope {
  return { account: call.uin.toString(), region: call.region };
}

/** Every scope a call covers: one, or one per account of a multi-account listing (MemberAccounts). */
export function callScopes(call: CallContext): KeyScope[] {
  return (call.accounts ?? [call.uin]).map((a) => ({ account: a.toString(), region: call.region }));
}

/**
 * A stored record as the call may see it. Every lookup by key id passes here:
 * a key of another account or region is answered exactly as a missing one
 * (CmkNotFound, never naming its owner).
 */
function visible(call: CallContext, key: KeyRecord | undefined): KeyRecord | undefined {
  if (key === undefined || key.region !== call.region) return undefined;
  if (call.accounts === undefined) return key.account === call.uin.toString() ? key : undefined;
  return call.accounts.some((a) => key.account === a.toString()) ? key : undefined;
}

type Detail = Purposes[Purpose]["detail"];
type Resolved = ResolvedKey<Purpose>;

/**
 * The key `keyId` names, usable for `purpose`, or the documented refusal.
 * `detail` is what the purpose needs beyond the id: the version a blob names,
 * a signature request's algorithm and message, the field that held the id.
 */
export function resolveKey<P extends Purpose>(deps: KmsDeps, call: CallContext, purpose: P, keyId: string, ...detail: DetailArgs<P>): Promise<ResolvedKey<P>>;
// One implementation signature without a rest parameter: no array per call on the Encrypt path.
export async function resolveKey(deps: KmsDeps, call: CallContext, purpose: Purpose, keyId: string, detail?: Detail): Promise<Resolved> {
  const rule = PURPOSES[purpose];
  assertKeyId(keyId, (detail as Partial<KeyField> | undefined)?.field);
  const key = visible(call, await deps.repo.getKey(keyId));
  if (!key) throw keyNotFound(keyId);
  if (rule.origin && key.origin !== rule.origin.only) throw new KmsError(rule.origin.refusal, `key ${key.keyId} ${rule.origin.why}`);
  if (rule.kinds && !rule.kinds.includes(usageKind(key))) throw invalidKeyUsage(key);
  rule.check?.(key, detail as never);
  if (rule.state) assertTransition(key, rule.state);
  if (!rule.version) return key;
  const named = rule.version === "named" ? (detail as NamedVersion) : undefined;
  const version = named ? namedVersion(key, named) : primaryVersion(key);
  if (version === undefined) throw new KmsError("ResourceUnavailable.CmkStateNotSupport", `key ${key.keyId} has no enabled version`);
  return rule.material === "aead" ? symmetricUse(deps, key, version, named !== undefined) : asymmetricUse(deps, key, version);
}

/** A key for a request that only names it (no usage, state or version checks). */
export function findKey(deps: KmsDeps, call: CallContext, keyId: string, field?: string): Promise<KeyRecord> {
  return resolveKey(deps, call, "describe", keyId, field === undefined ? undefined : { field });
}

/** Several keys by id, in order; undefined where none is visible. The ids are checked by the caller. */
export async function findKeys(deps: KmsDeps, call: CallContext, keyIds: readonly string[]): Promise<(KeyRecord | undefined)[]> {
  return (await deps.repo.getKeys(keyIds)).map((key) => visible(call, key));
}

/** The version a blob names: made with the key's algorithm, still there, and decryptable (version-state.ts). */
function namedVersion(key: KeyRecord, named: NamedVersion): number {
  if (named.algorithm !== undefined && named.algorithm.name !== key.algorithm) throw invalidCiphertext();
  return decryptableVersion(key, named.keyVersion).version;
}

/** A version the key lists but whose record is gone: the primary one is our fault, a named one is a bad blob. */
function symmetricUse(deps: KmsDeps, key: KeyRecord, keyVersion: number, named: boolean): Promise<SymmetricKeyUse> | SymmetricKeyUse {
  const algorithm = symmetricAlgorithmOf(key);
  const cached = deps.materials.get(key.keyId, keyVersion);
  if (cached) return { key, keyId: key.keyId, keyVersion, algorithm, aead: cached };
  const missing = named ? invalidCiphertext : () => new KmsError("InternalError", `key ${key.keyId} version ${keyVersion} is missing`);
  return loadAead(deps, key, keyVersion, algorithm, missing).then((aead) => ({ key, keyId: key.keyId, keyVersion, algorithm, aead }));
}

function asymmetricUse(deps: KmsDeps, key: KeyRecord, keyVersion: number): Promise<AsymmetricKeyUse> | AsymmetricKeyUse {
  const spec = ASYMMETRIC_USAGES[key.keyUsage as AsymmetricKeyUsage].spec;
  const cached = deps.privateKeys.get(key.keyId, keyVersion);
  if (cached) return { key, keyVersion, spec, privateKey: cached.privateKey, publicKey: cached.publicKey };
  return loadKeyPair(deps, key, keyVersion).then((pair) => ({ key, keyVersion, spec, privateKey: pair.privateKey, publicKey: pair.publicKey }));
}
