/**
 * The web console's hosted data keys, accounts and organisations, and
 * database instances in a real browser (Debian's chromium through
 * playwright-core) against the real server. Every workflow is clicked
 * through, with assertions on the page and on the server's state through the
 * API: data keys generated and imported (from base64 and from a file), listed
 * with every ListDataKeyDetail filter, renamed, described, disabled, enabled
 * in bulk, scheduled for deletion and back, their ciphertext downloaded and
 * opened with Decrypt, their plaintext fetched only on a click and forgotten
 * on hide and on leaving; accounts created by the operator (root credentials
 * shown once, and working), disabled, enabled and put in an organisation; an
 * organisation's root managing a member's keys and data keys (MemberAccount)
 * and refused for an account that is not its member; a sub-user with a
 * narrow policy and a non-operator refused by the server (and not offered
 * the Accounts page); database instances registered on a private MariaDB
 * (the admin password never shown back). axe-core and the CSP are checked on
 * every page, and each page leaves a screenshot in test/browser/artifacts/.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { MessageInitShape } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { Locator, Page } from "playwright-core";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { buildConsole } from "../../console/build.js";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { DataKeyService, DataKeyState, type ListDataKeyDetailRequestSchema } from "../../gen/kms/v1/datakeys_pb.js";
import { DataKeySpec, KeyManagementService, KeyState, Origin } from "../../gen/kms/v1/kms_pb.js";
import { AccountStatus, OperatorService } from "../../gen/kms/v1/operator_pb.js";
import { SecretsManagerService } from "../../gen/ssm/v1/ssm_pb.js";
import { ManualClock } from "../../src/clock.js";
import { bearer, codeOf } from "../helpers/clients.js";
import { skipWithoutMariadb, startMariaDb, type MariaDb } from "../helpers/mariadb.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { browserMissing, launchBrowser, screenshot, seriousViolations, type TestBrowser, type WatchedPage } from "./browser.js";

const missing = browserMissing();
if (missing) console.warn(`skipping the browser tests: ${missing}`);

const DAY_S = 86_400;
/** The default account (KMS_ACCOUNT_UIN unset): the operator's. */
const DEFAULT_ACCOUNT = 100000000001n;

/** The clients of one caller, over gRPC with its bearer token. */
interface Caller {
  kms: Client<typeof KeyManagementService>;
  datakeys: Client<typeof DataKeyService>;
  operator: Client<typeof OperatorService>;
  admin: Client<typeof AdminService>;
  ssm: Client<typeof SecretsManagerService>;
}

let ts: TestServer;
let browser: TestBrowser;
let root: WatchedPage;
let page: Page;
let op: Caller;
let work: string;
const sessions: Http2SessionManager[] = [];
/** Every URL a page requested, and the DataKeyService methods the root's page called, in order. */
const urls: string[] = [];
const dataKeyCalls: string[] = [];
/** Values that must never travel in an address. */
const secrets: string[] = [];

function callerWith(token: string): Caller {
  const s = new Http2SessionManager(ts.grpcUrl);
  sessions.push(s);
  const transport = createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: s, interceptors: [bearer(token)] });
  return {
    kms: createClient(KeyManagementService, transport),
    datakeys: createClient(DataKeyService, transport),
    operator: createClient(OperatorService, transport),
    admin: createClient(AdminService, transport),
    ssm: createClient(SecretsManagerService, transport),
  };
}

const consoleUrl = (hash = "") => `${ts.httpUrl}/console/${hash}`;
const calls = (method: string) => dataKeyCalls.filter((m) => m === method).length;

function watchRequests(p: Page, recordDataKeys: boolean): void {
  p.on("request", (r) => {
    urls.push(r.url());
    const m = /\/kms\.v1\.DataKeyService\/(\w+)$/.exec(r.url());
    if (recordDataKeys && m?.[1]) dataKeyCalls.push(m[1]);
  });
}

async function signIn(w: WatchedPage, token: string, hash: string, heading: string | RegExp): Promise<void> {
  await w.page.goto(consoleUrl(hash));
  await w.page.getByLabel("Bearer token").fill(token);
  await w.page.getByRole("button", { name: "Sign in" }).click();
  await w.page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

async function go(hash: string, heading: string | RegExp, p: Page = page): Promise<void> {
  await p.goto(consoleUrl(hash));
  await p.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/** The open confirmation dialog's button. */
const inDialog = (name: string, p: Page = page) => p.getByRole("dialog").getByRole("button", { name, exact: true });

async function confirm(opener: string, confirmLabel = opener, p: Page = page): Promise<void> {
  await p.getByRole("button", { name: opener, exact: true }).click();
  await inDialog(confirmLabel, p).click();
  await p.getByRole("dialog").waitFor({ state: "hidden" });
}

async function status(text: string | RegExp, p: Page = page): Promise<void> {
  await p.getByRole("status").filter({ hasText: text }).first().waitFor();
}

/** The alert carrying an API code. */
const alertCode = (code: string, scope: Page | Locator = page) => scope.locator(`[role=alert][data-code="${code}"]`).first();

/** Checks the page as it is now: axe finds nothing serious, no CSP violation, a screenshot for the artifacts. */
async function checkPage(name: string, watched: WatchedPage = root): Promise<void> {
  await screenshot(watched.page, `datakeys-${name}`);
  const serious = await seriousViolations(watched.page);
  expect(serious, `${name}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
  expect(await watched.cspViolations()).toEqual([]);
  expect(watched.problems).toEqual([]);
}

async function downloadOf(click: () => Promise<void>, p: Page = page): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([p.waitForEvent("download"), click()]);
  return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
}

const describeDataKey = async (dataKeyId: string, as: Caller = op) => (await as.datakeys.describeDataKey({ dataKeyId })).dataKeyMetadata!;
const plaintextOf = async (dataKeyId: string, as: Caller = op) => Buffer.from((await as.datakeys.getDataKeyPlaintext({ dataKeyId })).plaintext);

/** The data key ids the table shows, in order. */
async function shownIds(p: Page = page, table: Locator = p.locator("table")): Promise<string[]> {
  if ((await table.count()) === 0 || (await table.getAttribute("aria-busy")) !== null) return ["(loading)"];
  return table.locator("tbody tr td:nth-child(3) code").allTextContents();
}

/** The ids the service answers for the same request the page made. */
async function apiIds(req: MessageInitShape<typeof ListDataKeyDetailRequestSchema>): Promise<string[]> {
  return (await op.datakeys.listDataKeyDetail(req)).dataKeyMetadatas.map((m) => m.dataKeyId);
}

/** The accounts table's row of an account, by its name. */
const rowOf = (name: string, p: Page = page) => p.getByRole("row").filter({ has: p.getByRole("rowheader", { name, exact: true }) });

/** Waits until the table shows exactly `want` (the page reloads after each change). */
async function expectShown(want: string[], p: Page = page, table?: Locator): Promise<void> {
  await expect.poll(() => shownIds(p, table), { timeout: 10_000 }).toEqual(want);
}

describe.skipIf(missing !== undefined)("web console: data keys, accounts and organisations, database instances", () => {
  beforeAll(async () => {
    await buildConsole();
    work = await mkdtemp(join(tmpdir(), "kms-console-datakeys-"));
    // The domain clock starts at the real time, so deletion dates line up with the browser's.
    ts = await startTestServer({ clock: new ManualClock(Date.now()), env: { KMS_RATE_LIMIT: "0", KMS_SYNC_WRITES: "false" } });
    op = callerWith(ts.token);
    browser = await launchBrowser();
    root = await browser.newPage();
    page = root.page;
    watchRequests(page, true);
    await signIn(root, ts.token, "", "Dashboard");
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    for (const s of sessions) s.abort();
    await ts?.dispose();
    if (work) await rm(work, { recursive: true, force: true });
  });

  describe("hosted data keys", () => {
    let cmk: string;
    let cmk2: string;
    let generated: string;

    beforeAll(async () => {
      cmk = (await op.kms.createKey({ alias: "orders-cmk" })).keyId;
      cmk2 = (await op.kms.createKey({ alias: "billing-cmk" })).keyId;
    });
    // Each test's data keys are younger than the last's, so creation order is a fixed order.
    beforeEach(() => ts.clock.advance(1000));

    it("generates a hosted data key with name, description and tags; its plaintext is fetched only on a click, and forgotten on hide and on leaving", async () => {
      await go("#/datakeys/new", "Create data key");
      await checkPage("create");
      await page.getByLabel(/^Data key name/).fill("orders-db");
      await page.getByRole("textbox", { name: /^Description/ }).fill("orders table");
      await page.getByLabel(/^CMK that seals it/).fill(cmk);
      await page.getByRole("button", { name: "Add tag" }).click();
      await page.getByLabel("Tag key 1").fill("env");
      await page.getByLabel("Tag value 1").fill("prod");
      await page.getByRole("button", { name: "Generate data key" }).click();
      await page.getByRole("heading", { level: 1, name: "orders-db" }).waitFor();
      generated = decodeURIComponent(/#\/datakeys\/([^?]+)/.exec(page.url())![1]!);
      const meta = await describeDataKey(generated);
      expect(meta).toMatchObject({ dataKeyName: "orders-db", description: "orders table", keyId: cmk, keyName: "orders-cmk", numberOfBytes: 32, origin: Origin.TENCENT_KMS, keyState: DataKeyState.ENABLED });
      expect(meta.tags.map((t) => [t.tagKey, t.tagValue])).toEqual([["env", "prod"]]);

      // GenerateDataKey answered the plaintext; the page kept none of it and asked for nothing more.
      const plain = (await plaintextOf(generated)).toString("base64");
      secrets.push(plain);
      expect(calls("GetDataKeyPlaintext")).toBe(0);
      expect(await page.content()).not.toContain(plain);
      await checkPage("page");
      await page.getByRole("button", { name: "Reveal plaintext" }).click();
      await expect.poll(() => page.getByLabel("Plaintext (base64)").textContent()).toBe(plain);
      expect(calls("GetDataKeyPlaintext")).toBe(1);
      await checkPage("plaintext-revealed");
      await page.getByRole("button", { name: "Hide plaintext" }).click();
      expect(await page.content()).not.toContain(plain);
      await page.getByRole("button", { name: "Reveal plaintext" }).click();
      await page.getByLabel("Plaintext (base64)").waitFor();
      expect(calls("GetDataKeyPlaintext")).toBe(2);
      // Leaving the page forgets it; coming back does not fetch it again.
      await page.getByRole("link", { name: "Data keys", exact: true }).first().click();
      await page.getByRole("heading", { level: 1, name: "Data keys" }).waitFor();
      expect(await page.content()).not.toContain(plain);
      await page.getByRole("link", { name: "orders-db", exact: true }).click();
      await page.getByRole("button", { name: "Reveal plaintext" }).waitFor();
      expect(await page.content()).not.toContain(plain);
      expect(calls("GetDataKeyPlaintext")).toBe(2);
    });

    it("generates a data key of a chosen length with an encryption context, and refuses a taken name without creating anything", async () => {
      await go("#/datakeys/new", "Create data key");
      await page.getByLabel(/^Data key name/).fill("session-16");
      await page.getByLabel(/^CMK that seals it/).fill(cmk2);
      await page.getByRole("combobox", { name: /^Length/ }).selectOption("bytes");
      await page.getByLabel(/^Number of bytes/).fill("16");
      await page.getByLabel(/^Encryption context/).fill('{"app":"sessions"}');
      await page.getByRole("button", { name: "Generate data key" }).click();
      await page.getByRole("heading", { level: 1, name: "session-16" }).waitFor();
      const id = decodeURIComponent(/#\/datakeys\/([^?]+)/.exec(page.url())![1]!);
      expect(await describeDataKey(id)).toMatchObject({ numberOfBytes: 16, keyId: cmk2 });
      // The ciphertext opens with the context it was made with, to the same plaintext.
      const blob = (await op.datakeys.getDataKeyCiphertextBlob({ dataKeyId: id })).ciphertextBlob;
      expect(Buffer.from((await op.kms.decrypt({ ciphertextBlob: blob, encryptionContext: '{"app":"sessions"}' })).plaintext)).toEqual(await plaintextOf(id));

      const before = (await op.datakeys.listDataKeyDetail({})).totalCount;
      await go("#/datakeys/new", "Create data key");
      await page.getByLabel(/^Data key name/).fill("orders-db");
      await page.getByLabel(/^CMK that seals it/).fill(cmk);
      await page.getByRole("button", { name: "Generate data key" }).click();
      await alertCode("InvalidParameterValue.DataKeyNameAlreadyExists").waitFor();
      expect((await op.datakeys.listDataKeyDetail({})).totalCount).toBe(before);
      await checkPage("create-refused");
    });

    it("imports a data key from base64 and from a file, and a GenerateDataKey ciphertext; a ciphertext that does not open is refused", async () => {
      const material = randomBytes(24);
      await go("#/datakeys/new", "Create data key");
      await page.getByLabel("Import (ImportDataKey)").check();
      await page.getByLabel(/^Data key name/).fill("legacy-b64");
      await page.getByLabel(/^CMK that seals it/).fill(cmk);
      await page.getByLabel(/^Data key \(base64\)/).fill(material.toString("base64"));
      await checkPage("import");
      await page.getByRole("button", { name: "Import data key" }).click();
      await page.getByRole("heading", { level: 1, name: "legacy-b64" }).waitFor();
      const fromB64 = decodeURIComponent(/#\/datakeys\/([^?]+)/.exec(page.url())![1]!);
      expect(await describeDataKey(fromB64)).toMatchObject({ origin: Origin.EXTERNAL, numberOfBytes: 24, keyId: cmk });
      expect(await plaintextOf(fromB64)).toEqual(material);

      const fileMaterial = randomBytes(32);
      await writeFile(join(work, "material.bin"), fileMaterial);
      await go("#/datakeys/new", "Create data key");
      await page.getByLabel("Import (ImportDataKey)").check();
      await page.getByLabel(/^Data key name/).fill("legacy-file");
      await page.getByLabel(/^CMK that seals it/).fill(cmk);
      await page.getByLabel("from a file (raw bytes)").check();
      await page.getByLabel("Data key file").setInputFiles(join(work, "material.bin"));
      await page.getByText("material.bin: 32 bytes").waitFor();
      await page.getByRole("button", { name: "Import data key" }).click();
      await page.getByRole("heading", { level: 1, name: "legacy-file" }).waitFor();
      const fromFile = decodeURIComponent(/#\/datakeys\/([^?]+)/.exec(page.url())![1]!);
      expect(await plaintextOf(fromFile)).toEqual(fileMaterial);

      // ImportType 1: a ciphertext GenerateDataKey made (no context), from a file; the CMK is the one it names.
      const made = await op.kms.generateDataKey({ keyId: cmk2, keySpec: DataKeySpec.AES_128 });
      await writeFile(join(work, "wrapped.bin"), made.ciphertextBlob);
      await go("#/datakeys/new", "Create data key");
      await page.getByLabel("Import (ImportDataKey)").check();
      await page.getByLabel("a GenerateDataKey ciphertext (ImportType 1)").check();
      await page.getByLabel(/^Data key name/).fill("wrapped");
      await page.getByLabel("from a file (raw bytes)").check();
      await page.getByLabel("Ciphertext file").setInputFiles(join(work, "wrapped.bin"));
      await page.getByRole("button", { name: "Import data key" }).click();
      await page.getByRole("heading", { level: 1, name: "wrapped" }).waitFor();
      const wrapped = decodeURIComponent(/#\/datakeys\/([^?]+)/.exec(page.url())![1]!);
      expect(await describeDataKey(wrapped)).toMatchObject({ keyId: cmk2, numberOfBytes: 16, origin: Origin.EXTERNAL });
      expect(await plaintextOf(wrapped)).toEqual(Buffer.from(made.plaintext));
      expect(Buffer.from((await op.datakeys.getDataKeyCiphertextBlob({ dataKeyId: wrapped })).ciphertextBlob)).toEqual(Buffer.from(made.ciphertextBlob));

      const before = (await op.datakeys.listDataKeyDetail({})).totalCount;
      await go("#/datakeys/new", "Create data key");
      await page.getByLabel("Import (ImportDataKey)").check();
      await page.getByLabel("a GenerateDataKey ciphertext (ImportType 1)").check();
      await page.getByLabel(/^Data key name/).fill("not-a-ciphertext");
      await page.getByLabel(/^Ciphertext \(base64\)/).fill(randomBytes(80).toString("base64"));
      await page.getByRole("button", { name: "Import data key" }).click();
      await alertCode("InvalidParameterValue.InvalidImportKeyMaterial").waitFor();
      // Bad base64 is the page's refusal; nothing is sent.
      await page.getByLabel(/^Ciphertext \(base64\)/).fill("not base64!");
      await page.getByRole("button", { name: "Import data key" }).click();
      await page.getByRole("alert").filter({ hasText: "Ciphertext is not base64" }).waitFor();
      expect((await op.datakeys.listDataKeyDetail({})).totalCount).toBe(before);
    });

    it("renames and describes a data key; a taken name is refused; the downloaded ciphertext blob decrypts to its plaintext", async () => {
      await go(`#/datakeys/${generated}`, "orders-db");
      await page.getByRole("textbox", { name: /^Name/ }).fill("orders-db-2");
      await page.getByRole("button", { name: "Rename", exact: true }).click();
      await page.getByRole("heading", { level: 1, name: "orders-db-2" }).waitFor();
      await status("Renamed to orders-db-2.");
      expect((await describeDataKey(generated)).dataKeyName).toBe("orders-db-2");
      await page.getByRole("textbox", { name: /^New description/ }).fill("orders, v2");
      await page.getByRole("button", { name: "Save description" }).click();
      await status("Description saved.");
      expect((await describeDataKey(generated)).description).toBe("orders, v2");
      await page.getByRole("textbox", { name: /^Name/ }).fill("legacy-b64");
      await page.getByRole("button", { name: "Rename", exact: true }).click();
      await alertCode("InvalidParameterValue.DataKeyNameAlreadyExists").waitFor();
      expect((await describeDataKey(generated)).dataKeyName).toBe("orders-db-2");

      const file = await downloadOf(() => page.getByRole("button", { name: "Download ciphertext blob" }).click());
      expect(file.name).toBe("orders-db-2.ciphertext");
      expect(file.bytes).toEqual(Buffer.from((await op.datakeys.getDataKeyCiphertextBlob({ dataKeyId: generated })).ciphertextBlob));
      expect(Buffer.from((await op.kms.decrypt({ ciphertextBlob: file.bytes })).plaintext)).toEqual(await plaintextOf(generated));
      await checkPage("renamed");
    });

    it("disables (the plaintext and ciphertext are refused), schedules deletion, cancels it and enables again, each after a confirmation", async () => {
      await go(`#/datakeys/${generated}`, "orders-db-2");
      await confirm("Disable data key", "Disable");
      await status("Data key disabled.");
      expect((await describeDataKey(generated)).keyState).toBe(DataKeyState.DISABLED);
      await page.getByRole("button", { name: "Reveal plaintext" }).click();
      await alertCode("ResourceUnavailable.DataKeyDisabled").waitFor();
      await page.getByRole("button", { name: "Download ciphertext blob" }).click();
      await alertCode("ResourceUnavailable.DataKeyDisabled", page.getByRole("region", { name: "Ciphertext" })).waitFor();
      await checkPage("disabled");

      // Cancelling the dialog changes nothing.
      await page.getByRole("button", { name: "Schedule deletion", exact: true }).click();
      await inDialog("Cancel").click();
      expect((await describeDataKey(generated)).keyState).toBe(DataKeyState.DISABLED);
      // Outside 7 to 30 days: the service's refusal, in the dialog.
      await page.getByRole("button", { name: "Schedule deletion", exact: true }).click();
      await page.getByRole("dialog").getByLabel(/^Days until it is purged/).fill("3");
      await inDialog("Schedule deletion").click();
      await alertCode("InvalidParameter.InvalidPendingWindowInDays", page.getByRole("dialog")).waitFor();
      await page.getByRole("dialog").getByLabel(/^Days until it is purged/).fill("10");
      await inDialog("Schedule deletion").click();
      await page.getByRole("dialog").waitFor({ state: "hidden" });
      await status(/Deletion scheduled for/);
      const pending = await describeDataKey(generated);
      expect(pending.keyState).toBe(DataKeyState.PENDING_DELETE);
      expect(Number(pending.deletionDate)).toBe(Math.floor(ts.clock.now() / 1000) + 10 * DAY_S);
      // A data key pending deletion is neither renamed nor enabled here.
      // (the status line can show before the page has re-read the key: wait for the button to go)
      await page.getByRole("button", { name: "Rename", exact: true }).waitFor({ state: "detached", timeout: 5000 });
      await checkPage("pending-delete");
      await confirm("Cancel deletion");
      await status("Deletion cancelled: the data key is Disabled.");
      expect((await describeDataKey(generated)).keyState).toBe(DataKeyState.DISABLED);
      await confirm("Enable data key", "Enable");
      await status("Data key enabled.");
      expect((await describeDataKey(generated)).keyState).toBe(DataKeyState.ENABLED);
    });

    it("lists with every ListDataKeyDetail filter, order and paging, one server page at a time, and enables and disables in bulk", async () => {
      // 24 more: names bulk-00..23, every third under the second CMK, every fourth 16 bytes, even ones tagged team=a.
      const bulk: string[] = [];
      for (let i = 0; i < 24; i++) {
        const r = await op.kms.generateDataKey({
          keyId: i % 3 === 0 ? cmk2 : cmk,
          ...(i % 4 === 0 ? { numberOfBytes: 16 } : { keySpec: DataKeySpec.AES_256 }),
          isHostedByKms: 1,
          dataKeyName: `bulk-${String(i).padStart(2, "0")}`,
          tags: i % 2 === 0 ? [{ tagKey: "team", tagValue: "a" }] : [{ tagKey: "team", tagValue: "b" }],
        });
        bulk.push(r.dataKeyId);
        ts.clock.advance(1000);
      }
      await op.datakeys.disableDataKeys({ dataKeyIds: bulk.slice(0, 5) });
      const total = (await op.datakeys.listDataKeyDetail({})).totalCount;

      await go("#/datakeys", "Data keys");
      await page.getByRole("combobox", { name: /^Data keys per page/ }).selectOption("10");
      await expectShown(await apiIds({ limit: 10 }));
      await status(`1–10 of ${total}`);
      await checkPage("list");
      await page.getByRole("button", { name: "Next" }).click();
      await expectShown(await apiIds({ limit: 10, offset: 10 }));
      await page.getByRole("button", { name: "Last" }).click();
      await expectShown(await apiIds({ limit: 10, offset: Math.floor((total - 1) / 10) * 10 }));
      await page.getByRole("combobox", { name: /^Order/ }).selectOption("1");
      await expectShown(await apiIds({ limit: 10, orderType: 1 }));
      expect((await shownIds())[0]).toBe(generated);

      await page.getByRole("combobox", { name: /^State/ }).selectOption("2");
      await expectShown(await apiIds({ limit: 10, orderType: 1, keyState: 2 }));
      expect(await shownIds()).toEqual(bulk.slice(0, 5));
      await page.getByRole("combobox", { name: /^State/ }).selectOption("0");
      await page.getByRole("combobox", { name: /^Origin/ }).selectOption("EXTERNAL");
      await expectShown(await apiIds({ limit: 10, orderType: 1, origin: "EXTERNAL" }));
      expect(await shownIds()).toHaveLength(3);
      await page.getByRole("combobox", { name: /^Origin/ }).selectOption("ALL");

      await page.getByLabel(/^Search name or data key id/).fill("BULK-1");
      await page.getByLabel(/^CMK \(key ID\)/).fill(cmk2);
      await page.getByRole("button", { name: "Apply filters" }).click();
      const searched = await apiIds({ limit: 10, orderType: 1, searchKeyAlias: "BULK-1", keyId: cmk2 });
      expect(searched).toEqual([bulk[12], bulk[15], bulk[18]]);
      await expectShown(searched);

      await page.getByLabel(/^Search name or data key id/).fill("");
      await page.getByLabel(/^CMK \(key ID\)/).fill("");
      await page.getByLabel(/^Length in bytes/).fill("16");
      await page.getByRole("button", { name: "Add tag filter" }).click();
      await page.getByLabel("Tag key 1").fill("team");
      await page.getByLabel(/^Values of tag 1/).fill("a");
      await page.getByRole("button", { name: "Apply filters" }).click();
      const tagged = await apiIds({ limit: 10, orderType: 1, dataKeyLen: 16, tagFilters: [{ tagKey: "team", tagValue: ["a"] }] });
      expect(tagged).toEqual([0, 4, 8, 12, 16, 20].map((i) => bulk[i]));
      await expectShown(tagged);
      await checkPage("list-filtered");

      // Tencent's shared cluster and cloud products' data keys: none here.
      await page.getByLabel(/^HSM cluster/).fill("default");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await expectShown([]);
      await status("No results");
      await page.getByLabel(/^HSM cluster/).fill("");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await expectShown(tagged);
      await page.getByRole("combobox", { name: /^Made by/ }).selectOption("1");
      await expectShown([]);
      await page.getByRole("combobox", { name: /^Made by/ }).selectOption("0");
      // A length out of range is the service's refusal.
      await page.getByLabel(/^Length in bytes/).fill("2000");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await alertCode("InvalidParameterValue").waitFor();
      await page.getByLabel(/^Length in bytes/).fill("16");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await expectShown(tagged);

      // Bulk: disable two, then enable them; each all or nothing.
      await page.getByLabel("Select bulk-04").check();
      await page.getByLabel("Select bulk-08").check();
      await confirm("Disable selected");
      await status("Disabled 2 data key(s).");
      expect((await op.datakeys.describeDataKeys({ dataKeyIds: [bulk[4]!, bulk[8]!] })).dataKeyMetadatas.map((m) => m.keyState)).toEqual([DataKeyState.DISABLED, DataKeyState.DISABLED]);
      await page.getByLabel("Select every data key on this page").check();
      await confirm("Enable selected");
      await status("Enabled 6 data key(s).");
      expect((await op.datakeys.describeDataKeys({ dataKeyIds: tagged })).dataKeyMetadatas.every((m) => m.keyState === DataKeyState.ENABLED)).toBe(true);
      // Reset: every data key again.
      await page.getByRole("button", { name: "Reset" }).click();
      await expectShown(await apiIds({ limit: 20 }));
    });
  });

  describe("accounts and organisations", () => {
    let orgUin: bigint;
    let memberUin: bigint;
    let outsiderUin: bigint;
    let orgToken: string;
    let member: Caller;

    it("shows the operator the Accounts page; creates an account whose root credentials are shown once and work", async () => {
      await page.getByRole("navigation", { name: "Console" }).getByRole("link", { name: "Accounts" }).click();
      await page.getByRole("heading", { level: 1, name: "Accounts" }).waitFor();
      await page.getByRole("rowheader", { name: /\(default\)/ }).waitFor();
      await checkPage("accounts");
      await page.getByLabel(/^Account name/).fill("acme-group");
      await page.getByRole("textbox", { name: /^Account description/ }).fill("the group");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByRole("heading", { level: 2, name: /^Root credentials of account \d+$/ }).waitFor();
      await page.getByRole("alert").filter({ hasText: "Shown once." }).waitFor();
      orgToken = (await page.getByLabel("Root bearer token").textContent()) ?? "";
      const secretId = (await page.getByLabel("Root SecretId").textContent()) ?? "";
      const secretKey = (await page.getByLabel("Root SecretKey").textContent()) ?? "";
      secrets.push(orgToken, secretKey);
      expect(secretId).toMatch(/^AKID/);
      await checkPage("account-created");
      const file = await downloadOf(() => page.getByRole("button", { name: "Download as JSON" }).click());
      const saved = JSON.parse(file.bytes.toString()) as { Uin: string; Token: string; SecretId: string; SecretKey: string };
      expect(saved).toMatchObject({ Token: orgToken, SecretId: secretId, SecretKey: secretKey });
      orgUin = BigInt(saved.Uin);
      const listed = (await op.operator.listAccounts({})).accounts.find((a) => a.uin === orgUin);
      expect(listed).toMatchObject({ name: "acme-group", description: "the group", status: AccountStatus.ENABLED, organizationUin: 0n, default: false });
      // The token is the new account's root: it works, in its own account.
      const org = callerWith(orgToken);
      expect((await org.kms.listKeyDetail({ allKeyUsages: true })).totalCount).toBe(0);
      await page.getByRole("button", { name: "I have stored them" }).click();
      expect(await page.content()).not.toContain(orgToken);
      expect(await page.content()).not.toContain(secretKey);

      // With a chosen uin and app id; a taken name is refused.
      await page.getByLabel(/^Account name/).fill("acme-payments");
      await page.getByLabel(/^Uin \(optional\)/).fill("200000000002");
      await page.getByLabel(/^App id \(optional\)/).fill("1300000002");
      await page.getByRole("button", { name: "Create account" }).click();
      await page.getByRole("heading", { level: 2, name: "Root credentials of account 200000000002" }).waitFor();
      const memberToken = (await page.getByLabel("Root bearer token").textContent()) ?? "";
      secrets.push(memberToken);
      memberUin = 200000000002n;
      member = callerWith(memberToken);
      await page.getByRole("button", { name: "I have stored them" }).click();
      expect((await op.operator.listAccounts({})).accounts.find((a) => a.uin === memberUin)).toMatchObject({ name: "acme-payments", appId: 1300000002n });
      outsiderUin = (await op.operator.createAccount({ name: "outsider" })).account!.uin;

      await page.getByLabel(/^Account name/).fill("acme-group");
      await page.getByRole("button", { name: "Create account" }).click();
      await alertCode("ResourceInUse").waitFor();
      expect((await op.operator.listAccounts({})).accounts.filter((a) => a.name === "acme-group")).toHaveLength(1);
    });

    it("disables and enables an account (its credentials stop and start working), and sets its organisation; the default account offers neither", async () => {
      await go("#/accounts", "Accounts");
      await confirm("Disable acme-payments", "Disable");
      await status("acme-payments disabled.");
      expect((await op.operator.listAccounts({})).accounts.find((a) => a.uin === memberUin)?.status).toBe(AccountStatus.DISABLED);
      expect(await codeOf(member.kms.getServiceStatus({}))).toMatch(/^AuthFailure/);
      await confirm("Enable acme-payments", "Enable");
      await status("acme-payments enabled.");
      await member.kms.getServiceStatus({});

      await page.getByRole("button", { name: "Organisation of acme-payments", exact: true }).click();
      await page.getByRole("dialog").getByLabel("Organisation account").selectOption(String(orgUin));
      await checkPage("organisation-dialog");
      await inDialog("Save organisation").click();
      await page.getByRole("dialog").waitFor({ state: "hidden" });
      await status(`acme-payments is a member of ${orgUin}.`);
      expect((await op.operator.listAccounts({})).accounts.find((a) => a.uin === memberUin)?.organizationUin).toBe(orgUin);
      await rowOf("acme-payments").getByRole("cell", { name: "acme-group", exact: true }).waitFor();
      // One level deep: the organisation cannot itself become a member.
      await page.getByRole("button", { name: "Organisation of acme-group", exact: true }).click();
      await page.getByRole("dialog").getByLabel("Organisation account").selectOption(String(outsiderUin));
      await inDialog("Save organisation").click();
      await alertCode("UnsupportedOperation", page.getByRole("dialog")).waitFor();
      await inDialog("Cancel").click();
      expect((await op.operator.listAccounts({})).accounts.find((a) => a.uin === orgUin)?.organizationUin).toBe(0n);
      const defaultRow = page.getByRole("row").filter({ has: page.getByRole("rowheader", { name: /\(default\)/ }) });
      expect(await defaultRow.getByRole("button").count()).toBe(0);
      await defaultRow.getByText("The operator's account", { exact: true }).waitFor();
    });

    it("lets the organisation's root see and manage a member's keys and data keys, not use them; a non-member is refused; it has no Accounts page", async () => {
      const keyId = (await member.kms.createKey({ alias: "payments" })).keyId;
      await member.kms.createKey({ alias: "payments-archive" });
      const dk = await member.kms.generateDataKey({ keyId, keySpec: DataKeySpec.AES_256, isHostedByKms: 1, dataKeyName: "payments-dk" });
      secrets.push(Buffer.from(dk.plaintext).toString("base64"));
      const orgPage = await browser.newPage();
      watchRequests(orgPage.page, false);
      const p = orgPage.page;
      await signIn(orgPage, orgToken, "#/datakeys", "Data keys");
      // Not the operator: no Accounts entry, and the page itself shows the service's refusal.
      await expect.poll(() => p.getByRole("navigation", { name: "Console" }).getByRole("link").allTextContents()).not.toContain("Accounts");
      await go("#/accounts", "Accounts", p);
      await alertCode("UnauthorizedOperation", p).waitFor();
      await checkPage("org-accounts-refused", orgPage);
      expect(await codeOf(callerWith(orgToken).operator.listAccounts({}))).toBe("UnauthorizedOperation");

      await go("#/datakeys", "Data keys", p);
      await p.getByRole("button", { name: "Member accounts" }).click();
      await p.getByRole("heading", { level: 1, name: "Member accounts" }).waitFor();
      await p.getByLabel(/^Member account uin/).fill(String(memberUin));
      await p.getByRole("button", { name: "Show its keys" }).click();
      await p.getByRole("heading", { level: 1, name: `Member account ${memberUin}` }).waitFor();
      const keysTable = p.getByRole("table", { name: /^Keys of member account/ });
      const dkTable = p.getByRole("table", { name: /^Data keys of member account/ });
      await keysTable.getByRole("cell", { name: "payments", exact: true }).waitFor();
      expect(await keysTable.locator("tbody tr").count()).toBe(2);
      await expectShown([dk.dataKeyId], p, dkTable);
      await checkPage("member", orgPage);

      await p.getByLabel("Select key payments", { exact: true }).check();
      await confirm("Disable selected keys", "Disable selected keys", p);
      await status("Disabled 1 key(s) of", p);
      expect((await member.kms.describeKey({ keyId })).keyMetadata?.keyState).toBe(KeyState.DISABLED);
      await p.getByLabel("Select key payments", { exact: true }).check();
      await confirm("Enable selected keys", "Enable selected keys", p);
      await status("Enabled 1 key(s) of", p);
      expect((await member.kms.describeKey({ keyId })).keyMetadata?.keyState).toBe(KeyState.ENABLED);
      // Audited in the member's trail too, naming the member.
      await ts.server.audit.flush();
      const seen = await member.admin.queryAuditEvents({ action: "kms:EnableKeys", limit: 10 });
      expect(seen.events.map((e) => [e.accountUin, e.memberAccountUins])).toEqual([[orgUin, [memberUin]]]);

      await dkTable.getByRole("link", { name: "payments-dk" }).click();
      await p.getByRole("heading", { level: 1, name: "payments-dk" }).waitFor();
      expect(p.url()).toContain(`?member=${memberUin}`);
      const blob = await downloadOf(() => p.getByRole("button", { name: "Download ciphertext blob" }).click(), p);
      expect(blob.bytes).toEqual(Buffer.from(dk.ciphertextBlob));
      // No plaintext for the organisation: GetDataKeyPlaintext has no MemberAccount.
      await p.getByText("GetDataKeyPlaintext carries no MemberAccount").waitFor();
      expect(await p.getByRole("button", { name: "Reveal plaintext" }).count()).toBe(0);
      await p.getByRole("textbox", { name: /^Name/ }).fill("payments-dk-renamed");
      await p.getByRole("button", { name: "Rename", exact: true }).click();
      await status("Renamed to payments-dk-renamed.", p);
      await confirm("Disable data key", "Disable", p);
      await status("Data key disabled.", p);
      expect(await describeDataKey(dk.dataKeyId, member)).toMatchObject({ dataKeyName: "payments-dk-renamed", keyState: DataKeyState.DISABLED });
      await checkPage("member-data-key", orgPage);
      // The member's data key is not the organisation's own.
      expect(await codeOf(callerWith(orgToken).datakeys.describeDataKey({ dataKeyId: dk.dataKeyId }))).toBe("ResourceUnavailable.DataKeyNotFound");

      // An account that is not a member: both listings are refused.
      await go(`#/members/${outsiderUin}`, `Member account ${outsiderUin}`, p);
      await alertCode("UnauthorizedOperation", p.getByRole("region", { name: /^Keys/ })).waitFor();
      await alertCode("UnauthorizedOperation", p.getByRole("region", { name: /^Data keys/ })).waitFor();
      await checkPage("member-refused", orgPage);
      await orgPage.context.close();
    });
  });

  describe("a sub-user with a narrow policy", () => {
    let sub: WatchedPage;
    let dataKeyId: string;
    let cmk: string;

    beforeAll(async () => {
      cmk = (await op.kms.createKey({ alias: "sub-cmk" })).keyId;
      dataKeyId = (await op.kms.generateDataKey({ keyId: cmk, keySpec: DataKeySpec.AES_256, isHostedByKms: 1, dataKeyName: "readable-only" })).dataKeyId;
      const p = (await op.admin.createPrincipal({ name: "datakey-reader" })).principal!;
      await op.admin.createPolicy({
        name: "datakey-reader",
        document: JSON.stringify({
          version: "2.0",
          statement: [{ effect: "allow", action: ["kms:ListDataKeyDetail", "kms:DescribeDataKey", "kms:GetServiceStatus", "ssm:ListDatabaseInstances"], resource: ["*"] }],
        }),
      });
      await op.admin.attachPolicy({ principalUin: p.uin, policyName: "datakey-reader" });
      const token = (await op.admin.createToken({ principalUin: p.uin })).secret;
      secrets.push(token);
      sub = await browser.newPage();
      watchRequests(sub.page, false);
      await signIn(sub, token, "#/datakeys", "Data keys");
    });
    afterAll(async () => {
      await sub?.context.close();
    });

    it("lists and reads data keys' metadata, and sees UnauthorizedOperation for the plaintext, a change, a new data key and the Accounts page", async () => {
      const p = sub.page;
      await p.getByRole("link", { name: "readable-only", exact: true }).click();
      await p.getByRole("heading", { level: 1, name: "readable-only" }).waitFor();
      await p.getByRole("button", { name: "Reveal plaintext" }).click();
      await alertCode("UnauthorizedOperation", p).waitFor();
      await checkPage("denied-plaintext", sub);
      await p.getByRole("button", { name: "Disable data key", exact: true }).click();
      await inDialog("Disable", p).click();
      await alertCode("UnauthorizedOperation", p.getByRole("dialog")).waitFor();
      await inDialog("Cancel", p).click();
      expect((await describeDataKey(dataKeyId)).keyState).toBe(DataKeyState.ENABLED);
      await ts.server.audit.flush();
      const denied = await op.admin.queryAuditEvents({ action: "kms:GetDataKeyPlaintext", result: "UnauthorizedOperation", limit: 10 });
      expect(denied.events.map((e) => e.principalName)).toContain("datakey-reader");

      const before = (await op.datakeys.listDataKeyDetail({})).totalCount;
      await go("#/datakeys/new", "Create data key", p);
      await p.getByLabel(/^Data key name/).fill("not-allowed");
      await p.getByLabel(/^CMK that seals it/).fill(cmk);
      await p.getByRole("button", { name: "Generate data key" }).click();
      await alertCode("UnauthorizedOperation", p).waitFor();
      expect((await op.datakeys.listDataKeyDetail({})).totalCount).toBe(before);

      // The operator's service is the operator's alone, whatever the policy says.
      await expect.poll(() => p.getByRole("navigation", { name: "Console" }).getByRole("link").allTextContents()).not.toContain("Accounts");
      await go("#/accounts", "Accounts", p);
      await alertCode("UnauthorizedOperation", p).waitFor();
      await checkPage("denied-accounts", sub);

      await go("#/secrets/databases", "Database instances", p);
      await p.getByText("No instance is registered.").waitFor();
      await p.getByLabel(/^Instance ID/).fill("cdb-denied");
      await p.getByLabel(/^Host/).fill("127.0.0.1");
      await p.getByLabel(/^Admin user/).fill("kms_admin");
      await p.getByLabel(/^Admin password/).fill("not-sent-anywhere");
      await p.getByRole("button", { name: "Register instance" }).click();
      await alertCode("UnauthorizedOperation", p).waitFor();
      expect(await p.getByLabel(/^Admin password/).inputValue()).toBe("");
    });
  });

  describe.skipIf(skipWithoutMariadb)("database instances", () => {
    let db: MariaDb;

    beforeAll(async () => {
      db = await startMariaDb();
    }, 120_000);
    afterAll(async () => {
      await db?.dispose();
    });

    it("registers an instance (the service logs in first), lists it without its password, replaces and deregisters it", async () => {
      secrets.push(db.adminPassword);
      const bodies: Buffer[] = [];
      const onResponse = async (r: { url(): string; body(): Promise<Buffer> }) => {
        if (r.url().includes("/ssm.v1.SecretsManagerService/")) bodies.push(await r.body().catch(() => Buffer.alloc(0)));
      };
      page.on("response", onResponse);
      await go("#/secrets", "Secrets");
      await page.getByRole("button", { name: "Database instances" }).click();
      await page.getByRole("heading", { level: 1, name: "Database instances" }).waitFor();
      await page.getByText("No instance is registered.").waitFor();
      await checkPage("instances-empty");
      const fill = async (password: string, description = "") => {
        await page.getByLabel(/^Instance ID/).fill("cdb-console");
        await page.getByLabel(/^Host/).fill(db.host);
        await page.getByLabel(/^Port/).fill(String(db.port));
        await page.getByLabel(/^Admin user/).fill(db.adminUser);
        await page.getByLabel(/^Admin password/).fill(password);
        await page.getByRole("textbox", { name: /^Instance description/ }).fill(description);
        await page.getByRole("button", { name: "Register instance" }).click();
      };
      // A password the database refuses: nothing registered, and the field is emptied.
      await fill("wrong-password");
      await alertCode("FailedOperation").waitFor();
      expect(await page.getByLabel(/^Admin password/).inputValue()).toBe("");
      expect((await op.ssm.listDatabaseInstances({})).totalCount).toBe(0);

      await fill(db.adminPassword, "orders MariaDB");
      await status("cdb-console registered.");
      expect(await page.getByLabel(/^Admin password/).inputValue()).toBe("");
      await page.getByRole("rowheader", { name: "cdb-console" }).waitFor();
      const listed = (await op.ssm.listDatabaseInstances({})).instances;
      expect(listed.map((i) => [i.instanceId, i.productName, i.host, i.port, i.adminUser, i.description])).toEqual([["cdb-console", "Mysql", db.host, db.port, db.adminUser, "orders MariaDB"]]);
      await checkPage("instances");

      await fill(db.adminPassword, "orders MariaDB, again");
      await status("cdb-console registered again (the previous registration was replaced).");
      expect((await op.ssm.listDatabaseInstances({})).instances[0]?.description).toBe("orders MariaDB, again");

      await confirm("Deregister cdb-console", "Deregister");
      await status("cdb-console deregistered.");
      expect((await op.ssm.listDatabaseInstances({})).totalCount).toBe(0);
      await page.getByText("No instance is registered.").waitFor();
      page.off("response", onResponse);

      // The password went out in the register calls only: no answer and no page carried it back.
      expect(await page.content()).not.toContain(db.adminPassword);
      expect(bodies.length).toBeGreaterThan(4);
      for (const b of bodies) expect(b.includes(Buffer.from(db.adminPassword))).toBe(false);
    });
  });

  it("never put a secret or a token in an address", () => {
    expect(urls.length).toBeGreaterThan(50);
    for (const u of urls) {
      expect(u).not.toContain(ts.token);
      for (const s of secrets) if (s) expect(u).not.toContain(encodeURIComponent(s));
    }
  });
});
