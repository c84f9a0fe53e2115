/**
 * Resource names (qcs::kms:<region>:uin/<ownerUin>:...) and the `resource`
 * field's patterns. Matching is case-sensitive; `*` crosses `/` and `:`.
 */
import { RESOURCE_NAMES } from "../../call.js";
import { anyOf, compileGlob } from "./glob.js";
import { invalid, show, stringList } from "./json.js";
import type { Matcher } from "./types.js";

/** The resource a call about one key is checked against. */
export const buildKeyResource = RESOURCE_NAMES.key;

/** The resource a KMS call not about one key (CreateKey, ListKeys, ...) is checked against. */
export function buildAccountResource(region: string, ownerUin: string): string {
  return RESOURCE_NAMES.account("kms", region, ownerUin);
}

/** Index of the 4th colon-separated field (qcs:project:service:REGION:...). */
const REGION_FIELD = 3;

export function compileResources(value: unknown, path: string): Matcher {
  return anyOf(
    stringList(value, path).map((item) => {
      if (item.value !== "*" && !item.value.startsWith("qcs:"))
        throw invalid(item.path, `invalid resource ${show(item.value)}: expected "*" or a name starting with "qcs:"`);
      return compileResourcePattern(item.value);
    }),
  );
}

/** Resource paths whose last segment is an id lower-case by construction (a UUID, a generated id): matched without regard to its case. */
const CASELESS_PATHS = /^(?:key|datakey|whitebox)\//;

/**
 * A resource name (or pattern) in its canonical case: the service and region
 * fields, and the id at the end of a key-like resource's path (a lower-case
 * UUID), lower-cased; everything else (secret names, principal names) as
 * given. A policy naming a key id in upper case then still matches (a deny
 * written so does not silently fail open).
 */
export function normaliseResource(name: string): string {
  const fields = name.split(":");
  if (fields.length < 6) return name;
  fields[2] = (fields[2] as string).toLowerCase();
  fields[3] = (fields[3] as string).toLowerCase();
  let path = fields.slice(5).join(":");
  if (CASELESS_PATHS.test(path)) {
    const cut = path.lastIndexOf("/") + 1;
    path = path.slice(0, cut) + path.slice(cut).toLowerCase();
  }
  return [...fields.slice(0, 5), path].join(":");
}

function compileResourcePattern(raw: string): Matcher {
  const pattern = normaliseResource(raw);
  const fields = pattern.split(":");
  if (fields.length <= REGION_FIELD || fields[REGION_FIELD] !== "") return compileGlob(pattern, false);
  // CAM convention: an empty region matches every region. Match the fields
  // before and after it separately, so the region is any one field.
  const head = compileGlob(fields.slice(0, REGION_FIELD).join(":"), false);
  const tail = fields.length > REGION_FIELD + 1 ? compileGlob(fields.slice(REGION_FIELD + 1).join(":"), false) : null;
  return (resource) => {
    const split = splitAtRegion(resource);
    if (split === null || !head(split.head)) return false;
    return tail === null ? split.tail === null : split.tail !== null && tail(split.tail);
  };
}

/** "a:b:c:REGION:rest" → head "a:b:c", tail "rest" (null when nothing follows the region). */
function splitAtRegion(resource: string): { head: string; tail: string | null } | null {
  let colon = -1;
  for (let i = 0; i < REGION_FIELD; i++) {
    colon = resource.indexOf(":", colon + 1);
    if (colon < 0) return null;
  }
  const next = resource.indexOf(":", colon + 1);
  return { head: resource.slice(0, colon), tail: next < 0 ? null : resource.slice(next + 1) };
}
