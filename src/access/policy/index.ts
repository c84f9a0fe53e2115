/** CAM-style policy engine: parse once (parsePolicy), evaluate per call (evaluate). Pure: no I/O, no clock. */
export { parsePolicy, MAX_POLICY_CHARS, MAX_STATEMENTS } from "./parse.js";
export { evaluate, mayAllowAction } from "./evaluate.js";
export { buildAccountResource, buildKeyResource, normaliseResource } from "./resource.js";
export { IP_KEY, RESOURCE_TAG_KEY, encryptionContextKey } from "./condition.js";
export { normaliseIp } from "./ip.js";
export type { IpAddress, IpFamily } from "./ip.js";
export type {
  AccessRequest,
  CompiledCondition,
  CompiledPolicy,
  CompiledStatement,
  Decision,
  Effect,
  Matcher,
} from "./types.js";
