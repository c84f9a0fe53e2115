import type { MessageInitShape } from "@bufbuild/protobuf";
import type { TagFilter } from "../../../gen/kms/v1/kms_pb.js";
import type { DescribeWhiteBoxKeyDetailsRequest, DescribeWhiteBoxKeyDetailsResponseSchema } from "../../../gen/kms/v1/whitebox_pb.js";
import type { CallContext } from "../../call.js";
import { scopeOf, type WhiteBoxDeps } from "../deps.js";
import type { WhiteBoxKeyRecord } from "../key.js";
import { keyInfo } from "../present.js";
import { statusFilter } from "../state.js";
import { assertTagFilters, detailsPageLimit } from "../validate.js";

function tagMatches(key: WhiteBoxKeyRecord, filter: TagFilter): boolean {
  const tag = key.tags.find((t) => t.key === filter.tagKey);
  return tag !== undefined && (filter.tagValue.length === 0 || filter.tagValue.includes(tag.value));
}

/**
 * DescribeWhiteBoxKeyDetails: the account's keys in the region, oldest first
 * (new keys land on the last page, so paging is stable), filtered by state
 * and tags, with their table files. A page holds at most 2 keys: an AES-256
 * key carries about 1.5 MB of tables (2 MB as base64), and 2 keys stay under
 * the 4 MB a gRPC client receives by default.
 */
export async function describeWhiteBoxKeyDetails(
  deps: WhiteBoxDeps,
  req: DescribeWhiteBoxKeyDetailsRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof DescribeWhiteBoxKeyDetailsResponseSchema>> {
  const inState = statusFilter(req.keyStatus);
  assertTagFilters(req.tagFilters);
  const limit = detailsPageLimit(req.limit);
  const matching = (await deps.repo.list(scopeOf(call)))
    .filter((k) => inState(k) && req.tagFilters.every((f) => tagMatches(k, f)))
    .sort((a, b) => a.createTime - b.createTime || (a.keyId < b.keyId ? -1 : a.keyId > b.keyId ? 1 : 0));
  const page = matching.slice(req.offset, req.offset + limit);
  return { keyInfos: await Promise.all(page.map((k) => keyInfo(deps, k))), totalCount: matching.length };
}
