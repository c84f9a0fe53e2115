/**
 * Wildcard patterns without regular expressions: a pattern with many `*` run
 * as a backtracking regex can take exponential time on a long input, and this
 * runs on every call. The two-pointer match below is O(pattern × text).
 */
import type { Matcher } from "./types.js";

const always: Matcher = () => true;

/**
 * `*` matches any run of characters (including none); with `questionMark`,
 * `?` matches exactly one. Everything else is literal and case-sensitive.
 */
export function compileGlob(pattern: string, questionMark: boolean): Matcher {
  const p = pattern.replace(/\*{2,}/g, "*"); // "**" means "*"; collapsing keeps the match linear per star
  if (p === "*") return always;
  const hasQuestion = questionMark && p.includes("?");
  const star = p.indexOf("*");
  if (star < 0 && !hasQuestion) return (text) => text === p;
  // The common shapes "kms:Get*" and ".../key/*" need no general match.
  if (star === p.length - 1 && !hasQuestion) {
    const prefix = p.slice(0, -1);
    return (text) => text.startsWith(prefix);
  }
  return (text) => globMatch(p, text, hasQuestion);
}

/** Classic greedy wildcard match that backtracks only to the last `*`. */
function globMatch(p: string, text: string, questionMark: boolean): boolean {
  let pi = 0;
  let ti = 0;
  let starAt = -1; // pattern index of the last `*` seen
  let resumeAt = 0; // text index that `*` will absorb up to on the next backtrack
  while (ti < text.length) {
    const c = p[pi];
    if (c === "*") {
      starAt = pi++;
      resumeAt = ti;
    } else if (c !== undefined && (c === text[ti] || (questionMark && c === "?"))) {
      pi++;
      ti++;
    } else if (starAt >= 0) {
      pi = starAt + 1;
      ti = ++resumeAt;
    } else {
      return false;
    }
  }
  while (p[pi] === "*") pi++;
  return pi === p.length;
}

/** True when any matcher accepts the text. */
export function anyOf(matchers: readonly Matcher[]): Matcher {
  if (matchers.includes(always)) return always;
  const [only] = matchers;
  if (matchers.length === 1 && only !== undefined) return only;
  return (text) => matchers.some((m) => m(text));
}
