import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeleteSecretRequest, DeleteSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { BatchOp, Guard } from "../../store/store.js";
import type { SecretsDeps } from "../deps.js";
import { seconds, subjectOf } from "../present.js";
import type { SecretRecord } from "../secret.js";
import { assertSecretAction } from "../state.js";
import { assertOneOf, assertRecoveryWindow, assertSecretName } from "../validate.js";
import { loadSecret, refOf, scopeOf, underSecretLocks } from "./common.js";

const DAY_MS = 86_400_000;

/**
 * DeleteSecret: a Disabled secret is purged now (RecoveryWindowInDays 0, with
 * every version) or turns PendingDelete until its DeleteTime, when the
 * scheduler purges it (scheduler.ts) unless RestoreSecret is called.
 *
 * A product secret goes with its binding, flows and history. DeleteMode 1
 * also drops its two database accounts: now (before anything is written, so a
 * database that refuses refuses the call and nothing changes), or at the
 * purge. DeleteMode 0, the SDK's default, leaves the accounts on the
 * database, as SSM does. A secret whose create or rotation flow is running
 * waits for it (FailedOperation).
 */
export async function deleteSecret(deps: SecretsDeps, req: DeleteSecretRequest, call: CallContext): Promise<MessageInitShape<typeof DeleteSecretResponseSchema>> {
  assertSecretName(req.secretName);
  assertRecoveryWindow(req.recoveryWindowInDays);
  assertOneOf("DeleteMode", req.deleteMode, [0, 1]);
  const scope = scopeOf(call);
  const now = deps.clock.now();
  const deleteTime = now + req.recoveryWindowInDays * DAY_MS;
  // Guarded by the secret (and its binding) as read: a change on another replica meanwhile re-runs it.
  await underSecretLocks(deps, scope, req.secretName, async () => {
    const secret = await loadSecret(deps, scope, req.secretName);
    const next = assertSecretAction(secret, "DeleteSecret");
    if (secret.ssh && req.recoveryWindowInDays !== 0)
      throw new KmsError("InvalidParameterValue", "RecoveryWindowInDays must be 0 for SSH key pair secrets");
    if (req.deleteMode === 1 && secret.secretType !== 1)
      throw new KmsError("InvalidParameterValue", "DeleteMode 1 (delete the accounts too) applies to cloud-product secrets only");
    const subjects = [subjectOf(secret.name)];
    const ref = refOf(scope, secret.name);
    const binding = secret.secretType === 1 ? await deps.products.binding(ref) : undefined;
    if (binding?.flowInProgress !== undefined)
      throw new KmsError("FailedOperation", `flow ${binding.flowInProgress} of secret ${secret.name} is running: delete the secret once it ends (DescribeAsyncRequestInfo)`);
    const guards: Guard[] = [deps.repo.guardOf(secret)];
    if (req.recoveryWindowInDays === 0) {
      const productOps: BatchOp[] = [];
      if (secret.secretType === 1) {
        if (req.deleteMode === 1) await deps.products.dropAccounts(ref);
        const purge = await deps.products.purgeOps(ref);
        productOps.push(...purge.ops);
        guards.push(...purge.guards);
      }
      await deps.repo.commit([...deps.repo.purgeOps(secret), ...productOps], call.journal, subjects, { scope, delta: -1 }, guards);
      return;
    }
    const after: SecretRecord = { ...secret, status: next, deleteTime };
    if (secret.product && req.deleteMode === 1) after.product = { ...secret.product, dropAccounts: true };
    if (binding) guards.push(deps.products.repo.guardOf(binding));
    await deps.repo.commit([deps.repo.putRecord(after), deps.repo.putDeletion(deleteTime, scope, secret.name)], call.journal, subjects, undefined, guards);
  });
  return { secretName: req.secretName, deleteTime: seconds(deleteTime), flowId: 0n };
}
