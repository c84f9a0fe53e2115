import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListSecretsRequest, ListSecretsResponseSchema } from "../../../gen/ssm/v1/ssm_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { SecretsDeps } from "../deps.js";
import { secretMetadata, statusOfFilter } from "../present.js";
import type { SecretRecord } from "../secret.js";
import { assertOneOf, DEFAULT_PAGE } from "../validate.js";
import { productViewOf, scopeOf } from "./common.js";

type Filter = (s: SecretRecord) => boolean;

/** One predicate per ListSecrets filter, as the SDK documents each; combined with AND. */
function filtersOf(req: ListSecretsRequest): Filter[] {
  const filters: Filter[] = [(s) => s.secretType === req.secretType];
  if (req.state !== 0) {
    const status = statusOfFilter(req.state);
    filters.push((s) => s.status === status);
  }
  if (req.searchSecretName !== "") filters.push((s) => s.name.includes(req.searchSecretName));
  for (const tf of req.tagFilters)
    filters.push((s) => s.tags.some((t) => t.key === tf.tagKey && (tf.tagValue.length === 0 || tf.tagValue.includes(t.value))));
  // Every secret here is encrypted under a KMS CMK (EncryptType 0); software-key secrets (1) do not exist.
  if (req.encryptType === 1) filters.push(() => false);
  if (req.secretType === 1 && req.productName !== "") {
    const products = new Set(req.productName.split(",").map((p) => p.trim()));
    filters.push((s) => s.product !== undefined && products.has(s.product.name));
  }
  if (req.instanceId !== "") filters.push((s) => s.product?.instanceId === req.instanceId);
  return filters;
}

/** ListSecrets: the account's secrets in the region, every filter applied, ordered by creation time, paged. */
export async function listSecrets(deps: SecretsDeps, req: ListSecretsRequest, call: CallContext): Promise<MessageInitShape<typeof ListSecretsResponseSchema>> {
  assertOneOf("OrderType", req.orderType, [0, 1]);
  assertOneOf("State", req.state, [0, 1, 2, 3, 4, 5]);
  assertOneOf("SecretType", req.secretType, [0, 1, 2, 3]);
  assertOneOf("EncryptType", req.encryptType, [0, 1]);
  if (req.tagFilters.some((tf) => tf.tagKey === "")) throw new KmsError("InvalidParameterValue", "TagFilters.TagKey must not be empty");
  const filters = filtersOf(req);
  const matching = (await deps.repo.list(scopeOf(call))).filter((s) => filters.every((f) => f(s)));
  const direction = req.orderType === 1 ? 1 : -1;
  matching.sort((a, b) => direction * (a.createTime - b.createTime) || a.name.localeCompare(b.name));
  const limit = req.limit === 0 ? DEFAULT_PAGE : req.limit;
  const page = matching.slice(req.offset, req.offset + limit);
  return { totalCount: matching.length, secretMetadatas: await Promise.all(page.map(async (s) => secretMetadata(s, await productViewOf(deps, s)))) };
}
