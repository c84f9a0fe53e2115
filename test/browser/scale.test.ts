/**
 * The key list at 100,000 keys, in the browser: the store is filled directly
 * (key records as CreateKey writes them for EXTERNAL keys), the real server
 * starts on it, and the console's list must show its first, next and last
 * pages quickly while asking the service for one page at a time.
 */
import { randomUUID } from "node:crypto";
import { fromBinary } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsole } from "../../console/build.js";
import { ListKeyDetailRequestSchema, type ListKeyDetailRequest } from "../../gen/kms/v1/kms_pb.js";
import { ManualClock } from "../../src/clock.js";
import type { KeyRecord } from "../../src/keys/key.js";
import { KeyRepository } from "../../src/keys/repository.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { connectClients } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { browserMissing, launchBrowser, screenshot, type TestBrowser } from "./browser.js";

const KEYS = 100_000;
const missing = browserMissing();

describe.skipIf(missing !== undefined)("the key list at 100,000 keys", () => {
  let ts: TestServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    await buildConsole();
    const start = Date.UTC(2026, 10, 1);
    const first = await startTestServer({ clock: new ManualClock(start), env: { KMS_SYNC_WRITES: "false" } });
    await first.stop();
    const store = await openLevelStore(`${first.dataDir}/db`, { sync: false });
    const repo = new KeyRepository(store);
    for (let i = 0; i < KEYS; i += 5000) {
      const ops = [];
      for (let j = i; j < Math.min(KEYS, i + 5000); j++) {
        const record: KeyRecord = {
          keyId: randomUUID(),
          account: "100000000001",
          region: "ap-guangzhou",
          alias: `scale-${String(j).padStart(6, "0")}`,
          description: "",
          createTime: start + j * 1000,
          keyState: "PendingImport",
          keyUsage: "ENCRYPT_DECRYPT",
          keyType: 2,
          algorithm: "AES_256_GCM",
          origin: "EXTERNAL",
          creatorUin: "100000000001",
          owner: "user",
          tags: [{ key: "shard", value: String(j % 10) }],
          rotation: { enabled: false, rotateDays: 0 },
          versions: [],
          versionsIssued: 0,
        };
        ops.push(repo.putKey(record), repo.putAlias(record, record.alias, record.keyId));
      }
      await store.batch(ops);
    }
    await store.close();
    ts = await startTestServer({ dataDir: first.dataDir, rootKey: first.rootKey, env: first.env, clock: new ManualClock(start + KEYS * 1000) });
    // The listing index is built in the background after start: wait for it through the API.
    const c = connectClients(ts);
    expect((await c.grpc.listKeyDetail({ allKeyUsages: true, limit: 1 })).totalCount).toBe(KEYS);
    c.close();
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await ts?.dispose();
  });

  it("shows the first, next, last and a filtered page in well under a second each, one server page at a time", async () => {
    const { page, cspViolations } = await browser.newPage();
    const requests: ListKeyDetailRequest[] = [];
    page.on("request", (r) => {
      const body = r.url().endsWith("/ListKeyDetail") ? r.postDataBuffer() : null;
      if (body) requests.push(fromBinary(ListKeyDetailRequestSchema, body));
    });
    await page.goto(`${ts.httpUrl}/console/#/keys`);
    await page.getByLabel("Bearer token").fill(ts.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    const timed = async (step: () => Promise<unknown>, done: string) => {
      const t0 = performance.now();
      await step();
      await page.getByText(done, { exact: true }).waitFor();
      return performance.now() - t0;
    };
    const times = {
      first: await timed(async () => undefined, "1–20 of 100,000"),
      next: await timed(() => page.getByRole("button", { name: "Next" }).click(), "21–40 of 100,000"),
      last: await timed(() => page.getByRole("button", { name: "Last" }).click(), "99,981–100,000 of 100,000"),
      search: await timed(async () => {
        await page.getByLabel("Search alias or key id").fill("scale-04321");
        await page.getByRole("button", { name: "Apply filters" }).click();
      }, "1–10 of 10"),
      tag: await timed(async () => {
        await page.getByLabel("Search alias or key id").fill("");
        await page.getByRole("button", { name: "Add tag filter" }).click();
        await page.getByLabel("Tag key 1").fill("shard");
        await page.getByLabel("Values of tag 1").fill("3");
        await page.getByRole("button", { name: "Apply filters" }).click();
      }, "1–20 of 10,000"),
    };
    console.log(`key list at ${KEYS} keys, ms: ${JSON.stringify(Object.fromEntries(Object.entries(times).map(([k, v]) => [k, Math.round(v)])))}`);
    await screenshot(page, "key-list-100k");
    // Newest first: the newest key of shard 3 heads the filtered list.
    expect(await page.locator("table tbody tr").count()).toBe(20);
    expect(await page.locator("table tbody tr").first().locator("td").nth(1).textContent()).toBe("scale-099993");
    for (const [step, ms] of Object.entries(times)) expect(ms, step).toBeLessThan(1500);
    expect(requests.length).toBe(5);
    for (const r of requests) expect(r.limit).toBe(20);
    expect(requests.map((r) => r.offset)).toEqual([0, 20, 99_980, 0, 0]);
    expect(await cspViolations()).toEqual([]);
  });
});
