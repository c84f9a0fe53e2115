/**
 * Flattened API 3.0 parameters (GET query, form body, the v1 signature's
 * params) → the nested tree a JSON body would carry. The SDKs flatten as
 * `KeyIds.0=a`, `Tags.0.TagKey=k`; numeric segments become array indexes.
 * Trees are null-prototype objects, so no parameter name can reach a prototype.
 */
import { KmsError } from "../../errors.js";

export type ParamTree = { [key: string]: ParamValue };
export type ParamValue = string | ParamTree | ParamValue[];

/** Common parameters of the v1 form and of GET requests: not part of an action's input. */
export const COMMON_PARAMS = new Set([
  "Action",
  "Version",
  "Region",
  "Timestamp",
  "Nonce",
  "SecretId",
  "Signature",
  "SignatureMethod",
  "RequestClient",
  "Language",
  "Token",
]);

const MAX_DEPTH = 6;
const MAX_INDEX = 1000;

function tree(): ParamTree {
  return Object.create(null) as ParamTree;
}

/** Objects whose keys are all array indexes become arrays, ordered by index. */
function arrayify(node: ParamValue): ParamValue {
  if (typeof node === "string" || Array.isArray(node)) return node;
  const keys = Object.keys(node);
  for (const k of keys) node[k] = arrayify(node[k] as ParamValue);
  if (keys.length === 0 || !keys.every((k) => /^(0|[1-9]\d*)$/.test(k))) return node;
  const indexes = keys.map(Number).sort((a, b) => a - b);
  if (indexes[indexes.length - 1]! > MAX_INDEX) throw new KmsError("InvalidParameter", "a parameter index is out of range");
  return indexes.map((i) => node[String(i)] as ParamValue);
}

export function unflatten(params: Iterable<[string, string]>): ParamTree {
  const root = tree();
  for (const [name, value] of params) {
    if (COMMON_PARAMS.has(name)) continue;
    const path = name.split(".");
    if (path.length > MAX_DEPTH || path.some((p) => p === "")) throw new KmsError("InvalidParameter", `parameter name ${name.slice(0, 100)} is malformed`);
    let node = root;
    for (const [i, segment] of path.entries()) {
      const last = i === path.length - 1;
      const existing = node[segment];
      if (last) {
        if (existing !== undefined) throw new KmsError("InvalidParameter", `parameter ${name.slice(0, 100)} is given twice or clashes with another`);
        node[segment] = value;
      } else {
        if (typeof existing === "string" || Array.isArray(existing)) throw new KmsError("InvalidParameter", `parameter ${name.slice(0, 100)} clashes with another`);
        node = (node[segment] ??= tree()) as ParamTree;
      }
    }
  }
  return arrayify(root) as ParamTree;
}

/** Parses `a=1&b=2` (query string or form body) into pairs, keeping duplicates for unflatten to refuse. */
export function parseQuery(text: string): [string, string][] {
  return [...new URLSearchParams(text).entries()];
}
