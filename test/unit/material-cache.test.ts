/** The unsealed-material cache: bounded by versions held, used keys kept over unused ones, a purge drops every version. */
import { describe, expect, it } from "vitest";
import { MaterialCache } from "../../src/keys/material.js";

describe("MaterialCache", () => {
  it("holds at most its capacity of versions, dropping the oldest unused key first", () => {
    const cache = new MaterialCache<string>(3);
    cache.set("a", 1, "a1");
    cache.set("b", 1, "b1");
    cache.set("c", 1, "c1");
    expect(cache.get("a", 1)).toBe("a1"); // a is used: b, the oldest unused, goes
    cache.set("d", 1, "d1");
    expect([cache.get("a", 1), cache.get("b", 1), cache.get("c", 1), cache.get("d", 1)]).toEqual(["a1", undefined, "c1", "d1"]);
  });

  it("counts versions, not keys, and never drops the key just written", () => {
    const cache = new MaterialCache<number>(2);
    cache.set("a", 1, 1);
    cache.set("b", 1, 1);
    cache.set("b", 2, 2);
    expect(cache.get("a", 1)).toBeUndefined();
    expect([cache.get("b", 1), cache.get("b", 2)]).toEqual([1, 2]);
    cache.set("b", 3, 3); // one key over capacity on its own stays whole
    expect(cache.get("b", 3)).toBe(3);
  });

  it("evicts every version of a purged key, and a miss is not a use", () => {
    const cache = new MaterialCache<string>(10);
    cache.set("k", 1, "v1");
    cache.set("k", 2, "v2");
    cache.evict("k");
    expect([cache.get("k", 1), cache.get("k", 2)]).toEqual([undefined, undefined]);
    cache.set("k", 1, "again");
    expect(cache.get("k", 3)).toBeUndefined();
    expect(cache.get("k", 1)).toBe("again");
  });

  it("when every key was used, passes over each once and then drops the oldest", () => {
    const cache = new MaterialCache<string>(2);
    cache.set("a", 1, "a");
    cache.set("b", 1, "b");
    cache.get("a", 1);
    cache.get("b", 1);
    cache.set("c", 1, "c");
    expect([cache.get("a", 1), cache.get("b", 1), cache.get("c", 1)]).toEqual([undefined, "b", "c"]);
  });
});
