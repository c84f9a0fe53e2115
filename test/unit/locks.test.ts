/** Named locks: mutual exclusion per name, no deadlock across overlapping sets, release on failure. */
import { describe, expect, it } from "vitest";
import { LockSet } from "../../src/keys/locks.js";

const tick = () => new Promise((r) => setTimeout(r, 1));

describe("LockSet", () => {
  it("serialises work on the same name", async () => {
    const locks = new LockSet();
    let inside = 0;
    let most = 0;
    await Promise.all(
      Array.from({ length: 20 }, () =>
        locks.run(["a"], async () => {
          inside++;
          most = Math.max(most, inside);
          await tick();
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
  });

  it("lets different names run together", async () => {
    const locks = new LockSet();
    let inside = 0;
    let most = 0;
    const work = async () => {
      inside++;
      most = Math.max(most, inside);
      await tick();
      inside--;
    };
    await Promise.all([locks.run(["a"], work), locks.run(["b"], work)]);
    expect(most).toBe(2);
  });

  it("does not deadlock on overlapping sets taken in opposite orders", async () => {
    const locks = new LockSet();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) => locks.run(i % 2 ? ["x", "y"] : ["y", "x"], async () => (await tick(), i))),
    );
    expect(results).toHaveLength(50);
  });

  it("releases when the work throws", async () => {
    const locks = new LockSet();
    await expect(locks.run(["a"], async () => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await locks.run(["a"], async () => "next")).toBe("next");
  });
});
