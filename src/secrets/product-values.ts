/**
 * The secrets family's side of product secrets: the ProductSecretValues port
 * of products/ over this family's sealed versions, so a product secret's
 * credentials are stored, encrypted by its CMK and read (GetSecretValue)
 * exactly like any other secret's values.
 *
 * A product secret's versions:
 *
 *   SSM_Current     the current credentials, {"UserName","Password"}: what clients read
 *   SSM_<FlowID>    the credentials each create or rotation flow committed, oldest first;
 *                   the newest MAX_VERSIONS are kept (DescribeRotationHistory's VersionIDs)
 *
 * The flows call commitOps and failOps under the secret's lock (locks.ts), so
 * the record they read cannot change in this process before their batch is
 * written; the guards they return keep another replica's change from being
 * lost (the flow's batch is refused and the step runs again).
 */
import type { CallContext } from "../call.js";
import { KmsError } from "../errors.js";
import type { BatchOp } from "../store/store.js";
import type { SecretsDeps } from "./deps.js";
import { secretString, type ProductCredentials, type ProductSecretValues, type SecretRef } from "./products/values.js";
import type { SecretRecord, SecretScope, SecretVersionInfo } from "./secret.js";
import { allows, assertSecretAction } from "./state.js";
import { DEFAULT_VERSION_ID, MAX_VERSIONS } from "./validate.js";
import { openValue, sealValue } from "./values.js";

/** The version a flow's value gets besides SSM_Current. */
export const flowVersionId = (flowId: number) => `SSM_${flowId}`;

/** The committed versions of a product secret, oldest first (every version but SSM_Current). */
export function historyOf(secret: SecretRecord): SecretVersionInfo[] {
  return secret.versions.filter((v) => v.versionId !== DEFAULT_VERSION_ID);
}

const scopeOfRef = (ref: SecretRef): SecretScope => ({ account: ref.uin, region: ref.region });

/**
 * The call a background flow makes to the key domain: the account's own, with
 * no journal of its own (a flow writes its batches itself). The key domain
 * needs no caller to encrypt or decrypt under a key the secret already names.
 */
function flowCall(ref: SecretRef): CallContext {
  const uin = BigInt(ref.uin);
  return {
    requestId: "ssm-product-flow",
    uin,
    region: ref.region,
    principal: { uin, account: uin, name: "ssm-product-flow", root: true, operator: false, credential: "ssm-product-flow" },
    journal: () => Promise.reject(new Error("a product flow writes its own batches")),
  };
}

function parseCredentials(bytes: Uint8Array, what: string): ProductCredentials {
  try {
    const parsed = JSON.parse(Buffer.from(bytes).toString("utf8")) as Partial<ProductCredentials>;
    if (typeof parsed.UserName === "string" && typeof parsed.Password === "string") return { UserName: parsed.UserName, Password: parsed.Password };
  } catch {
    // reported below, without the bytes
  }
  throw new KmsError("InternalError", `the stored value of ${what} is not a product secret's credentials`);
}

export function createProductValues(deps: Pick<SecretsDeps, "repo" | "cipher">): ProductSecretValues {
  const load = async (ref: SecretRef): Promise<SecretRecord | undefined> => deps.repo.get(scopeOfRef(ref), ref.secretName);
  const open = async (secret: SecretRecord, versionId: string, ref: SecretRef) => {
    const value = await openValue(deps, flowCall(ref), secret, versionId);
    try {
      return parseCredentials(value.bytes, `version ${versionId} of secret ${secret.name}`);
    } finally {
      value.bytes.fill(0);
    }
  };

  return {
    async read(ref) {
      const secret = await load(ref);
      if (!secret || secret.secretType !== 1) return {};
      const history = historyOf(secret);
      const hasCurrent = secret.versions.some((v) => v.versionId === DEFAULT_VERSION_ID);
      const current = hasCurrent ? await open(secret, DEFAULT_VERSION_ID, ref) : undefined;
      const before = history.at(-2);
      const previous = before ? await open(secret, before.versionId, ref) : undefined;
      return { ...(current ? { current } : {}), ...(previous ? { previous } : {}) };
    },

    async commitOps(ref, next, at) {
      const secret = await load(ref);
      if (!secret) throw new KmsError("ResourceNotFound", `secret ${ref.secretName} does not exist`);
      const status = assertSecretAction(secret, secret.status === "Creating" ? "ProductCreated" : "ProductRotated");
      const versionId = flowVersionId(at.flowId);
      const call = flowCall(ref);
      const scope = scopeOfRef(ref);
      const bytes = Buffer.from(secretString(next), "utf8");
      const after: SecretRecord = { ...secret, status };
      let current, committed;
      try {
        current = await sealValue(deps, call, after, DEFAULT_VERSION_ID, { kind: "string", bytes });
        committed = await sealValue(deps, call, after, versionId, { kind: "string", bytes });
      } finally {
        bytes.fill(0);
      }
      const was = secret.versions.find((v) => v.versionId === DEFAULT_VERSION_ID);
      const currentInfo: SecretVersionInfo = was ? { ...was, updateTime: at.nowMs } : { versionId: DEFAULT_VERSION_ID, state: "Enabled", createTime: at.nowMs };
      const history = [...historyOf(secret).filter((v) => v.versionId !== versionId), { versionId, state: "Enabled" as const, createTime: at.nowMs }];
      const dropped = history.slice(0, Math.max(0, history.length - MAX_VERSIONS));
      after.versions = [currentInfo, ...history.slice(dropped.length)];
      const ops: BatchOp[] = [
        deps.repo.putRecord(after),
        deps.repo.putValue(scope, secret.name, DEFAULT_VERSION_ID, current),
        deps.repo.putValue(scope, secret.name, versionId, committed),
        ...dropped.map((v) => deps.repo.delValue(scope, secret.name, v.versionId)),
      ];
      return { ops, versionId, guards: [deps.repo.guardOf(secret)] };
    },

    async assertRotatable(ref) {
      const secret = await load(ref);
      if (!secret) throw new KmsError("ResourceNotFound", `secret ${ref.secretName} does not exist`);
      assertSecretAction(secret, "RotateProductSecret");
    },

    async failOps(ref, at) {
      if (at.kind !== "create") return { ops: [] };
      const secret = await load(ref);
      if (!secret || !allows(secret, "ProductCreateFailed")) return { ops: [] };
      return { ops: [deps.repo.putRecord({ ...secret, status: assertSecretAction(secret, "ProductCreateFailed") })], guards: [deps.repo.guardOf(secret)] };
    },
  };
}
