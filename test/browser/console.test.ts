/**
 * The web console in a real browser (Debian's chromium through
 * playwright-core) against the real server: every workflow clicked through,
 * with assertions on what the page shows and on the server's state
 * afterwards, read through the API. Also: the security headers on both
 * listeners, no CSP violation, no secret in a URL or cookie, a sub-user who
 * sees the API's denial code, axe-core on every page, and a screenshot of
 * each page in test/browser/artifacts/.
 */
import { constants, createPublicKey, publicEncrypt, randomBytes } from "node:crypto";
import { readFile } from "node:fs/promises";
import http2 from "node:http2";
import { fromBinary } from "@bufbuild/protobuf";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildConsole } from "../../console/build.js";
import { KeyState, KeyUsage, ListKeyDetailRequestSchema, MessageType, Origin, type ListKeyDetailRequest } from "../../gen/kms/v1/kms_pb.js";
import { KeyVersionState } from "../../gen/kms/v1/versions_pb.js";
import { ManualClock } from "../../src/clock.js";
import { CONTENT_SECURITY_POLICY } from "../../src/console/serve.js";
import { createSm2Encrypter } from "../../src/crypto/asymmetric/sm2.js";
import { adminClient, codeOf, connectClients, type AdminClient, type ConnectClients } from "../helpers/clients.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { browserMissing, launchBrowser, screenshot, seriousViolations, type TestBrowser, type WatchedPage } from "./browser.js";

const missing = browserMissing();
if (missing) console.warn(`skipping the browser tests: ${missing}`);

const ACCOUNT = "100000000001";

let ts: TestServer;
let api: ConnectClients;
let admin: { client: AdminClient; close(): void };
let browser: TestBrowser;
let root: WatchedPage;
let page: Page;
/** Every URL the root's page requested, to check no secret ever travels in one. */
const urls: string[] = [];

const consoleUrl = (hash = "") => `${ts.httpUrl}/console/${hash}`;

async function go(hash: string, heading: string | RegExp): Promise<void> {
  await page.goto(consoleUrl(hash));
  await page.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/** The open confirmation dialog's button. */
const inDialog = (name: string) => page.getByRole("dialog").getByRole("button", { name, exact: true });

async function confirm(opener: string, confirmLabel = opener): Promise<void> {
  await page.getByRole("button", { name: opener, exact: true }).click();
  await inDialog(confirmLabel).click();
  await page.getByRole("dialog").waitFor({ state: "hidden" });
}

async function status(text: string | RegExp): Promise<void> {
  await page.getByRole("status").filter({ hasText: text }).first().waitFor();
}

async function describeKey(keyId: string) {
  const md = (await api.grpc.describeKey({ keyId })).keyMetadata;
  if (!md) throw new Error("no metadata");
  return md;
}

/** Checks the page as it is now: axe finds nothing serious, no CSP violation, a screenshot for the artifacts. */
async function checkPage(name: string, watched: WatchedPage = root): Promise<void> {
  await screenshot(watched.page, name);
  const serious = await seriousViolations(watched.page);
  expect(serious, `${name}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
  expect(await watched.cspViolations()).toEqual([]);
  expect(watched.problems).toEqual([]);
}

async function keyIdOnPage(): Promise<string> {
  const m = /#\/keys\/([0-9a-f-]{36})/.exec(page.url());
  if (!m?.[1]) throw new Error(`not on a key page: ${page.url()}`);
  return m[1];
}

describe.skipIf(missing !== undefined)("web console", () => {
  beforeAll(async () => {
    await buildConsole();
    // The domain clock starts a minute before the real time and only moves when a test advances it (25 s in all), so
    // every event of this run is in the dashboard's "last hour", never after the browser's now however fast the run.
    ts = await startTestServer({ clock: new ManualClock(Date.now() - 60_000), env: { KMS_RATE_LIMIT: "0", KMS_SYNC_WRITES: "false" } });
    api = connectClients(ts);
    admin = adminClient(ts);
    browser = await launchBrowser();
    root = await browser.newPage();
    page = root.page;
    page.on("request", (r) => urls.push(r.url()));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    api?.close();
    admin?.close();
    await ts?.dispose();
  });

  describe("served safely", () => {
    it("answers /console with the security headers on the HTTP/1.1 and HTTP/2 listeners", async () => {
      const h1 = await fetch(consoleUrl());
      expect(h1.status).toBe(200);
      expect(h1.headers.get("content-security-policy")).toBe(CONTENT_SECURITY_POLICY);
      expect(h1.headers.get("x-frame-options")).toBe("DENY");
      expect(h1.headers.get("x-content-type-options")).toBe("nosniff");
      expect(h1.headers.get("referrer-policy")).toBe("no-referrer");
      const html = await h1.text();
      expect(html).not.toMatch(/<script>|<style|style=/);
      const asset = /src="\/console\/(app-[A-Z0-9]{8}\.js)"/.exec(html)?.[1];
      expect(asset).toBeDefined();
      const js = await fetch(consoleUrl(asset));
      expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
      expect(js.headers.get("cache-control")).toContain("immutable");
      // fetch resolves the dot segments to /package.json, which is no file of the build and no method: 404, and no file is read.
      const escaped = await fetch(`${ts.httpUrl}/console/%2e%2e/package.json`);
      expect(escaped.status).toBe(404);
      expect(await escaped.text()).not.toContain("tc-kms");
      // The API still answers beside it.
      expect((await fetch(`${ts.httpUrl}/healthz`)).status).toBe(200);

      const session = http2.connect(ts.grpcUrl);
      try {
        const h2 = await new Promise<http2.IncomingHttpHeaders>((resolve, reject) => {
          const req = session.request({ ":path": "/console/", ":method": "GET" });
          req.on("response", (headers) => {
            req.resume();
            req.on("end", () => resolve(headers));
          });
          req.on("error", reject);
          req.end();
        });
        expect(h2[":status"]).toBe(200);
        expect(h2["content-security-policy"]).toBe(CONTENT_SECURITY_POLICY);
        expect(h2["x-frame-options"]).toBe("DENY");
      } finally {
        session.close();
      }
    });

    it("refuses a bad token with the API's code, and signs in with the root's", async () => {
      await page.goto(consoleUrl());
      await page.getByRole("heading", { name: "Sign in to tc-kms" }).waitFor();
      await checkPage("sign-in");
      await page.getByLabel("Bearer token").fill("not-a-token");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.locator('[role=alert][data-code="AuthFailure.TokenFailure"]').waitFor();
      await page.getByLabel("Bearer token").fill(ts.token);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
      // Held for this tab only: session storage, no cookie, never in the address.
      expect(await page.evaluate("sessionStorage.getItem('tc-kms.console.token')")).toBe(ts.token);
      expect(await root.context.cookies()).toEqual([]);
      expect(await page.evaluate("document.cookie")).toBe("");
      expect(page.url()).not.toContain(ts.token);
    });
  });

  describe("keys", () => {
    it("creates a symmetric key with alias, description and tags", async () => {
      await go("#/keys/new", "Create key");
      await checkPage("key-create");
      await page.getByLabel("Alias").fill("orders");
      await page.getByLabel("Description").fill("order data");
      await page.getByRole("button", { name: "Add tag" }).click();
      await page.getByLabel("Tag key 1").fill("team");
      await page.getByLabel("Tag value 1").fill("pay");
      await page.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("heading", { level: 1, name: "orders" }).waitFor();
      const keyId = await keyIdOnPage();
      await page.getByText("team=pay").waitFor();
      const md = await describeKey(keyId);
      expect(md).toMatchObject({ alias: "orders", description: "order data", keyState: KeyState.ENABLED, keyUsage: KeyUsage.ENCRYPT_DECRYPT, origin: Origin.TENCENT_KMS });
      expect(md.tags.map((t) => [t.tagKey, t.tagValue])).toEqual([["team", "pay"]]);
      await checkPage("key-page");
    });

    it("shows the API's refusal of a bad alias and creates nothing", async () => {
      const before = (await api.grpc.getServiceStatus({})).cmkUserCount;
      await go("#/keys/new", "Create key");
      await page.getByLabel("Alias").fill("kms-reserved");
      await page.getByRole("button", { name: "Create key" }).click();
      await page.locator('[role=alert][data-code="InvalidParameterValue.InvalidAlias"]').waitFor();
      await page.getByLabel("Alias").fill("orders");
      await page.getByRole("button", { name: "Create key" }).click();
      await page.locator('[role=alert][data-code="InvalidParameterValue.AliasAlreadyExists"]').waitFor();
      expect((await api.grpc.getServiceStatus({})).cmkUserCount).toBe(before);
    });

    it.each([
      ["sm2-signer", "ASYMMETRIC_SIGN_VERIFY_SM2", KeyUsage.ASYMMETRIC_SIGN_VERIFY_SM2],
      ["ecc-signer", "ASYMMETRIC_SIGN_VERIFY_ECC", KeyUsage.ASYMMETRIC_SIGN_VERIFY_ECC],
      ["rsa-decrypter", "ASYMMETRIC_DECRYPT_RSA_2048", KeyUsage.ASYMMETRIC_DECRYPT_RSA_2048],
      ["sm2-decrypter", "ASYMMETRIC_DECRYPT_SM2", KeyUsage.ASYMMETRIC_DECRYPT_SM2],
      ["pq-kem", "ASYMMETRIC_DECRYPT_ML_KEM_768", KeyUsage.ASYMMETRIC_DECRYPT_ML_KEM_768],
      ["pq-dsa", "ASYMMETRIC_SIGN_VERIFY_ML_DSA_65", KeyUsage.ASYMMETRIC_SIGN_VERIFY_ML_DSA_65],
    ])("creates an asymmetric or post-quantum key: %s (%s)", async (alias, usageName, usage) => {
      await go("#/keys/new", "Create key");
      await page.getByLabel("Alias").fill(alias);
      await page.getByLabel("Key usage").selectOption(String(usage));
      await page.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("heading", { level: 1, name: alias }).waitFor();
      const md = await describeKey(await keyIdOnPage());
      expect(md).toMatchObject({ alias, keyUsage: usage, keyState: KeyState.ENABLED });
      await page.getByRole("link", { name: "Public key" }).waitFor();
      expect(usageName).toBe(KeyUsage[usage]);
    });

    it("lists keys with every ListKeyDetail filter, order and paging, one server page at a time", async () => {
      // 25 keys made through the API: tags, states and an EXTERNAL one to filter on.
      const made: string[] = [];
      for (let i = 0; i < 25; i++) {
        ts.clock.advance(1000);
        const r = await api.grpc.createKey({ alias: `bulk-${String(i).padStart(2, "0")}`, tags: [{ tagKey: "env", tagValue: i % 2 ? "prod" : "dev" }] });
        made.push(r.keyId);
      }
      await api.grpc.disableKey({ keyId: made[3]! });
      const external = await api.grpc.createKey({ alias: "bulk-external", type: 2 });
      const requests: ListKeyDetailRequest[] = [];
      page.on("request", (r) => {
        if (r.url().endsWith("/kms.v1.KeyManagementService/ListKeyDetail")) {
          const body = r.postDataBuffer();
          if (body) requests.push(fromBinary(ListKeyDetailRequestSchema, body));
        }
      });
      await go("#/keys", "Keys");
      const rows = page.locator("table tbody tr");
      const total = (await api.grpc.listKeyDetail({ allKeyUsages: true, limit: 1 })).totalCount;
      await page.getByText(`1–20 of ${total}`).waitFor();
      expect(await rows.count()).toBe(20);
      await checkPage("key-list");

      // Search by alias.
      await page.getByLabel("Search alias or key id").fill("bulk-1");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.getByText("1–10 of 10").waitFor();
      // State.
      await page.getByLabel("Search alias or key id").fill("bulk-");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.getByText("1–20 of 26").waitFor();
      await page.getByLabel("State").selectOption(String(KeyState.DISABLED));
      await page.getByText("1–1 of 1").waitFor();
      await page.getByRole("link", { name: "bulk-03" }).waitFor();
      await page.getByLabel("State").selectOption(String(KeyState.UNSPECIFIED));
      // Origin.
      await page.getByLabel("Origin").selectOption(String(Origin.EXTERNAL));
      await page.getByText("1–1 of 1").waitFor();
      await page.getByRole("link", { name: "bulk-external" }).waitFor();
      await page.getByLabel("Origin").selectOption(String(Origin.UNSPECIFIED));
      // Usage: the SM2 signer made earlier, not the bulk keys.
      await page.getByLabel("Search alias or key id").fill("");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.getByLabel("Usage").selectOption(String(KeyUsage.ASYMMETRIC_SIGN_VERIFY_SM2));
      await page.getByText("1–1 of 1").waitFor();
      await page.getByRole("link", { name: "sm2-signer" }).waitFor();
      await page.getByLabel("Usage").selectOption("all");
      // Tags: env=prod among the bulk keys.
      await page.getByRole("button", { name: "Add tag filter" }).click();
      await page.getByLabel("Tag key 1").fill("env");
      await page.getByLabel("Values of tag 1").fill("prod");
      await page.getByRole("button", { name: "Apply filters" }).click();
      const prod = await api.grpc.listKeyDetail({ allKeyUsages: true, tagFilters: [{ tagKey: "env", tagValue: ["prod"] }] });
      expect(prod.totalCount).toBe(12);
      await page.getByText("1–12 of 12").waitFor();
      // Order: oldest first puts bulk-01 (the first prod key) on top.
      await page.getByLabel("Order").selectOption("1");
      await expect.poll(() => rows.first().locator("td").nth(1).textContent()).toBe("bulk-01");
      await page.getByLabel("Order").selectOption("0");
      await expect.poll(() => rows.first().locator("td").nth(1).textContent()).toBe("bulk-23");
      // Paging: 5 per page, page 2 is what the API says it is.
      await page.getByLabel("Keys per page").selectOption("10");
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByText("11–12 of 12").waitFor();
      const page2 = await api.grpc.listKeyDetail({ allKeyUsages: true, tagFilters: [{ tagKey: "env", tagValue: ["prod"] }], offset: 10, limit: 10 });
      expect(await rows.locator("td:nth-child(3)").allTextContents()).toEqual(page2.keyMetadatas.map((k) => k.keyId));
      await page.getByRole("button", { name: "Reset" }).click();
      await page.getByText(`1–20 of ${total + 0}`).waitFor();

      // The page only ever asked for a page: never more than 200 keys at once.
      expect(requests.length).toBeGreaterThan(8);
      for (const r of requests) expect(r.limit).toBeLessThanOrEqual(200);
      expect(requests.some((r) => r.offset === 10 && r.limit === 10 && r.tagFilters[0]?.tagKey === "env")).toBe(true);
      void external;
    });

    it("bulk-disables and enables selected keys, all or nothing", async () => {
      await go("#/keys", "Keys");
      await page.getByLabel("Search alias or key id").fill("bulk-0");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.getByText("1–10 of 10").waitFor();
      await page.getByLabel("Select bulk-05").check();
      await page.getByLabel("Select bulk-06").check();
      await confirm("Disable selected");
      await status("Disabled 2 key(s).");
      const ids = (await api.grpc.listKeyDetail({ allKeyUsages: true, searchKeyAlias: "bulk-0", limit: 100 })).keyMetadatas;
      const state = (alias: string) => ids.find((k) => k.alias === alias)?.keyId ?? "";
      expect((await describeKey(state("bulk-05"))).keyState).toBe(KeyState.DISABLED);
      expect((await describeKey(state("bulk-06"))).keyState).toBe(KeyState.DISABLED);
      await page.getByLabel("Select bulk-05").check();
      await confirm("Enable selected");
      await status("Enabled 1 key(s).");
      expect((await describeKey(state("bulk-05"))).keyState).toBe(KeyState.ENABLED);
      await page.getByRole("button", { name: "Reset" }).click();
    });
  });

  describe("a key's page", () => {
    let keyId: string;
    beforeAll(async () => {
      keyId = (await api.grpc.createKey({ alias: "lifecycle", description: "before" })).keyId;
    });

    it("edits alias and description", async () => {
      await go(`#/keys/${keyId}`, "lifecycle");
      await page.getByLabel("Alias", { exact: true }).fill("lifecycle-2");
      await page.getByRole("button", { name: "Save alias" }).click();
      await status("Alias updated.");
      await page.getByLabel("Description", { exact: true }).fill("after");
      await page.getByRole("button", { name: "Save description" }).click();
      await status("Description updated.");
      expect(await describeKey(keyId)).toMatchObject({ alias: "lifecycle-2", description: "after" });
    });

    it("changes state only after confirmation: disable, enable, archive, schedule and cancel deletion", async () => {
      await go(`#/keys/${keyId}`, "lifecycle-2");
      // Cancelling the dialog changes nothing.
      await page.getByRole("button", { name: "Disable key", exact: true }).click();
      await checkPage("key-confirm-disable");
      await inDialog("Cancel").click();
      expect((await describeKey(keyId)).keyState).toBe(KeyState.ENABLED);
      // By keyboard: Enter opens the dialog with focus inside it, Escape closes it, and nothing changed.
      await page.getByRole("button", { name: "Disable key", exact: true }).focus();
      await page.keyboard.press("Enter");
      await page.getByRole("dialog").waitFor();
      expect(await page.evaluate("document.activeElement?.closest('dialog') !== null")).toBe(true);
      await page.keyboard.press("Escape");
      await page.getByRole("dialog").waitFor({ state: "hidden" });
      expect((await describeKey(keyId)).keyState).toBe(KeyState.ENABLED);
      await confirm("Disable key");
      await status("Key disabled.");
      expect((await describeKey(keyId)).keyState).toBe(KeyState.DISABLED);
      await confirm("Enable key");
      await status("Key enabled.");
      expect((await describeKey(keyId)).keyState).toBe(KeyState.ENABLED);
      await confirm("Archive key");
      await status("Key archived.");
      expect((await describeKey(keyId)).keyState).toBe(KeyState.ARCHIVED);
      await confirm("Cancel archive");
      expect((await describeKey(keyId)).keyState).toBe(KeyState.ENABLED);
      await confirm("Disable key");
      await page.getByRole("button", { name: "Schedule deletion", exact: true }).click();
      await page.getByRole("dialog").getByLabel("Waiting period (days, 7 to 30)").fill("3");
      await inDialog("Schedule deletion").click();
      await page.getByRole("dialog").locator('[role=alert][data-code="InvalidParameter.InvalidPendingWindowInDays"]').waitFor();
      expect((await describeKey(keyId)).keyState).toBe(KeyState.DISABLED);
      await page.getByRole("dialog").getByLabel("Waiting period (days, 7 to 30)").fill("10");
      await inDialog("Schedule deletion").click();
      await status(/Deletion scheduled for/);
      const md = await describeKey(keyId);
      expect(md.keyState).toBe(KeyState.PENDING_DELETE);
      expect(Number(md.deletionDate)).toBe(Math.floor(ts.clock.now() / 1000) + 10 * 86400);
      await confirm("Cancel deletion");
      await status("Deletion cancelled.");
      expect((await describeKey(keyId)).keyState).toBe(KeyState.DISABLED);
      await confirm("Enable key");
    });

    it("rotates, and manages versions: disable, enable, schedule and cancel deletion", async () => {
      await go(`#/keys/${keyId}/rotation`, "lifecycle-2");
      await page.getByLabel("Rotate every (days, 7 to 365)").fill("90");
      await page.getByRole("button", { name: "Enable automatic rotation" }).click();
      await status("Automatic rotation every 90 days.");
      expect(await describeKey(keyId)).toMatchObject({ keyRotationEnabled: true, rotateDays: 90 });
      await confirm("Rotate now");
      await status("Rotated: a new version is primary.");
      await page.getByText("Version 2: created").waitFor();
      expect((await describeKey(keyId)).primaryVersion).toBe(2);
      await checkPage("key-rotation");

      await page.getByRole("link", { name: "Versions" }).click();
      await page.getByRole("cell", { name: "1", exact: true }).waitFor();
      await checkPage("key-versions");
      await confirm("Disable version 1", "Disable");
      await status("Version 1 disabled.");
      const v1 = async () => (await api.versions.describeKeyVersion({ keyId, version: 1 })).version?.state;
      expect(await v1()).toBe(KeyVersionState.DISABLED);
      // The only enabled version cannot be disabled: the API's code, in the dialog.
      await page.getByRole("button", { name: "Disable version 2", exact: true }).click();
      await inDialog("Disable").click();
      await page.getByRole("dialog").locator('[role=alert][data-code="UnsupportedOperation"]').waitFor();
      await inDialog("Cancel").click();
      await confirm("Enable version 1", "Enable");
      expect(await v1()).toBe(KeyVersionState.ENABLED);
      await confirm("Schedule deletion of version 1", "Schedule deletion");
      await status(/Version 1 will be purged on/);
      expect(await v1()).toBe(KeyVersionState.PENDING_DELETE);
      await confirm("Cancel deletion of version 1", "Cancel deletion");
      expect(await v1()).toBe(KeyVersionState.DISABLED);
      await confirm("Enable version 1", "Enable");

      await page.getByRole("link", { name: "Rotation" }).click();
      await confirm("Disable automatic rotation");
      await status("Automatic rotation disabled.");
      expect((await describeKey(keyId)).keyRotationEnabled).toBe(false);
    });

    it("encrypts and decrypts text with an encryption context; a wrong context shows the API's code", async () => {
      await go(`#/keys/${keyId}/crypto`, "lifecycle-2");
      const enc = page.getByRole("form", { name: "Encrypt" });
      await enc.getByLabel("Plaintext", { exact: true }).fill("hello console");
      await enc.getByLabel("Encryption context (JSON, optional)").fill('{"app":"orders"}');
      await enc.getByRole("button", { name: "Encrypt" }).click();
      const blob = await enc.locator("textarea.as-base64").inputValue();
      expect(blob.length).toBeGreaterThan(40);
      // The server decrypts what the page encrypted, under the same context only.
      const back = await api.grpc.decrypt({ ciphertextBlob: Buffer.from(blob, "base64"), encryptionContext: '{"app":"orders"}' });
      expect(Buffer.from(back.plaintext).toString()).toBe("hello console");
      const dec = page.getByRole("form", { name: "Decrypt" });
      expect(await dec.getByLabel("Ciphertext blob (base64)").inputValue()).toBe(blob);
      await dec.getByRole("button", { name: "Decrypt" }).click();
      await dec.locator("output.as-text", { hasText: "hello console" }).waitFor();
      await checkPage("key-encrypt-decrypt");
      await dec.getByLabel("Encryption context (JSON, as given to Encrypt)").fill('{"app":"other"}');
      await dec.getByRole("button", { name: "Decrypt" }).click();
      await dec.locator('[role=alert][data-code="FailedOperation.DecryptError"]').waitFor();
      // Base64 input: bytes that are not UTF-8 come back as base64 only.
      await enc.getByRole("radio", { name: "base64" }).check();
      await enc.getByLabel("Plaintext", { exact: true }).fill(Buffer.from([0xff, 0x00, 0x80]).toString("base64"));
      await enc.getByLabel("Encryption context (JSON, optional)").fill("");
      await enc.getByRole("button", { name: "Encrypt" }).click();
      await expect.poll(async () => (await enc.locator("textarea.as-base64").inputValue()) !== blob).toBe(true);
      await dec.getByLabel("Encryption context (JSON, as given to Encrypt)").fill("");
      await dec.getByRole("button", { name: "Decrypt" }).click();
      await expect.poll(() => dec.locator("textarea.as-base64").inputValue()).toBe("/wCA");
    });

    it("binds and unbinds a resource; a bound key cannot be scheduled for deletion", async () => {
      await go(`#/keys/${keyId}/bindings`, "lifecycle-2");
      await page.getByLabel("Product ID").fill("cos");
      await page.getByLabel("Resource ID").fill("bucket-1");
      await page.getByRole("button", { name: "Bind", exact: true }).click();
      await status("Bound cos bucket-1.");
      await page.getByRole("cell", { name: "bucket-1", exact: true }).waitFor();
      expect((await describeKey(keyId)).bindings.map((b) => [b.productId, b.resourceId])).toEqual([["cos", "bucket-1"]]);
      await checkPage("key-bindings");
      await api.grpc.disableKey({ keyId });
      await page.getByRole("link", { name: "Overview" }).click();
      await page.getByRole("button", { name: "Schedule deletion", exact: true }).click();
      await inDialog("Schedule deletion").click();
      await page.getByRole("dialog").locator('[role=alert][data-code="FailedOperation.CmkUsedByCloudProduct"]').waitFor();
      await inDialog("Cancel").click();
      await page.getByRole("link", { name: "Bindings" }).click();
      await confirm("Unbind cos bucket-1", "Unbind");
      await status("Unbound cos bucket-1.");
      expect((await describeKey(keyId)).bindings).toEqual([]);
      await api.grpc.enableKey({ keyId });
    });
  });

  describe("asymmetric and post-quantum keys", () => {
    const keyOf = async (alias: string) => (await api.grpc.listKeyDetail({ allKeyUsages: true, searchKeyAlias: alias, limit: 1 })).keyMetadatas[0]!.keyId;

    it("downloads the public key as PEM, signs, and verifies (SM2 and ECDSA)", async () => {
      for (const [alias, algorithm] of [
        ["sm2-signer", "SM2DSA"],
        ["ecc-signer", "ECC_P256_R1"],
      ] as const) {
        const keyId = await keyOf(alias);
        await go(`#/keys/${keyId}/public-key`, alias);
        const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download PEM" }).click()]);
        expect(download.suggestedFilename()).toBe(`${alias}.pem`);
        const pemText = await readFile(await download.path(), "utf8");
        expect(pemText).toBe((await api.grpc.getPublicKey({ keyId })).publicKeyPem);
        // OpenSSL (through node:crypto) reads the PEM; SM2 keys are EC keys on the SM2 curve.
        expect(createPublicKey(pemText).type).toBe("public");
        if (alias === "ecc-signer") expect(createPublicKey(pemText).asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
        if (alias === "sm2-signer") await checkPage("key-public-key");

        await page.getByRole("link", { name: "Use the key" }).click();
        await page.getByLabel("Algorithm").selectOption(algorithm);
        await page.getByLabel("Message", { exact: true }).fill("sign me");
        await page.getByRole("form", { name: "Sign" }).getByRole("button", { name: "Sign" }).click();
        const sig = await page.getByRole("form", { name: "Sign" }).locator("textarea.as-base64").inputValue();
        const verified = await api.grpc.verifyByAsymmetricKey({ keyId, algorithm, message: Buffer.from("sign me"), signatureValue: Buffer.from(sig, "base64"), messageType: MessageType.RAW });
        expect(verified.signatureValid).toBe(true);
        const verify = page.getByRole("form", { name: "Verify" });
        await verify.getByRole("button", { name: "Verify" }).click();
        await verify.getByRole("status").filter({ hasText: "The signature is valid." }).waitFor();
        await page.getByLabel("Message", { exact: true }).fill("another message");
        await verify.getByRole("button", { name: "Verify" }).click();
        await verify.getByRole("status").filter({ hasText: "The signature is NOT valid." }).waitFor();
        if (alias === "ecc-signer") await checkPage("key-sign-verify");
      }
    });

    it("decrypts with RSA-2048 (OAEP SHA-256) and SM2 what was encrypted to their public keys", async () => {
      const rsa = await keyOf("rsa-decrypter");
      const pemText = (await api.grpc.getPublicKey({ keyId: rsa })).publicKeyPem;
      const ct = publicEncrypt({ key: pemText, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, Buffer.from("for rsa"));
      await go(`#/keys/${rsa}/crypto`, "rsa-decrypter");
      await page.getByLabel("Ciphertext (base64)").fill(ct.toString("base64"));
      await page.getByLabel("Algorithm").selectOption("RSAES_OAEP_SHA_256");
      await page.getByRole("button", { name: "Decrypt" }).click();
      await page.locator("output.as-text", { hasText: "for rsa" }).waitFor();
      await checkPage("key-asymmetric-decrypt");

      const sm2 = await keyOf("sm2-decrypter");
      const spki = (await api.grpc.getPublicKey({ keyId: sm2 })).publicKey;
      const sm2ct = createSm2Encrypter(spki).encrypt(Buffer.from("for sm2"), "C1C3C2_ASN1");
      await go(`#/keys/${sm2}/crypto`, "sm2-decrypter");
      await page.getByLabel("Ciphertext (base64)").fill(Buffer.from(sm2ct).toString("base64"));
      await page.getByRole("button", { name: "Decrypt" }).click();
      await page.locator("output.as-text", { hasText: "for sm2" }).waitFor();
    });

    it("encrypts and decrypts with ML-KEM-768, signs and verifies with ML-DSA-65", async () => {
      const kem = await keyOf("pq-kem");
      await go(`#/keys/${kem}/crypto`, "pq-kem");
      const enc = page.getByRole("form", { name: "Post-quantum encrypt" });
      await enc.getByLabel("Plaintext", { exact: true }).fill("quantum-safe");
      await enc.getByRole("button", { name: "Encrypt" }).click();
      const blob = await enc.locator("textarea.as-base64").inputValue();
      expect(Buffer.from((await api.grpc.postQuantumCryptoDecrypt({ ciphertextBlob: Buffer.from(blob, "base64") })).plainText).toString()).toBe("quantum-safe");
      const dec = page.getByRole("form", { name: "Post-quantum decrypt" });
      await dec.getByRole("button", { name: "Decrypt" }).click();
      await dec.locator("output.as-text", { hasText: "quantum-safe" }).waitFor();
      await checkPage("key-post-quantum");

      const dsa = await keyOf("pq-dsa");
      await go(`#/keys/${dsa}/crypto`, "pq-dsa");
      await page.getByLabel("Message", { exact: true }).fill("pq message");
      await page.getByRole("form", { name: "Sign" }).getByRole("button", { name: "Sign" }).click();
      const sig = await page.getByRole("form", { name: "Sign" }).locator("textarea.as-base64").inputValue();
      expect(Buffer.from(sig, "base64").length).toBe(3309);
      expect((await api.grpc.postQuantumCryptoVerify({ keyId: dsa, message: Buffer.from("pq message"), signatureValue: Buffer.from(sig, "base64") })).signatureValid).toBe(true);
      await page.getByRole("form", { name: "Verify" }).getByRole("button", { name: "Verify" }).click();
      await page.getByRole("status").filter({ hasText: "The signature is valid." }).waitFor();
    });
  });

  describe("bring your own key", () => {
    it("creates an EXTERNAL key, downloads the wrapping key, uploads wrapped material, then deletes it", async () => {
      await go("#/keys/new", "Create key");
      await page.getByLabel("Alias").fill("byok");
      await page.getByLabel(/Imported by you/).check();
      await page.getByRole("button", { name: "Create key" }).click();
      await page.getByRole("heading", { level: 3, name: "1. Download the wrapping key and token" }).waitFor();
      const keyId = await keyIdOnPage();
      expect(await describeKey(keyId)).toMatchObject({ keyState: KeyState.PENDING_IMPORT, origin: Origin.EXTERNAL });

      await page.getByRole("button", { name: "Get wrapping key and token" }).click();
      const [download] = await Promise.all([page.waitForEvent("download"), page.getByRole("button", { name: "Download wrapping key (PEM)" }).click()]);
      const wrappingPem = await readFile(await download.path(), "utf8");
      await checkPage("key-import");
      const material = randomBytes(32);
      const wrapped = publicEncrypt({ key: wrappingPem, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" }, material);
      await page.getByLabel("Wrapped material file").setInputFiles({ name: "wrapped.bin", mimeType: "application/octet-stream", buffer: wrapped });
      expect(await page.getByRole("form", { name: "Upload wrapped material" }).getByLabel("Import token").inputValue()).toMatch(/\S{16,}/);
      await page.getByRole("button", { name: "Import material" }).click();
      await status("Material imported.");
      expect((await describeKey(keyId)).keyState).toBe(KeyState.ENABLED);
      // The imported material really is the key: a blob made with it decrypts, and the service's AES-GCM matches.
      const blob = await api.grpc.encrypt({ keyId, plaintext: Buffer.from("byok") });
      expect(Buffer.from((await api.grpc.decrypt({ ciphertextBlob: blob.ciphertextBlob })).plaintext).toString()).toBe("byok");

      await confirm("Delete imported material");
      await status("Material deleted: the key is PendingImport.");
      expect((await describeKey(keyId)).keyState).toBe(KeyState.PENDING_IMPORT);
    });
  });

  describe("access", () => {
    let uin: bigint;
    let subToken = "";

    it("creates a sub-user", async () => {
      await go("#/access/principals", "Principals");
      await page.getByLabel("Name").fill("billing");
      await page.getByLabel("Description").fill("billing service");
      await page.getByRole("button", { name: "Create sub-user" }).click();
      await status(/Created sub-user billing/);
      const p = (await admin.client.listPrincipals({})).principals.find((x) => x.name === "billing");
      expect(p).toMatchObject({ description: "billing service", root: false, policyNames: [] });
      uin = p!.uin;
      await page.getByRole("link", { name: "billing" }).waitFor();
      await checkPage("access-principals");
    });

    it("shows the policy engine's refusal in place, then saves the fixed document", async () => {
      await go("#/access/new-policy", "Create policy");
      await page.getByLabel("Name").fill("key-reader");
      const doc = page.getByLabel("Policy document (JSON)");
      await doc.fill(JSON.stringify({ version: "2.0", statement: [{ effect: "permit", action: ["kms:ListKeyDetail"], resource: ["*"] }] }));
      await page.getByRole("button", { name: "Create policy" }).click();
      await expect.poll(() => doc.getAttribute("aria-invalid")).toBe("true");
      const error = page.locator("small.invalid");
      await error.filter({ hasText: /InvalidParameterValue: statement\[0\]\.effect: must be "allow" or "deny"/ }).waitFor();
      await checkPage("access-policy-error");
      expect((await admin.client.listPolicies({})).policies.map((p) => p.name)).not.toContain("key-reader");

      const good = {
        version: "2.0",
        statement: [{ effect: "allow", action: ["kms:ListKeyDetail", "kms:DescribeKey", "kms:GetServiceStatus", "kms:Encrypt"], resource: [`qcs::kms::uin/${ACCOUNT}:*`] }],
      };
      await doc.fill(JSON.stringify(good));
      expect(await doc.getAttribute("aria-invalid")).toBeNull();
      await page.getByRole("button", { name: "Format JSON" }).click();
      expect(await doc.inputValue()).toBe(JSON.stringify(good, null, 2));
      await page.getByRole("button", { name: "Create policy" }).click();
      await page.getByRole("heading", { level: 1, name: "Policy key-reader" }).waitFor();
      const stored = (await admin.client.listPolicies({})).policies.find((p) => p.name === "key-reader");
      expect(JSON.parse(stored!.document)).toEqual(good);
      // Editing an existing policy goes through the same check.
      await doc.fill('{"version":"2.0","statement":[]}');
      await page.getByRole("button", { name: "Save policy" }).click();
      await page.locator("small.invalid").filter({ hasText: "statement: must not be empty" }).waitFor();
      expect(JSON.parse((await admin.client.listPolicies({})).policies.find((p) => p.name === "key-reader")!.document)).toEqual(good);
    });

    it("attaches the policy, creates a token and an access key shown once, and manages them", async () => {
      await go(`#/access/principals/${uin}`, "billing");
      await page.getByLabel("Policy to attach").selectOption("key-reader");
      await page.getByRole("button", { name: "Attach policy" }).click();
      await status("Attached key-reader.");
      expect((await admin.client.listPrincipals({})).principals.find((p) => p.uin === uin)?.policyNames).toEqual(["key-reader"]);

      await page.getByLabel("Token description").fill("console test");
      await page.getByRole("button", { name: "Create token" }).click();
      const secret = page.getByRole("region", { name: "New bearer token" }).locator("pre.secret");
      subToken = (await secret.textContent()) ?? "";
      expect(subToken).toMatch(/^kmst[A-Za-z0-9]{16}/);
      const tokens = (await admin.client.listTokens({ principalUin: uin })).tokens;
      expect(tokens.map((t) => t.tokenId)).toEqual([subToken.slice(0, 20)]);
      await checkPage("access-principal-secret");
      await page.getByRole("button", { name: "I have stored it" }).click();
      // Shown once: gone from the page, and nowhere in the list.
      expect(await page.getByText(subToken).count()).toBe(0);
      await page.getByRole("cell", { name: subToken.slice(0, 20), exact: true }).waitFor();

      await page.getByLabel("Access key description").fill("sdk");
      await page.getByRole("button", { name: "Create access key" }).click();
      await status(/Created AKID/);
      const keys = (await admin.client.listAccessKeys({ principalUin: uin })).accessKeys;
      expect(keys).toHaveLength(1);
      const secretId = keys[0]!.secretId;
      expect(await page.getByRole("region", { name: `SecretKey of ${secretId}` }).locator("pre.secret").textContent()).toMatch(/^[A-Za-z0-9]{32}$/);
      await page.getByRole("button", { name: "I have stored it" }).click();
      await confirm(`Disable ${secretId}`, "Disable");
      expect((await admin.client.listAccessKeys({ principalUin: uin })).accessKeys[0]?.status).toBe(2);
      await confirm(`Enable ${secretId}`, "Enable");
      expect((await admin.client.listAccessKeys({ principalUin: uin })).accessKeys[0]?.status).toBe(1);
      await confirm(`Delete ${secretId}`, "Delete");
      await status(`Deleted ${secretId}.`);
      expect((await admin.client.listAccessKeys({ principalUin: uin })).accessKeys).toEqual([]);
      await checkPage("access-principal");
    });

    it("a sub-user sees what its policy allows, and the API's denial code for the rest", async () => {
      const sub = await browser.newPage();
      const p = sub.page;
      await p.goto(consoleUrl("#/keys"));
      await p.getByLabel("Bearer token").fill(subToken);
      await p.getByLabel(/Stay signed in/).uncheck();
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.getByRole("heading", { level: 1, name: "Keys" }).waitFor();
      await p.getByLabel("Search alias or key id").fill("orders");
      await p.getByRole("button", { name: "Apply filters" }).click();
      await p.getByRole("link", { name: "orders" }).waitFor();
      // Memory only when asked: nothing in session storage.
      expect(await p.evaluate("sessionStorage.length")).toBe(0);
      await p.goto(consoleUrl("#/access/principals"));
      await p.reload();
      await p.getByLabel("Bearer token").waitFor(); // a reload forgets a memory-only session
      await p.getByLabel("Bearer token").fill(subToken);
      await p.getByRole("button", { name: "Sign in" }).click();
      await p.locator('[role=alert][data-code="UnauthorizedOperation"]').first().waitFor();
      await checkPage("access-denied", sub);
      const before = (await api.grpc.getServiceStatus({})).cmkUserCount;
      await p.goto(consoleUrl("#/keys/new"));
      await p.getByLabel("Alias").fill("not-allowed");
      await p.getByRole("button", { name: "Create key" }).click();
      const denial = p.locator('[role=alert][data-code="UnauthorizedOperation"]');
      await denial.waitFor();
      expect(await denial.locator(".message").textContent()).toMatch(/\S/);
      expect((await api.grpc.getServiceStatus({})).cmkUserCount).toBe(before);
      expect(await codeOf(api.grpc.describeKey({ keyId: "00000000-0000-4000-8000-000000000000" }))).toBe("ResourceUnavailable.CmkNotFound");
      expect(await sub.cspViolations()).toEqual([]);
      await sub.context.close();
    });
  });

  describe("audit and dashboard", () => {
    it("filters the trail, pages through it, and verifies the chain", async () => {
      await go("#/audit", "Audit trail");
      await page.getByRole("status").filter({ hasText: /Events #1 to #50; more follow/ }).waitFor();
      await checkPage("audit-trail");
      await page.getByLabel("Action").fill("kms:CreateKey");
      await page.getByLabel("Events per page").selectOption("20");
      await page.getByRole("button", { name: "Apply filters" }).click();
      const actionCells = page.locator("table.audit tbody td:nth-child(4)");
      await expect.poll(async () => [...new Set(await actionCells.allTextContents())]).toEqual(["kms:CreateKey"]);
      expect(await actionCells.count()).toBe(20);
      const firstPage = await page.locator("table.audit tbody td:nth-child(1)").allTextContents();
      await page.getByRole("button", { name: "Next" }).click();
      await expect.poll(async () => (await page.locator("table.audit tbody td:nth-child(1)").allTextContents())[0]).not.toBe(firstPage[0]);
      const secondPage = (await page.locator("table.audit tbody td:nth-child(1)").allTextContents()).map(Number);
      const api2 = await admin.client.queryAuditEvents({ action: "kms:CreateKey", limit: 20 });
      const api3 = await admin.client.queryAuditEvents({ action: "kms:CreateKey", limit: 20, afterSeq: api2.nextAfterSeq });
      expect(secondPage).toEqual(api3.events.map((e) => Number(e.seq)));
      await page.getByRole("button", { name: "Previous" }).click();
      await expect.poll(() => page.locator("table.audit tbody td:nth-child(1)").allTextContents()).toEqual(firstPage);
      // Denials are there, with their code.
      await page.getByLabel("Action").fill("");
      await page.getByLabel("Result").fill("UnauthorizedOperation");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.locator("table.audit tbody td.result-error", { hasText: "UnauthorizedOperation" }).first().waitFor();

      await page.getByRole("button", { name: "Verify the chain" }).click();
      await page.getByRole("status").filter({ hasText: /Intact: [\d,]+ events checked/ }).waitFor();
    });

    it("charts call rates and error codes from the audit trail", async () => {
      await go("#/dashboard", "Dashboard");
      const calls = page.locator('[data-stat="calls"]');
      await calls.waitFor();
      const shown = Number((await calls.textContent())?.replace(/,/g, ""));
      const errors = Number((await page.locator('[data-stat="errors"]').textContent())?.replace(/,/g, ""));
      expect(shown).toBeGreaterThan(100);
      expect(errors).toBeGreaterThan(3);
      await page.getByRole("cell", { name: "UnauthorizedOperation" }).waitFor();
      await page.getByRole("cell", { name: "FailedOperation.DecryptError" }).waitFor();
      expect(await page.locator("svg[role=img] rect.bar-success").count()).toBe(30);
      await checkPage("dashboard");
      // The figures are the audit trail's: count the same window through the API.
      let total = 0;
      let failed = 0;
      let after = 0n;
      do {
        const r = await admin.client.queryAuditEvents({ fromTimeMs: BigInt(ts.clock.now() - 3_600_000), afterSeq: after, limit: 1000 });
        total += r.events.length;
        failed += r.events.filter((e) => e.result !== "Success").length;
        after = r.nextAfterSeq;
      } while (after !== 0n);
      // The dashboard's own read was recorded after it counted (and later calls too), so the API sees at least as many.
      expect(total).toBeGreaterThanOrEqual(shown);
      expect(failed).toBeGreaterThanOrEqual(errors);
    });

    it("never put a secret in a URL", () => {
      expect(urls.length).toBeGreaterThan(50);
      for (const u of urls) {
        expect(u).not.toContain(ts.token);
        expect(u).not.toMatch(/kmst[A-Za-z0-9]{16}/);
      }
    });

    it("shows where a tampered chain breaks", async () => {
      const { openLevelStore } = await import("../../src/store/level-store.js");
      const { readAudit, writeLines } = await import("../helpers/audit-store.js");
      api.close();
      admin.close();
      await ts.stop();
      const store = await openLevelStore(`${ts.dataDir}/db`, { sync: true });
      const snapshot = await readAudit(store);
      const lines = new Map(snapshot.lines);
      const e = JSON.parse(lines.get(7)!) as Record<string, unknown>;
      e.result = "Success-edited";
      lines.set(7, JSON.stringify(e));
      await writeLines(store, snapshot, lines);
      // One MAC per group commit: the break is reported at the first event of event 7's group.
      const at = snapshot.blockStart(7);
      await store.close();
      ts = await startTestServer({ dataDir: ts.dataDir, rootKey: ts.rootKey, env: ts.env, clock: ts.clock });
      api = connectClients(ts);
      admin = adminClient(ts);

      // A new port is a new origin: its session storage is empty, so sign in again.
      await page.goto(consoleUrl("#/audit"));
      await page.getByLabel("Bearer token").fill(ts.token);
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { level: 1, name: "Audit trail" }).waitFor();
      await page.getByRole("button", { name: "Verify the chain" }).click();
      const alert = page.getByRole("alert").filter({ hasText: `The chain breaks at event #${at}` });
      await alert.waitFor();
      expect(await alert.textContent()).toContain("mac-mismatch");
      await checkPage("audit-verify-broken");
      await alert.getByRole("link", { name: `Show the events around #${at}` }).click();
      await page.getByRole("status").filter({ hasText: new RegExp(`Events #${Math.max(1, at - 1)} to`) }).waitFor();
    });
  });
});
