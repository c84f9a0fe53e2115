import type { MessageInitShape } from "@bufbuild/protobuf";
import type { UpdateRotationStatusRequest, UpdateRotationStatusResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { SecretsDeps } from "../deps.js";
import { subjectOf } from "../present.js";
import { parseApiTime } from "../products/rotation.js";
import { assertSecretAction } from "../state.js";
import { assertSecretName } from "../validate.js";
import { loadSecret, refOf, scopeOf } from "./common.js";

/** UpdateRotationStatus's Frequency: "最小为30天，最大为365天". */
export const MIN_ROTATION_DAYS = 30;
export const MAX_ROTATION_DAYS = 365;

/**
 * UpdateRotationStatus: turns a product secret's automatic rotation on (from
 * RotationBeginTime, or now) or off, and sets its period; the scheduler
 * rotates it when due. One batch.
 */
export async function updateRotationStatus(
  deps: SecretsDeps,
  req: UpdateRotationStatusRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof UpdateRotationStatusResponseSchema>> {
  assertSecretName(req.secretName);
  if (req.enableRotation === undefined) throw new KmsError("MissingParameter", "The parameter `EnableRotation` is missing");
  if (req.frequency !== undefined && (req.frequency < MIN_ROTATION_DAYS || req.frequency > MAX_ROTATION_DAYS))
    throw new KmsError("InvalidParameterValue", `Frequency must be ${MIN_ROTATION_DAYS} to ${MAX_ROTATION_DAYS} days`);
  if (!req.enableRotation && req.rotationBeginTime !== "")
    throw new KmsError("InvalidParameterValue", "RotationBeginTime applies only when EnableRotation is true");
  const beginTime = req.rotationBeginTime === "" ? undefined : parseApiTime(req.rotationBeginTime, "RotationBeginTime");
  const scope = scopeOf(call);
  const secret = await loadSecret(deps, scope, req.secretName);
  assertSecretAction(secret, "UpdateRotationStatus");
  await deps.products.updateRotation(
    refOf(scope, secret.name),
    { enabled: req.enableRotation, ...(req.frequency !== undefined ? { frequencyDays: req.frequency } : {}), ...(beginTime !== undefined ? { beginTime } : {}) },
    { write: (ops, guards) => deps.repo.commit(ops, call.journal, [subjectOf(secret.name)], undefined, guards) },
  );
  return {};
}
