import type { MessageInitShape } from "@bufbuild/protobuf";
import type { CreateProductSecretRequest, CreateProductSecretResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { SecretsDeps } from "../deps.js";
import { subjectOf } from "../present.js";
import { parseApiTime, type CreateInput } from "../products/rotation.js";
import type { SecretRecord } from "../secret.js";
import { assertDescription, assertEncryptType, assertKmsKeyId, assertNoHsmCluster, assertSecretName, assertTags } from "../validate.js";
import { assertRoomFor, countLock, refOf, resolveKmsKey, scopeOf, secretExists, tagsOf } from "./common.js";

/**
 * CreateProductSecret: validate (the secret's fields, then the product's:
 * prefix, hosts, privileges, instance) → refuse a taken name or a full region
 * → resolve the CMK (the default one is made on first use) → one batch: the
 * secret (Creating, no value yet), its binding and a create flow, which makes
 * the two accounts in the background. The flow commits the first credentials
 * and the secret turns Enabled, or it fails and the secret turns Failed
 * (DescribeAsyncRequestInfo says why).
 */
export async function createProductSecret(
  deps: SecretsDeps,
  req: CreateProductSecretRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof CreateProductSecretResponseSchema>> {
  assertSecretName(req.secretName);
  assertDescription(req.description);
  assertEncryptType(req.encryptType);
  assertNoHsmCluster(req.kmsHsmClusterId);
  if (req.kmsKeyId !== "") assertKmsKeyId(req.kmsKeyId);
  if (req.accountRemark !== "") throw new KmsError("InvalidParameterValue", "AccountRemark must be empty: accounts made here carry no remark");
  if (req.accountType !== "") throw new KmsError("InvalidParameterValue", "AccountType must be empty: it applies to SQL Server accounts only");
  const tags = tagsOf(req.tags);
  assertTags(tags);
  const scope = scopeOf(call);
  const input: CreateInput = {
    ref: refOf(scope, req.secretName),
    product: req.productName,
    instanceId: req.instanceId,
    userNamePrefix: req.userNamePrefix,
    domains: req.domains,
    privileges: req.privilegesList,
    rotation: {
      enabled: req.enableRotation,
      ...(req.rotationFrequency !== undefined ? { frequencyDays: req.rotationFrequency } : {}),
      ...(req.rotationBeginTime !== "" ? { beginTime: parseApiTime(req.rotationBeginTime, "RotationBeginTime") } : {}),
    },
  };
  deps.products.validateCreate(input);
  await deps.products.instances.get(input.ref, req.instanceId);
  // Refuse what is certain to fail before any key work (and before a default CMK is made for nothing).
  if (await deps.repo.get(scope, req.secretName)) throw secretExists(req.secretName);
  assertRoomFor(deps, scope);

  const { kmsKeyId, kmsKeyType } = await resolveKmsKey(deps, call, req.kmsKeyId);
  const record: SecretRecord = {
    name: req.secretName,
    ...scope,
    description: req.description,
    kmsKeyId,
    kmsKeyType,
    creatorUin: call.principal.uin.toString(),
    status: "Creating",
    secretType: 1,
    createTime: deps.clock.now(),
    additionalConfig: "",
    tags,
    versions: [],
    product: { name: req.productName, instanceId: req.instanceId },
  };
  const flow = await deps.products.startCreate(input, {
    lockNames: [countLock(scope)],
    precheck: async () => {
      if (await deps.repo.get(scope, record.name)) throw secretExists(record.name);
      assertRoomFor(deps, scope);
    },
    extraOps: [deps.repo.putRecord(record)],
    // Another replica may take the name meanwhile: the batch is refused, re-run, and the precheck answers SecretExists.
    extraGuards: [deps.repo.absentRecord(scope, record.name)],
    write: (ops, guards) => deps.repo.commit(ops, call.journal, [subjectOf(record.name)], { scope, delta: 1 }, guards),
  });
  return { secretName: record.name, tagCode: 0, tagMsg: "Success", flowId: BigInt(flow.flowId) };
}
