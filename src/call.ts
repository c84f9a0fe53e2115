/**
 * What one call is, as every family sees it: who is calling (Identity), on
 * whose behalf and where (CallContext), and how its changes are written
 * (Journal). These types sit below access/, keys/ and every other family, so
 * none of them imports another to learn what a call is.
 */
import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { BatchOp, Guard, Revision } from "./store/store.js";

/** Who made a call, as an edge established it from a verified credential. */
export interface Identity {
  /** The principal's uin (for an account's root, the account's uin). */
  uin: bigint;
  /** The account the principal belongs to: where its calls act, unless they name a member account. */
  account: bigint;
  name: string;
  root: boolean;
  /** The root of the default account: manages accounts, the keyring and the root of trust. */
  operator: boolean;
  /** Public id of the credential used: SecretId, token id, or "cert:<fingerprint prefix>". */
  credential: string;
}

/**
 * Writes one state change of a call as a single batch. The pipeline's journal
 * puts the call's audit event in that same batch, so a change is stored if
 * and only if its event is. `subjects` names the resources the change wrote
 * (a created key's id), so the event can name them too. `guards` are what the
 * change read and relies on (store.ts Guard): if another writer (another
 * replica) changed any of them, nothing is written and the journal rejects
 * with StoreConflictError, for the family to read again and re-run. A journal
 * must hand the guards to the store with the batch: one that drops them
 * lets two replicas' conflicting changes both land.
 */
export type Journal = (ops: readonly BatchOp[], subjects?: readonly string[], guards?: readonly Guard[]) => Promise<unknown>;

/**
 * The store revision a journal's write landed at, when the journal says: the
 * pipeline's resolves with the stored event and its revision, a bare store
 * journal (tests) with the revision itself.
 */
export function journaledRevision(result: unknown): Revision | undefined {
  if (typeof result === "bigint") return result;
  const revision = (result as { revision?: unknown } | null | undefined)?.revision;
  return typeof revision === "bigint" ? revision : undefined;
}

/** One item of a batch: the answer, or the code and message the single call would have answered. */
export type ItemResult<M extends DescMethod> = { ok: true; output: MessageInitShape<M["output"]> } | { ok: false; code: string; message: string };

/** The caller of one request: authenticated by a transport, authorised by the gate (access/gate.ts). */
export interface CallContext {
  requestId: string;
  /**
   * Account the call acts in (owner of the keys it sees): the caller's own,
   * or the member account its request names (MemberAccount) when the caller's
   * account is that member's organisation.
   */
  uin: bigint;
  /** Region the call names (API 3.0 X-TC-Region) or the service's default region. */
  region: string;
  /** Who is calling: the root or a sub-user of that account. */
  principal: Identity;
  /** How this call writes its changes (see Journal). */
  journal: Journal;
  /**
   * Runs a method of a registered service as item `index` of this call (batch
   * crypto): authorised and audited on its own, as if it had been sent alone
   * (its RequestId is this call's followed by "/<index>"). Present on calls of
   * services registered with `authorizesPerItem`.
   */
  invoke?: <M extends DescMethod>(method: M, request: MessageShape<M["input"]>, index: number) => Promise<ItemResult<M>>;
  /**
   * The accounts a multi-account listing covers (MemberAccounts), each already
   * checked to be the caller's own or a member of its organisation; absent:
   * just `uin`.
   */
  accounts?: readonly bigint[];
}

/**
 * A family's actions, one function per RPC of its service, keyed as the
 * descriptor names its methods: a missing or misspelt action does not compile,
 * and every transport dispatches through the same table.
 */
export type ActionTable<S extends DescService, D> = {
  [K in keyof S["method"]]: S["method"][K] extends { input: infer I extends DescMessage; output: infer O extends DescMessage }
    ? (deps: D, req: MessageShape<I>, call: CallContext) => Promise<MessageInitShape<O>>
    : never;
};

/** Condition keys a family can give values for (the policy engine's vocabulary; qcs:ip comes from the transport). */
export const CONDITION_KEYS = {
  /** The caller's source address. */
  ip: "qcs:ip",
  /** The resource's tags, one value per tag, written "tagKey&tagValue". */
  resourceTag: "qcs:resource_tag",
  /** One member of the request's EncryptionContext. */
  encryptionContext: (name: string) => `kms:encryption_context/${name}`,
  encryptionContextPrefix: "kms:encryption_context/",
} as const;

/** Resource names, as policies match them (CAM's qcs form). */
export const RESOURCE_NAMES = {
  /** The account as a whole, for calls about no one resource (CreateKey, ListKeys...). */
  account: (service: string, region: string, account: string) => `qcs::${service}:${region}:uin/${account}:*`,
  /** One key. */
  key: (region: string, account: string, creatorUin: string, keyId: string) => `qcs::kms:${region}:uin/${account}:key/creatorUin/${creatorUin}/${keyId}`,
  /** One principal (CAM's form): what an admin call about its credentials or policies acts on. */
  principal: (account: string, principalUin: string) => `qcs::cam::uin/${account}:uin/${principalUin}`,
  /** One policy (CAM's form). */
  policy: (account: string, name: string) => `qcs::cam::uin/${account}:policy/${name}`,
} as const;

/** One resource a request is about, as the policy engine checks it. */
export interface ResourceRef {
  /** Its name: qcs::kms:<region>:uin/<account>:key/creatorUin/<creator>/<keyId>, qcs::ssm:...:secret/... */
  resource: string;
  /** Condition values this resource brings: qcs:resource_tag, kms:encryption_context/<name>. */
  conditions?: readonly (readonly [string, readonly string[]])[];
}

/** Where a call acts: the account and the region it names, and who calls (a resource a call creates is the caller's). */
export interface CallScope {
  account: string;
  region: string;
  /** Decimal uin of the calling principal. */
  principalUin: string;
}

/**
 * What a family's requests are about, for authorisation and the audit event.
 * `subjects` is cheap and synchronous (the ids a request names, for the audit
 * event of every call); `resources` may read records (creator, tags) and runs
 * only when a policy must decide. An empty `resources` list means the call is
 * about the account as a whole.
 */
export interface RequestResources {
  subjects(method: DescMethod, req: MessageShape<DescMessage>): string[];
  resources(method: DescMethod, req: MessageShape<DescMessage>, scope: CallScope): Promise<ResourceRef[]>;
}
