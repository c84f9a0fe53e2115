/**
 * The port through which rotation reads and commits a product secret's value.
 * The secrets family implements it over its sealed secret versions; rotation
 * never sees how a value is stored, only the ops that store it, so it can
 * write them in the same batch as the flow record that marks the flow Done.
 *
 * A product secret's value (SecretString) is the JSON
 * {"UserName": "...", "Password": "..."}: what Tencent's SSM rotation SDKs
 * parse from GetSecretValue(VersionId "SSM_Current").
 */
import type { BatchOp, Guard } from "../../store/store.js";
import type { Scope } from "./instance.js";

export interface ProductCredentials {
  UserName: string;
  Password: string;
}

/** A secret by its name in an account and region. */
export interface SecretRef extends Scope {
  secretName: string;
}

export interface CommitContext {
  flowId: number;
  nowMs: number;
}

export interface ProductSecretValues {
  /**
   * The credentials last committed as current, and the ones current before
   * them; both undefined until the first flow (the create flow) is Done.
   */
  read(ref: SecretRef): Promise<{ current?: ProductCredentials; previous?: ProductCredentials }>;
  /**
   * Ops that make `next` the current value and the current one previous.
   * Nothing is written by this call: the ops go into the flow's final batch,
   * guarded by `guards` (what the ops rest on: the secret record as read).
   * Returns the version id the new value gets (DescribeRotationHistory).
   */
  commitOps(ref: SecretRef, next: ProductCredentials, at: CommitContext): Promise<{ ops: BatchOp[]; versionId: string; guards?: Guard[] }>;
  /**
   * Throws (a KmsError with the code to answer) unless the secret may rotate
   * now: the engine asks under the secret's lock before it starts a rotation,
   * and the scheduler skips a secret that may not.
   */
  assertRotatable(ref: SecretRef): Promise<void>;
  /** Ops written with a flow's Failed record (a secret whose create flow failed becomes Failed); may be none. `guards`: what they rest on. */
  failOps(ref: SecretRef, at: CommitContext & { kind: "create" | "rotate"; reason: string }): Promise<{ ops: BatchOp[]; guards?: Guard[] }>;
}

/** The SecretString of product credentials, as GetSecretValue returns it. */
export function secretString(credentials: ProductCredentials): string {
  return JSON.stringify({ UserName: credentials.UserName, Password: credentials.Password });
}
