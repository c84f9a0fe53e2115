/** The `action` field: "*" or "<service>:<name>" with `*` wildcards, matched case-insensitively as CAM does. */
import { anyOf, compileGlob } from "./glob.js";
import { invalid, show, stringList } from "./json.js";
import type { Matcher } from "./types.js";

const ACTION_RE = /^(?:\*|[a-z]+:[A-Za-z0-9*]+)$/;

/** Matcher over lower-cased action names; callers lower-case the request's action once. */
export function compileActions(value: unknown, path: string): Matcher {
  return anyOf(
    stringList(value, path).map((item) => {
      if (!ACTION_RE.test(item.value))
        throw invalid(
          item.path,
          `invalid action ${show(item.value)}: expected "*" or "<service>:<name>" (service lowercase letters, name letters, digits and "*")`,
        );
      return compileGlob(item.value.toLowerCase(), false);
    }),
  );
}
