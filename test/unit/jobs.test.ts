/** The job runner: every job once per pass, in order; a failing job is logged and the others run; passes never overlap. */
import { describe, expect, it } from "vitest";
import { JobRunner, type JobDone } from "../../src/jobs.js";

const done = (kind: string, subject: string): JobDone => ({ kind, subject });

describe("JobRunner", () => {
  it("runs every job once per pass, in the order added, and returns what they did", async () => {
    const order: string[] = [];
    const runner = new JobRunner(60_000, () => undefined)
      .add({ name: "a", run: async () => (order.push("a"), [done("a", "1")]) })
      .add({ name: "b", run: async () => (order.push("b"), [done("b", "2"), done("b", "3")]) });
    expect(await runner.runOnce()).toEqual([done("a", "1"), done("b", "2"), done("b", "3")]);
    expect(order).toEqual(["a", "b"]);
    expect(() => runner.add({ name: "a", run: async () => [] })).toThrow(/twice/);
  });

  it("logs a failing job and still runs the others", async () => {
    const logged: string[] = [];
    const runner = new JobRunner(60_000, (m) => logged.push(m))
      .add({ name: "broken", run: async () => Promise.reject(new Error("disk on fire")) })
      .add({ name: "fine", run: async () => [done("fine", "x")] });
    expect(await runner.runOnce()).toEqual([done("fine", "x")]);
    expect(logged).toEqual(["jobs: broken failed: disk on fire"]);
  });

  it("never runs two passes at once: a pass asked for during one waits for it", async () => {
    let inside = 0;
    let most = 0;
    const runner = new JobRunner(60_000, () => undefined).add({
      name: "slow",
      run: async () => {
        most = Math.max(most, ++inside);
        await new Promise((r) => setTimeout(r, 20));
        inside--;
        return [];
      },
    });
    await Promise.all([runner.runOnce(), runner.runOnce(), runner.runOnce()]);
    expect(most).toBe(1);
  });

  it("start runs a first pass, then one every interval; stop waits for the pass under way", async () => {
    let passes = 0;
    let finished = 0;
    const runner = new JobRunner(15, () => undefined).add({
      name: "count",
      run: async () => {
        passes++;
        await new Promise((r) => setTimeout(r, 5));
        finished++;
        return [];
      },
    });
    await runner.start();
    expect(passes).toBe(1);
    await expect(runner.start()).rejects.toThrow(/already started/);
    await new Promise((r) => setTimeout(r, 100));
    await runner.stop();
    expect(passes).toBeGreaterThan(1);
    expect(finished).toBe(passes);
    const after = passes;
    await new Promise((r) => setTimeout(r, 50));
    expect(passes).toBe(after);
  });
});
