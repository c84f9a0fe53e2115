/**
 * The web console's newer families in a real browser (Debian's chromium
 * through playwright-core) against the real server: secrets (list filters,
 * create, versions, reveal on demand, state changes, SSH key pairs, export
 * and import, database secrets' rotation on a private MariaDB), white-box
 * keys (create, list, tables that decrypt on a device, fingerprints,
 * EncryptByWhiteBox, deletion), the keyring and backups, and the dashboard
 * reading the server's metrics. Every workflow is clicked through with
 * assertions on the page and on the server's state through the API; a
 * sub-user with a narrow policy sees the API's denial codes; axe-core and
 * the CSP are checked on every page, and each page leaves a screenshot in
 * test/browser/artifacts/.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fromBinary } from "@bufbuild/protobuf";
import { createClient, type Client } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decryptCbc, encryptCbc, openTables } from "../../client/whitebox/index.mjs";
import { buildConsole } from "../../console/build.js";
import { TrustService } from "../../gen/kms/v1/trust_pb.js";
import { WhiteBoxAlgorithm, WhiteBoxKeyService, WhiteBoxKeyStatus } from "../../gen/kms/v1/whitebox_pb.js";
import { KmsKeyType, ListSecretsRequestSchema, SecretStatus, SecretVersionState, type ListSecretsRequest } from "../../gen/ssm/v1/ssm_pb.js";
import { ManualClock } from "../../src/clock.js";
import { adminClient, bearer, codeOf, connectClients, ssmClient, type AdminClient, type ConnectClients, type SsmClient } from "../helpers/clients.js";
import { MARIADB_SKIP_REASON, skipWithoutMariadb, startMariaDb, tryAs, type MariaDb } from "../helpers/mariadb.js";
import { startTestServer, type TestServer } from "../helpers/server.js";
import { browserMissing, launchBrowser, screenshot, seriousViolations, type TestBrowser, type WatchedPage } from "./browser.js";

const missing = browserMissing();
if (missing) console.warn(`skipping the browser tests: ${missing}`);

const DAY_MS = 86_400_000;
const FP1 = "0123abcd-0123456789abcd-0123456789abcd-0123456789abcd-0123456789abcdef";
const FP2 = "fedcba98-fedcba98765432-fedcba98765432-fedcba98765432-fedcba9876543210";

let ts: TestServer;
let kms: ConnectClients;
let ssm: { client: SsmClient; close(): void };
let admin: { client: AdminClient; close(): void };
let sessions: Http2SessionManager;
let whitebox: Client<typeof WhiteBoxKeyService>;
let trust: Client<typeof TrustService>;
let backupDir: string;
let browser: TestBrowser;
let root: WatchedPage;
let page: Page;
/** Every URL the root's page requested, and the Secrets Manager methods it called, in order. */
const urls: string[] = [];
const ssmCalls: { method: string; body: Buffer | null }[] = [];
/** Values that must never travel in an address. */
const secrets: string[] = [];

const consoleUrl = (hash = "") => `${ts.httpUrl}/console/${hash}`;
const calls = (method: string) => ssmCalls.filter((c) => c.method === method).length;

async function go(hash: string, heading: string | RegExp, p: Page = page): Promise<void> {
  await p.goto(consoleUrl(hash));
  await p.getByRole("heading", { level: 1, name: heading }).waitFor();
}

/** The open confirmation dialog's button. */
const inDialog = (name: string, p: Page = page) => p.getByRole("dialog").getByRole("button", { name, exact: true });

async function confirm(opener: string, confirmLabel = opener): Promise<void> {
  await page.getByRole("button", { name: opener, exact: true }).click();
  await inDialog(confirmLabel).click();
  await page.getByRole("dialog").waitFor({ state: "hidden" });
}

async function status(text: string | RegExp, p: Page = page): Promise<void> {
  await p.getByRole("status").filter({ hasText: text }).first().waitFor();
}

/** The alert carrying an API code. */
const alertCode = (code: string, scope: Page | ReturnType<Page["getByRole"]> = page) => scope.locator(`[role=alert][data-code="${code}"]`).first();

/** Checks the page as it is now: axe finds nothing serious, no CSP violation, a screenshot for the artifacts. */
async function checkPage(name: string, watched: WatchedPage = root): Promise<void> {
  await screenshot(watched.page, `families-${name}`);
  const serious = await seriousViolations(watched.page);
  expect(serious, `${name}: ${JSON.stringify(serious, null, 1)}`).toEqual([]);
  expect(await watched.cspViolations()).toEqual([]);
  expect(watched.problems).toEqual([]);
}

async function downloadOf(click: () => Promise<void>): Promise<{ name: string; bytes: Buffer }> {
  const [download] = await Promise.all([page.waitForEvent("download"), click()]);
  return { name: download.suggestedFilename(), bytes: await readFile(await download.path()) };
}

const describeSecret = (secretName: string) => ssm.client.describeSecret({ secretName });
const valueOf = async (secretName: string, versionId: string) => {
  const v = await ssm.client.getSecretValue({ secretName, versionId });
  return v.secretBinary.length > 0 ? Buffer.from(v.secretBinary) : v.secretString;
};
/** A datetime-local value (UTC, minutes) and the Unix seconds it stands for. */
const utcMinute = (ms: number) => {
  const text = new Date(ms).toISOString().slice(0, 16);
  return { text, seconds: BigInt(Date.parse(`${text}:00Z`) / 1000) };
};

describe.skipIf(missing !== undefined)("web console: secrets, white-box keys, keyring, metrics", () => {
  beforeAll(async () => {
    await buildConsole();
    backupDir = await mkdtemp(join(tmpdir(), "kms-console-backups-"));
    // The domain clock starts at the real time, so the dashboard's windows and the secrets' validity windows line up with the browser's.
    ts = await startTestServer({
      clock: new ManualClock(Date.now()),
      env: { KMS_RATE_LIMIT: "0", KMS_SYNC_WRITES: "false", KMS_METRICS_ADDR: "127.0.0.1:0", KMS_BACKUP_DIR: backupDir },
    });
    kms = connectClients(ts);
    ssm = ssmClient(ts);
    admin = adminClient(ts);
    sessions = new Http2SessionManager(ts.grpcUrl);
    const transport = createGrpcTransport({ baseUrl: ts.grpcUrl, sessionManager: sessions, interceptors: [bearer(ts.token)] });
    whitebox = createClient(WhiteBoxKeyService, transport);
    trust = createClient(TrustService, transport);
    browser = await launchBrowser();
    root = await browser.newPage();
    page = root.page;
    page.on("request", (r) => {
      urls.push(r.url());
      const m = /\/ssm\.v1\.SecretsManagerService\/(\w+)$/.exec(r.url());
      if (m?.[1]) ssmCalls.push({ method: m[1], body: r.postDataBuffer() });
    });
    await page.goto(consoleUrl());
    await page.getByLabel("Bearer token").fill(ts.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    kms?.close();
    ssm?.close();
    admin?.close();
    sessions?.abort();
    await ts?.dispose();
    if (backupDir) await rm(backupDir, { recursive: true, force: true });
  });

  describe("secrets", () => {
    let cmk: string;
    const v1 = `hunter2-${randomBytes(6).toString("hex")}`;
    secrets.push(v1);

    beforeAll(async () => {
      cmk = (await kms.grpc.createKey({ alias: "secrets-cmk" })).keyId;
    });

    it("creates a text secret under a chosen KMS key, with description and tags; its value is fetched only when revealed, and forgotten on leaving", async () => {
      await go("#/secrets/new", "Create secret");
      await checkPage("secret-create");
      await page.getByLabel(/^Secret name/).fill("orders-db");
      await page.getByRole("textbox", { name: /^Description/ }).fill("orders database");
      await page.getByLabel("KMS key that encrypts the value (key ID)").fill(cmk);
      await page.getByLabel("Version ID").fill("v1");
      await page.getByLabel("Secret value").fill(v1);
      await page.getByRole("button", { name: "Add tag" }).click();
      await page.getByLabel("Tag key 1").fill("env");
      await page.getByLabel("Tag value 1").fill("prod");
      await page.getByRole("button", { name: "Create secret" }).click();
      await page.getByRole("heading", { level: 1, name: "orders-db" }).waitFor();
      await page.getByRole("button", { name: "Reveal value of v1" }).waitFor();
      const d = await describeSecret("orders-db");
      expect(d).toMatchObject({ description: "orders database", kmsKeyId: cmk, kmsKeyType: KmsKeyType.CUSTOMER, status: SecretStatus.ENABLED, secretType: 0 });
      expect(d.tags.map((t) => [t.tagKey, t.tagValue])).toEqual([["env", "prod"]]);
      expect(await valueOf("orders-db", "v1")).toBe(v1);

      // The versions page loaded without reading any value.
      expect(calls("GetSecretValue")).toBe(0);
      expect(await page.content()).not.toContain(v1);
      await page.getByRole("cell", { name: "yes", exact: true }).waitFor(); // served now, by DescribeSecretVersion
      await checkPage("secret-versions");
      await page.getByRole("button", { name: "Reveal value of v1" }).click();
      await expect.poll(() => page.getByLabel("Value of v1", { exact: true }).textContent()).toBe(v1);
      expect(calls("GetSecretValue")).toBe(1);
      await checkPage("secret-value-revealed");
      await page.getByRole("button", { name: "Hide value of v1" }).click();
      expect(await page.content()).not.toContain(v1);
      await page.getByRole("button", { name: "Reveal value of v1" }).click();
      await page.getByLabel("Value of v1", { exact: true }).waitFor();
      expect(calls("GetSecretValue")).toBe(2);
      // Leaving the section forgets it; coming back does not fetch it again.
      await page.getByRole("link", { name: "Overview" }).click();
      await page.getByRole("heading", { level: 2, name: "Details" }).waitFor();
      expect(await page.content()).not.toContain(v1);
      await checkPage("secret-overview");
      await page.getByRole("link", { name: "Versions" }).click();
      await page.getByRole("button", { name: "Reveal value of v1" }).waitFor();
      expect(await page.content()).not.toContain(v1);
      expect(calls("GetSecretValue")).toBe(2);
    });

    it("creates binary secrets from base64 and from a file, and shows a binary value as base64", async () => {
      const bytes = Buffer.from([0xff, 0x00, 0x01, 0x80]);
      await go("#/secrets/new", "Create secret");
      await page.getByLabel(/^Secret name/).fill("blob-b64");
      await page.getByRole("radio", { name: "binary, as base64 (SecretBinary)" }).check();
      await page.getByLabel("Secret value").fill(bytes.toString("base64"));
      await page.getByRole("button", { name: "Create secret" }).click();
      await page.getByRole("heading", { level: 1, name: "blob-b64" }).waitFor();
      expect(await valueOf("blob-b64", "SSM_Current")).toEqual(bytes);
      expect((await describeSecret("blob-b64")).kmsKeyType).toBe(KmsKeyType.DEFAULT);
      await page.getByRole("button", { name: "Reveal value of SSM_Current" }).click();
      await expect.poll(() => page.getByLabel("Value of SSM_Current", { exact: true }).textContent()).toBe(bytes.toString("base64"));
      await page.getByText("Binary value, shown as base64").waitFor();

      const file = randomBytes(300);
      await go("#/secrets/new", "Create secret");
      await page.getByLabel(/^Secret name/).fill("blob-file");
      await page.getByRole("radio", { name: "binary, from a file (SecretBinary)" }).check();
      await page.getByLabel("Secret value file").setInputFiles({ name: "value.bin", mimeType: "application/octet-stream", buffer: file });
      await page.getByText("value.bin: 300 bytes").waitFor();
      await page.getByRole("button", { name: "Create secret" }).click();
      await page.getByRole("heading", { level: 1, name: "blob-file" }).waitFor();
      expect(await valueOf("blob-file", "SSM_Current")).toEqual(file);

      // The API's refusal of a name taken, shown as is; nothing changes.
      await go("#/secrets/new", "Create secret");
      await page.getByLabel(/^Secret name/).fill("orders-db");
      await page.getByLabel("Secret value").fill("again");
      await page.getByRole("button", { name: "Create secret" }).click();
      await alertCode("ResourceInUse.SecretExists").waitFor();
      expect(await valueOf("orders-db", "v1")).toBe(v1);
    });

    it("manages versions: new version, disable and enable, validity window, new value, deletion", async () => {
      await go("#/secrets/s/orders-db/versions", "orders-db");
      const form = page.getByRole("form", { name: "New version" });
      await form.getByLabel("New version ID").fill("v2");
      await form.getByLabel("Value of the new version").fill("second-value");
      await form.getByRole("button", { name: "Create version" }).click();
      await status("Version v2 created.");
      expect((await ssm.client.listSecretVersionIds({ secretName: "orders-db" })).versions.map((v) => v.versionId)).toEqual(["v1", "v2"]);
      // An id taken: the API's code, and nothing new.
      await form.getByLabel("New version ID").fill("v1");
      await form.getByLabel("Value of the new version").fill("dup");
      await form.getByRole("button", { name: "Create version" }).click();
      await alertCode("ResourceInUse.VersionIdExists", form).waitFor();

      const row = (versionId: string) => page.locator("tbody tr", { has: page.getByRole("rowheader", { name: versionId, exact: true }) });
      await confirm("Disable v2", "Disable");
      await status("v2 disabled.");
      expect((await ssm.client.describeSecretVersion({ secretName: "orders-db", versionId: "v2" })).state).toBe(SecretVersionState.DISABLED);
      await expect.poll(() => row("v2").locator("td[data-servable]").getAttribute("data-servable")).toBe("false");
      await row("v2").getByRole("button", { name: "Reveal value of v2" }).click();
      await alertCode("ResourceUnavailable.ResourceDisabled", row("v2")).waitFor();
      await confirm("Enable v2", "Enable");
      await status("v2 enabled.");
      expect((await ssm.client.describeSecretVersion({ secretName: "orders-db", versionId: "v2" })).state).toBe(SecretVersionState.ENABLED);

      // A window that ended an hour ago: v1 is no longer served; cleared, it is again.
      const past = utcMinute(ts.clock.now() - 3_600_000);
      await page.getByRole("button", { name: "Set validity window of v1", exact: true }).click();
      await checkPage("secret-version-window");
      await page.getByRole("dialog").getByLabel("Valid to (UTC)").fill(past.text);
      await inDialog("Save window").click();
      await status(/Window of v1:/);
      const described = await ssm.client.describeSecretVersion({ secretName: "orders-db", versionId: "v1" });
      expect(described).toMatchObject({ validTo: past.seconds, validFrom: 0n, servable: false });
      await expect.poll(() => row("v1").locator("td[data-servable]").getAttribute("data-servable")).toBe("false");
      await row("v1").getByRole("button", { name: "Reveal value of v1" }).click();
      await alertCode("ResourceUnavailable", row("v1")).waitFor();
      expect(await codeOf(ssm.client.getSecretValue({ secretName: "orders-db", versionId: "v1" }))).toBe("ResourceUnavailable");
      await page.getByRole("button", { name: "Set validity window of v1", exact: true }).click();
      await page.getByRole("dialog").getByLabel("Valid to (UTC)").fill("");
      await inDialog("Save window").click();
      await status(/Window of v1: — to —/);
      expect((await ssm.client.describeSecretVersion({ secretName: "orders-db", versionId: "v1" })).servable).toBe(true);

      await page.getByRole("button", { name: "Replace value of v2", exact: true }).click();
      await page.getByRole("dialog").getByLabel("New value").fill("second-value-replaced");
      await inDialog("Replace value").click();
      await status("Value of v2 replaced.");
      expect(await valueOf("orders-db", "v2")).toBe("second-value-replaced");

      await confirm("Delete v2", "Delete");
      await status("v2 deleted.");
      expect((await ssm.client.listSecretVersionIds({ secretName: "orders-db" })).versions.map((v) => v.versionId)).toEqual(["v1"]);
      await row("v2").waitFor({ state: "detached" });
    });

    it("lists secrets with every ListSecrets filter, order and paging, one server page at a time", async () => {
      for (let i = 0; i < 12; i++) {
        ts.clock.advance(1000);
        await ssm.client.createSecret({ secretName: `bulk-secret-${String(i).padStart(2, "0")}`, secretString: `bulk-${i}`, tags: [{ tagKey: "env", tagValue: i % 2 ? "prod" : "dev" }] });
      }
      await ssm.client.disableSecret({ secretName: "bulk-secret-03" });
      await ssm.client.createSSHKeyPairSecret({ secretName: "bulk-ssh", sshKeyName: "bulk" });
      ssmCalls.length = 0;

      await go("#/secrets", "Secrets");
      const rows = page.locator("table tbody tr");
      const total = (await ssm.client.listSecrets({ limit: 1 })).totalCount;
      await page.getByText(`1–${Math.min(20, total)} of ${total}`).waitFor();
      await checkPage("secret-list");
      const apply = () => page.getByRole("button", { name: "Apply filters" }).click();

      await page.getByLabel("Search secret name").fill("bulk-secret");
      await apply();
      await page.getByText("1–12 of 12").waitFor();
      await page.getByLabel("State").selectOption(String(SecretStatus.DISABLED));
      await page.getByText("1–1 of 1").waitFor();
      await page.getByRole("link", { name: "bulk-secret-03" }).waitFor();
      await page.getByLabel("State").selectOption("0");
      await page.getByRole("button", { name: "Add tag filter" }).click();
      await page.getByLabel("Tag key 1").fill("env");
      await page.getByLabel("Values of tag 1").fill("prod");
      await apply();
      await page.getByText("1–6 of 6").waitFor();
      await page.getByLabel("Order").selectOption("1");
      await expect.poll(() => rows.first().locator("td").first().textContent()).toBe("bulk-secret-01");
      await page.getByLabel("Order").selectOption("0");
      await expect.poll(() => rows.first().locator("td").first().textContent()).toBe("bulk-secret-11");
      await page.getByRole("button", { name: "Remove tag filter 1" }).click();
      await apply();
      await page.getByText("1–12 of 12").waitFor();
      await page.getByLabel("Secrets per page").selectOption("10");
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByText("11–12 of 12").waitFor();
      const page2 = await ssm.client.listSecrets({ searchSecretName: "bulk-secret", offset: 10, limit: 10 });
      await expect.poll(() => rows.locator("td:nth-child(1)").allTextContents()).toEqual(page2.secretMetadatas.map((s) => s.secretName));
      // Type: the SSH key pair secrets only.
      await page.getByLabel("Search secret name").fill("bulk");
      await apply();
      await page.getByLabel("Secret type").selectOption("2");
      await page.getByText("1–1 of 1").waitFor();
      await page.getByRole("link", { name: "bulk-ssh" }).waitFor();
      // Encryption type 1 (software keys): none here.
      await page.getByLabel("Secret type").selectOption("0");
      await page.getByLabel("Encryption").selectOption("1");
      await page.getByText("No results").waitFor();
      await page.getByLabel("Encryption").selectOption("0");
      // Product and instance filters go to the service as given (database secrets are tested with MariaDB below).
      await page.getByLabel("Secret type").selectOption("1");
      await page.getByLabel("Products (comma-separated, database secrets)").fill("Mysql");
      await page.getByLabel("Instance ID").fill("cdb-none");
      await apply();
      await page.getByText("No results").waitFor();
      await page.getByRole("button", { name: "Reset" }).click();
      await page.getByText(`1–${Math.min(20, total)} of ${total}`).waitFor();

      const requests: ListSecretsRequest[] = ssmCalls.filter((c) => c.method === "ListSecrets" && c.body).map((c) => fromBinary(ListSecretsRequestSchema, c.body as Buffer));
      expect(requests.length).toBeGreaterThan(10);
      for (const r of requests) expect(r.limit).toBeLessThanOrEqual(100);
      expect(requests.some((r) => r.offset === 10 && r.limit === 10 && r.searchSecretName === "bulk-secret")).toBe(true);
      expect(requests.some((r) => r.state === SecretStatus.DISABLED)).toBe(true);
      expect(requests.some((r) => r.tagFilters[0]?.tagKey === "env" && r.tagFilters[0].tagValue.join() === "prod")).toBe(true);
      expect(requests.some((r) => r.orderType === 1)).toBe(true);
      expect(requests.some((r) => r.encryptType === 1)).toBe(true);
      expect(requests.some((r) => r.secretType === 1 && r.productName === "Mysql" && r.instanceId === "cdb-none")).toBe(true);
    });

    it("disables, deletes with a recovery window, restores, and deletes for good, each after a confirmation", async () => {
      await ssm.client.createSecret({ secretName: "doomed", secretString: "doomed-value" });
      await go("#/secrets/s/doomed", "doomed");
      // An Enabled secret offers no deletion.
      expect(await page.getByRole("button", { name: "Delete secret", exact: true }).count()).toBe(0);
      await page.getByRole("button", { name: "Disable secret", exact: true }).click();
      await inDialog("Cancel").click();
      expect((await describeSecret("doomed")).status).toBe(SecretStatus.ENABLED);
      await confirm("Disable secret", "Disable");
      await status("Secret disabled.");
      expect((await describeSecret("doomed")).status).toBe(SecretStatus.DISABLED);
      await page.getByRole("button", { name: "Delete secret", exact: true }).click();
      await page.getByRole("dialog").getByLabel("Recovery window (days, 0 to 30)").fill("31");
      await inDialog("Delete").click();
      await alertCode("InvalidParameterValue", page.getByRole("dialog")).waitFor();
      expect((await describeSecret("doomed")).status).toBe(SecretStatus.DISABLED);
      await checkPage("secret-delete-dialog");
      await page.getByRole("dialog").getByLabel("Recovery window (days, 0 to 30)").fill("7");
      await inDialog("Delete").click();
      await status(/Deletion scheduled for/);
      const pending = await describeSecret("doomed");
      expect(pending.status).toBe(SecretStatus.PENDING_DELETE);
      expect(pending.deleteTime).toBe(BigInt(Math.floor((ts.clock.now() + 7 * DAY_MS) / 1000)));
      await confirm("Restore secret", "Restore");
      await status("Secret restored: it is Disabled.");
      expect((await describeSecret("doomed")).status).toBe(SecretStatus.DISABLED);
      await page.getByRole("button", { name: "Delete secret", exact: true }).click();
      await page.getByRole("dialog").getByLabel("Recovery window (days, 0 to 30)").fill("0");
      await inDialog("Delete").click();
      await page.getByRole("heading", { level: 1, name: "Secrets" }).waitFor();
      expect(await codeOf(describeSecret("doomed"))).toBe("ResourceNotFound");
    });

    it("edits the description", async () => {
      await go("#/secrets/s/orders-db", "orders-db");
      await page.getByRole("textbox", { name: /^Description/ }).fill("orders database, primary");
      await page.getByRole("button", { name: "Save description" }).click();
      await status("Description updated.");
      expect((await describeSecret("orders-db")).description).toBe("orders database, primary");
    });

    it("creates an SSH key pair; shows the public key only when asked, and the private key it reveals is that key's (ssh-keygen)", async () => {
      await go("#/secrets/new", "Create secret");
      await page.getByRole("radio", { name: /An SSH key pair/ }).check();
      await page.getByLabel(/^Secret name/).fill("deploy-key");
      await page.getByLabel("Key pair name").fill("deploy");
      await page.getByRole("button", { name: "Create secret" }).click();
      await page.getByRole("heading", { level: 2, name: "Key pair" }).waitFor();
      expect((await describeSecret("deploy-key")).secretType).toBe(2);
      expect(calls("GetSSHKeyPairValue")).toBe(0);
      await checkPage("secret-ssh");
      await page.getByRole("button", { name: "Show public key" }).click();
      const shown = ((await page.getByLabel("Public key (OpenSSH)").textContent()) ?? "").trim();
      const api = await ssm.client.getSSHKeyPairValue({ secretName: "deploy-key" });
      expect(shown).toBe(Buffer.from(api.publicKey).toString().trim());
      expect(shown).toMatch(/^ssh-ed25519 AAAA\S+ deploy$/);
      // The private key came with the answer but is not on the page.
      expect(await page.content()).not.toContain("OPENSSH PRIVATE KEY");
      const pub = await downloadOf(() => page.getByRole("button", { name: "Download public key" }).click());
      expect(pub.name).toBe("deploy.pub");
      expect(pub.bytes.toString().trim()).toBe(shown);

      await page.getByRole("button", { name: "Reveal private key" }).click();
      await page.getByLabel("Private key (OpenSSH)").waitFor();
      await checkPage("secret-ssh-private");
      const priv = await downloadOf(() => page.getByRole("button", { name: "Download private key" }).click());
      expect(priv.name).toBe("id_deploy");
      const dir = await mkdtemp(join(tmpdir(), "kms-console-ssh-"));
      try {
        const file = join(dir, "id_deploy");
        await writeFile(file, priv.bytes);
        await chmod(file, 0o600);
        const derived = execFileSync("ssh-keygen", ["-y", "-f", file]).toString().trim();
        expect(shown.startsWith(derived)).toBe(true);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
      await page.getByRole("button", { name: "Hide private key" }).click();
      expect(await page.content()).not.toContain("OPENSSH PRIVATE KEY");
      await page.getByRole("button", { name: "Reveal private key" }).click();
      await page.getByLabel("Private key (OpenSSH)").waitFor();
      await page.getByRole("link", { name: "Overview" }).click();
      await page.getByRole("heading", { level: 2, name: "Details" }).waitFor();
      expect(await page.content()).not.toContain("OPENSSH PRIVATE KEY");
    });

    it("exports a secret to a file and imports it under another name; a tampered package and a taken name are refused", async () => {
      await go("#/secrets/s/orders-db/export", "orders-db");
      await checkPage("secret-export");
      await page.getByLabel("KMS key that seals the package (key ID)").fill(cmk);
      const pkg = await downloadOf(() => page.getByRole("button", { name: "Export and download" }).click());
      expect(pkg.name).toBe("orders-db.ssmpkg");
      await status(/Exported 1 version\(s\) under key/);
      // The package holds the value sealed, never in clear.
      expect(pkg.bytes.includes(Buffer.from(v1))).toBe(false);

      await go("#/secrets/import", "Import secret");
      await checkPage("secret-import");
      const tampered = Buffer.from(pkg.bytes);
      const at = tampered.length - 20;
      tampered.writeUInt8(tampered.readUInt8(at) ^ 1, at);
      await page.getByLabel("Package file").setInputFiles({ name: "bad.ssmpkg", mimeType: "application/octet-stream", buffer: tampered });
      await page.getByLabel("Name of the imported secret").fill("orders-db-copy");
      await page.getByRole("button", { name: "Import secret" }).click();
      const code = await codeOf(ssm.client.importSecret({ package: tampered, secretName: "orders-db-copy" }));
      await alertCode(code).waitFor();
      expect(await codeOf(describeSecret("orders-db-copy"))).toBe("ResourceNotFound");

      await page.getByLabel("Package file").setInputFiles({ name: "orders-db.ssmpkg", mimeType: "application/octet-stream", buffer: pkg.bytes });
      await page.getByRole("button", { name: "Import secret" }).click();
      await page.getByRole("heading", { level: 1, name: "orders-db-copy" }).waitFor();
      expect(await valueOf("orders-db-copy", "v1")).toBe(v1);

      // The same name again: refused unless Overwrite.
      await go("#/secrets/import", "Import secret");
      await page.getByLabel("Package file").setInputFiles({ name: "orders-db.ssmpkg", mimeType: "application/octet-stream", buffer: pkg.bytes });
      await page.getByLabel("Name of the imported secret").fill("orders-db-copy");
      await page.getByRole("button", { name: "Import secret" }).click();
      await alertCode("ResourceInUse.SecretExists").waitFor();
      await page.getByLabel(/Replace an existing secret/).check();
      await page.getByRole("button", { name: "Import secret" }).click();
      await page.getByRole("heading", { level: 1, name: "orders-db-copy" }).waitFor();
      expect(await valueOf("orders-db-copy", "v1")).toBe(v1);
    });

    describe.skipIf(skipWithoutMariadb)("database secrets (a private MariaDB)", () => {
      let db: MariaDb;
      const settle = () => ts.server.secrets.products.settled();
      const current = async (name: string) => JSON.parse((await valueOf(name, "SSM_Current")) as string) as { UserName: string; Password: string };

      beforeAll(async () => {
        db = await startMariaDb();
        await db.rootQuery("CREATE DATABASE app", "CREATE TABLE app.orders (id INT)", "INSERT INTO app.orders VALUES (1)");
        await ssm.client.registerDatabaseInstance({ instanceId: "cdb-app", productName: "Mysql", host: db.host, port: db.port, adminUser: db.adminUser, adminPassword: db.adminPassword });
        secrets.push(db.adminPassword);
        await ssm.client.createProductSecret({
          secretName: "app-db",
          userNamePrefix: "app",
          productName: "Mysql",
          instanceId: "cdb-app",
          domains: ["127.0.0.1"],
          privilegesList: [{ privilegeName: "DatabasePrivileges", privileges: ["SELECT"], database: "app" }],
        });
        await settle();
      }, 90_000);
      afterAll(async () => {
        await db?.dispose();
      });

      it("shows rotation status and history, rotates now and follows the flow to its end, and sets the policy", async () => {
        expect((await describeSecret("app-db")).status).toBe(SecretStatus.ENABLED);
        const before = await current("app-db");
        const history0 = await ssm.client.describeRotationHistory({ secretName: "app-db" });
        await go("#/secrets/s/app-db/rotation", "app-db");
        await page.getByRole("cell", { name: before.UserName, exact: true }).waitFor();
        expect(await page.locator("table tbody tr").count()).toBe(2);
        for (const v of history0.versionIds) await page.getByText(v, { exact: true }).waitFor();
        await checkPage("secret-rotation");

        await confirm("Rotate now", "Rotate");
        const flowStatus = page.locator("[data-task-status]").first();
        await expect.poll(() => flowStatus.getAttribute("data-task-status"), { timeout: 20_000 }).toBe("1");
        expect(await flowStatus.textContent()).toMatch(/^Flow \d+: Succeeded\./);
        const flowId = BigInt(/^Flow (\d+)/.exec((await flowStatus.textContent()) ?? "")?.[1] ?? "0");
        await settle();
        expect(await ssm.client.describeAsyncRequestInfo({ flowId })).toMatchObject({ taskStatus: 1 });
        const after = await current("app-db");
        expect(after.UserName).not.toBe(before.UserName);
        // The new credentials are what the database accepts.
        expect(await tryAs(db, after.UserName, after.Password, "SELECT COUNT(*) FROM app.orders")).toBe("ok");
        const history1 = await ssm.client.describeRotationHistory({ secretName: "app-db" });
        expect(history1.versionIds.length).toBe(history0.versionIds.length + 1);
        await page.getByText(history1.versionIds[0]!, { exact: true }).waitFor();
        // The account now current is shown as such (the API says 生效中), the other as standby.
        const accountRow = (user: string) => page.locator("tbody tr", { has: page.getByRole("cell", { name: user, exact: true }) });
        await accountRow(after.UserName).locator('td[data-role="Current"]').waitFor();
        await accountRow(before.UserName).locator('td[data-role="Standby"]').waitFor();
        expect((await ssm.client.describeRotationDetail({ secretName: "app-db" })).latestRotateTime).not.toBe("");

        await page.getByLabel("Rotate automatically").check();
        await page.getByLabel("Every (days, 30 to 365)").fill("30");
        await page.getByLabel("Starting at (UTC+8)").fill("2030-01-01 03:00:00");
        await page.getByRole("button", { name: "Save rotation policy" }).click();
        await status("Automatic rotation updated.");
        expect(await ssm.client.describeRotationDetail({ secretName: "app-db" })).toMatchObject({ enableRotation: true, frequency: 30, nextRotateBeginTime: "2030-01-01 03:00:00" });
        await page.getByText("on, every 30 days").waitFor();
        // A start time that is no time: the API's code (an out-of-range period the browser's own form check stops first).
        await page.getByLabel("Every (days, 30 to 365)").fill("");
        await page.getByLabel("Starting at (UTC+8)").fill("2030-13-01 03:00:00");
        await page.getByRole("button", { name: "Save rotation policy" }).click();
        const refusal = await codeOf(ssm.client.updateRotationStatus({ secretName: "app-db", enableRotation: true, rotationBeginTime: "2030-13-01 03:00:00" }));
        await alertCode(refusal, page.getByRole("form", { name: "Automatic rotation" })).waitFor();

        // Any flow by id.
        await page.getByLabel("Flow ID").fill(String(flowId));
        await page.getByRole("button", { name: "Show flow" }).click();
        await page.getByRole("form", { name: "Flow status" }).getByRole("status").filter({ hasText: `Flow ${flowId}: Succeeded.` }).waitFor();

        // The current credentials, revealed on demand from the Versions tab, log in.
        await page.getByRole("link", { name: "Versions" }).click();
        await page.getByRole("button", { name: "Reveal value of SSM_Current" }).click();
        const revealed = JSON.parse((await page.getByLabel("Value of SSM_Current", { exact: true }).textContent()) ?? "{}") as { UserName: string; Password: string };
        expect(revealed).toEqual(after);
        secrets.push(after.Password, before.Password);
        await checkPage("secret-product-versions");
        // Rotated values are not edited by hand: no version actions, no new version.
        expect(await page.getByRole("form", { name: "New version" }).count()).toBe(0);
        // The list's product and instance filters find it.
        await go("#/secrets", "Secrets");
        await page.getByLabel("Secret type").selectOption("1");
        await page.getByLabel("Products (comma-separated, database secrets)").fill("Mysql");
        await page.getByLabel("Instance ID").fill("cdb-app");
        await page.getByRole("button", { name: "Apply filters" }).click();
        await page.getByRole("link", { name: "app-db" }).waitFor();
        await page.getByText("1–1 of 1").waitFor();
        await page.getByRole("button", { name: "Reset" }).click();
      }, 60_000);
    });
  });

  describe("white-box keys", () => {
    let appKey: string;
    let thirdKey: string;

    it("creates AES_256 and SM4 keys with alias, description and tags, and shows the service status", async () => {
      // The list is oldest first: each key is created a second after the previous one.
      ts.clock.advance(1000);
      await go("#/whitebox/new", "Create white-box key");
      await checkPage("whitebox-create");
      await page.getByLabel("Alias").fill("wb-app");
      await page.getByLabel("Description").fill("app secrets");
      await page.getByRole("button", { name: "Add tag" }).click();
      await page.getByLabel("Tag key 1").fill("team");
      await page.getByLabel("Tag value 1").fill("edge");
      await page.getByRole("button", { name: "Create white-box key" }).click();
      await page.getByRole("heading", { level: 1, name: "wb-app" }).waitFor();
      appKey = /#\/whitebox\/([0-9a-f-]{36})/.exec(page.url())?.[1] ?? "";
      const info = (await whitebox.describeWhiteBoxKey({ keyId: appKey })).keyInfo;
      expect(info).toMatchObject({ alias: "wb-app", description: "app secrets", algorithm: WhiteBoxAlgorithm.AES_256, status: WhiteBoxKeyStatus.ENABLED });
      await checkPage("whitebox-key");

      ts.clock.advance(1000);
      await go("#/whitebox/new", "Create white-box key");
      await page.getByLabel("Alias").fill("wb-sm4");
      await page.getByLabel("Algorithm").selectOption(String(WhiteBoxAlgorithm.SM4));
      await page.getByRole("button", { name: "Create white-box key" }).click();
      await page.getByRole("heading", { level: 1, name: "wb-sm4" }).waitFor();
      await go("#/whitebox/new", "Create white-box key");
      await page.getByLabel("Alias").fill("kms-reserved");
      await page.getByRole("button", { name: "Create white-box key" }).click();
      await alertCode(await codeOf(whitebox.createWhiteBoxKey({ alias: "kms-reserved", algorithm: WhiteBoxAlgorithm.SM4 }))).waitFor();
      expect((await whitebox.describeWhiteBoxKeyDetails({})).totalCount).toBe(2);
    });

    it("lists keys two per page, filters by state and tags, and bulk-disables and enables", async () => {
      ts.clock.advance(1000);
      thirdKey = (await whitebox.createWhiteBoxKey({ alias: "wb-third", algorithm: WhiteBoxAlgorithm.SM4 })).keyId;
      await go("#/whitebox", "White-box keys");
      await page.locator('[data-service-enabled="true"]').waitFor();
      await page.getByText("1–2 of 3").waitFor();
      await checkPage("whitebox-list");
      await page.getByRole("button", { name: "Next" }).click();
      await page.getByText("3–3 of 3").waitFor();
      await page.getByRole("link", { name: "wb-third" }).waitFor();
      await page.getByRole("button", { name: "First" }).click();
      await page.getByLabel("Select wb-app").check();
      await page.getByLabel("Select wb-sm4").check();
      await confirm("Disable selected");
      await status("Disabled 2 key(s).");
      const details = await whitebox.describeWhiteBoxKeyDetails({ keyStatus: 0 });
      expect(details.keyInfos.map((k) => k.alias).sort()).toEqual(["wb-app", "wb-sm4"]);
      await page.getByLabel("State").selectOption("0");
      await page.getByText("1–2 of 2").waitFor();
      await page.getByLabel("State").selectOption("1");
      await page.getByText("1–1 of 1").waitFor();
      await page.getByRole("link", { name: "wb-third" }).waitFor();
      await page.getByLabel("State").selectOption("all");
      await page.getByLabel("Select wb-app").check();
      await page.getByLabel("Select wb-sm4").check();
      await confirm("Enable selected");
      await status("Enabled 2 key(s).");
      expect((await whitebox.describeWhiteBoxKeyDetails({ keyStatus: 1 })).totalCount).toBe(3);
      await page.getByRole("button", { name: "Add tag filter" }).click();
      await page.getByLabel("Tag key 1").fill("team");
      await page.getByLabel("Values of tag 1").fill("edge");
      await page.getByRole("button", { name: "Apply filters" }).click();
      await page.getByText("1–1 of 1").waitFor();
      await page.getByRole("link", { name: "wb-app" }).waitFor();
      await page.getByRole("button", { name: "Reset" }).click();
      await page.getByText("1–2 of 3").waitFor();
    });

    it("encrypts by white box, and the downloaded tables decrypt and encrypt the same on a device", async () => {
      await go(`#/whitebox/${appKey}/encrypt`, "wb-app");
      const iv = randomBytes(16);
      await page.getByLabel("Plaintext").fill("hello, device");
      await page.getByLabel("Initialization vector (base64, optional)").fill(iv.toString("base64"));
      await page.getByRole("button", { name: "Encrypt", exact: true }).click();
      const ct = Buffer.from(await page.locator("textarea.wb-ciphertext").inputValue(), "base64");
      expect(await page.locator("textarea.wb-iv").inputValue()).toBe(iv.toString("base64"));
      // CBC under the key is deterministic for a given IV: the API answers the same bytes.
      const api = await whitebox.encryptByWhiteBox({ keyId: appKey, plainText: Buffer.from("hello, device"), initializationVector: iv });
      expect(Buffer.from(api.cipherText)).toEqual(ct);
      await checkPage("whitebox-encrypt");
      // Without an IV the service draws one.
      await page.getByLabel("Initialization vector (base64, optional)").fill("");
      await page.getByRole("button", { name: "Encrypt", exact: true }).click();
      await expect.poll(() => page.locator("textarea.wb-iv").inputValue()).not.toBe(iv.toString("base64"));
      expect(Buffer.from(await page.locator("textarea.wb-iv").inputValue(), "base64")).toHaveLength(16);

      await page.getByRole("link", { name: "Overview" }).click();
      const dec = await downloadOf(() => page.getByRole("button", { name: "Download DecryptKey" }).click());
      expect(dec.name).toBe("wb-app-dec.b64");
      const tables = openTables(dec.bytes.toString());
      expect(tables).toMatchObject({ algorithm: "AES_256", direction: "decrypt" });
      expect(Buffer.from(decryptCbc(tables, iv, ct)).toString()).toBe("hello, device");
      const enc = await downloadOf(() => page.getByRole("button", { name: "Download EncryptKey" }).click());
      expect(enc.name).toBe("wb-app-enc.b64");
      expect(Buffer.from(encryptCbc(openTables(enc.bytes.toString()), iv, Buffer.from("hello, device")))).toEqual(ct);
    });

    it("binds device fingerprints: the DecryptKey then opens only with one of them; overwrite and remove", async () => {
      await go(`#/whitebox/${appKey}/devices`, "wb-app");
      await page.getByText("No devices: DecryptKey files are not bound.").waitFor();
      await page.getByRole("button", { name: "Add device" }).click();
      await page.getByLabel("Fingerprint 1").fill("not-a-fingerprint");
      await page.getByLabel("Description 1").fill("kiosk 1");
      await page.getByRole("button", { name: "Overwrite device list" }).click();
      await inDialog("Overwrite").click();
      const bad = await codeOf(whitebox.overwriteWhiteBoxDeviceFingerprints({ keyId: appKey, deviceFingerprints: [{ identity: "not-a-fingerprint" }] }));
      await alertCode(bad, page.getByRole("dialog")).waitFor();
      await inDialog("Cancel").click();
      expect((await whitebox.describeWhiteBoxDeviceFingerprints({ keyId: appKey })).deviceFingerprints).toEqual([]);
      await page.getByLabel("Fingerprint 1").fill(FP1);
      await page.getByRole("button", { name: "Add device" }).click();
      await page.getByLabel("Fingerprint 2").fill(FP2);
      await page.getByLabel("Description 2").fill("kiosk 2");
      await confirm("Overwrite device list", "Overwrite");
      await status("The key has 2 device(s).");
      const listed = (await whitebox.describeWhiteBoxDeviceFingerprints({ keyId: appKey })).deviceFingerprints.map((d) => [d.identity, d.description]);
      expect(listed).toEqual([
        [FP1, "kiosk 1"],
        [FP2, "kiosk 2"],
      ]);
      await page.getByRole("cell", { name: FP2, exact: true }).waitFor();
      await checkPage("whitebox-devices");

      await page.getByRole("link", { name: "Overview" }).click();
      await page.getByText("yes: every DecryptKey handed out is bound to them").waitFor();
      const bound = (await downloadOf(() => page.getByRole("button", { name: "Download DecryptKey" }).click())).bytes.toString();
      const iv = randomBytes(16);
      const ct = (await whitebox.encryptByWhiteBox({ keyId: appKey, plainText: Buffer.from("bound"), initializationVector: iv })).cipherText;
      expect(() => openTables(bound)).toThrow();
      expect(() => openTables(bound, { fingerprint: FP2.replace(/^f/, "e") })).toThrow();
      expect(Buffer.from(decryptCbc(openTables(bound, { fingerprint: FP2 }), iv, ct)).toString()).toBe("bound");

      await page.getByRole("link", { name: "Devices" }).click();
      await page.getByRole("button", { name: "Remove device 1" }).click();
      await confirm("Overwrite device list", "Overwrite");
      await status("The key has 1 device(s).");
      expect((await whitebox.describeWhiteBoxDeviceFingerprints({ keyId: appKey })).deviceFingerprints.map((d) => d.identity)).toEqual([FP2]);
      await confirm("Remove every device", "Remove all");
      await status("Every device removed: DecryptKey files are no longer bound.");
      expect((await whitebox.describeWhiteBoxDeviceFingerprints({ keyId: appKey })).deviceFingerprints).toEqual([]);
    });

    it("deletes only a disabled key, after a confirmation", async () => {
      const keyId = thirdKey;
      await go(`#/whitebox/${keyId}`, "wb-third");
      expect(await page.getByRole("button", { name: "Delete key", exact: true }).count()).toBe(0);
      await page.getByText("Only a Disabled key can be deleted: disable it first.").waitFor();
      await confirm("Disable key", "Disable");
      await status("Key disabled.");
      expect((await whitebox.describeWhiteBoxKey({ keyId })).keyInfo?.status).toBe(WhiteBoxKeyStatus.DISABLED);
      await confirm("Delete key", "Delete");
      await page.getByRole("heading", { level: 1, name: "White-box keys" }).waitFor();
      expect(await codeOf(whitebox.describeWhiteBoxKey({ keyId }))).toBe("ResourceNotFound");
    });
  });

  describe("keyring and backups", () => {
    it("shows the keyring and rotates it only after a confirmation, following the rotation to its end", async () => {
      const before = await trust.getKeyringStatus({});
      await go("#/keyring", "Keyring");
      await page.locator(`[data-keyring-version="${before.currentVersion}"]`).waitFor();
      await page.getByText(/development key \(KMS_SEAL=dev\)/).waitFor();
      await checkPage("keyring");
      await page.getByRole("button", { name: "Rotate keyring", exact: true }).click();
      await inDialog("Cancel").click();
      expect((await trust.getKeyringStatus({})).currentVersion).toBe(before.currentVersion);
      await confirm("Rotate keyring", "Rotate");
      await status(`Rotation to keyring version ${before.currentVersion + 1} started.`);
      await page.locator(`[data-keyring-version="${before.currentVersion + 1}"]`).waitFor();
      await page.locator('[data-rotation="idle"]').waitFor({ timeout: 20_000 });
      const after = await trust.getKeyringStatus({});
      expect(after.currentVersion).toBe(before.currentVersion + 1);
      expect(after.rotation).toBeUndefined();
      // Everything sealed still opens: a secret's value, a key's ciphertext.
      expect(await valueOf("orders-db", "v1")).toMatch(/^hunter2-/);
    });

    it("writes a backup into KMS_BACKUP_DIR", async () => {
      await go("#/keyring", "Keyring");
      await confirm("Create backup");
      const file = (await page.locator("code.backup-file").textContent()) ?? "";
      expect(file).toMatch(/^kms-backup-.*\.kmsbak$/);
      const size = (await stat(join(backupDir, file))).size;
      await status(`${size.toLocaleString("en-US")} bytes`);
      await checkPage("keyring-backup");
    });
  });

  describe("dashboard from the server's metrics", () => {
    it("counts calls between reads of the metrics, and shows the registry's own figures", async () => {
      // A fresh page load is a fresh session: the dashboard's counts start at its first read.
      await page.goto(consoleUrl("#/dashboard"));
      await page.reload();
      await page.getByRole("heading", { level: 1, name: "Dashboard" }).waitFor();
      await page.locator('[data-source="metrics"]').waitFor();
      expect(await page.getByLabel("Source").inputValue()).toBe("metrics");
      const rowOf = (table: string, name: string) => page.locator(`table.${table} tr`, { has: page.getByRole("cell", { name, exact: true }) });
      for (let i = 0; i < 4; i++) await kms.grpc.generateRandom({ numberOfBytes: 8 });
      for (let i = 0; i < 2; i++) await kms.grpc.describeKey({ keyId: "00000000-0000-4000-8000-000000000000" }).catch(() => undefined);
      await page.getByRole("button", { name: "Refresh" }).click();
      await expect.poll(() => rowOf("window-actions", "kms:GenerateRandom").locator("td").nth(1).textContent()).toBe("4");
      await expect.poll(() => rowOf("window-codes", "ResourceUnavailable.CmkNotFound").locator("td").nth(1).textContent()).toBe("2");
      await checkPage("dashboard-metrics");

      // The registry's own totals are the listener's: the same count for an action nobody else calls.
      const scraped = await (await fetch(`http://127.0.0.1:${ts.server.metrics!.port}/metrics`)).text();
      const generateRandom = scraped
        .split("\n")
        .filter((l) => l.startsWith('kms_calls_total{action="kms:GenerateRandom"'))
        .reduce((n, l) => n + Number(l.split(" ").pop()), 0);
      expect(generateRandom).toBe(4);
      await expect.poll(() => rowOf("latency", "kms:GenerateRandom").locator("td").nth(1).textContent()).toBe(String(generateRandom));
      expect(Number((await page.locator('[data-stat="server-calls"]').textContent())?.replace(/,/g, ""))).toBeGreaterThan(100);

      // The audit trail is still there as a source.
      await page.getByLabel("Source").selectOption("audit");
      await page.locator('[data-source="audit"]').waitFor();
      await page.getByText("Computed from the audit trail").waitFor();
    });
  });

  describe("a sub-user with a narrow policy", () => {
    let sub: WatchedPage;

    beforeAll(async () => {
      const p = (await admin.client.createPrincipal({ name: "secret-browser" })).principal!;
      await admin.client.createPolicy({
        name: "secret-browser",
        document: JSON.stringify({
          version: "2.0",
          statement: [{ effect: "allow", action: ["ssm:ListSecrets", "ssm:DescribeSecret", "ssm:ListSecretVersionIds", "ssm:DescribeSecretVersion", "kms:GetServiceStatus"], resource: ["*"] }],
        }),
      });
      await admin.client.attachPolicy({ principalUin: p.uin, policyName: "secret-browser" });
      const token = (await admin.client.createToken({ principalUin: p.uin })).secret;
      secrets.push(token);
      sub = await browser.newPage();
      await sub.page.goto(consoleUrl("#/secrets"));
      await sub.page.getByLabel("Bearer token").fill(token);
      await sub.page.getByRole("button", { name: "Sign in" }).click();
      await sub.page.getByRole("heading", { level: 1, name: "Secrets" }).waitFor();
    });
    afterAll(async () => {
      await sub?.context.close();
    });

    it("lists and reads secrets' metadata, and sees UnauthorizedOperation for a value, a new secret, white-box keys, the keyring and the metrics", async () => {
      const p = sub.page;
      await p.getByRole("link", { name: "orders-db", exact: true }).click();
      await p.getByRole("heading", { level: 1, name: "orders-db" }).waitFor();
      await p.getByRole("link", { name: "Versions" }).click();
      await p.getByRole("button", { name: "Reveal value of v1" }).click();
      await alertCode("UnauthorizedOperation", p).waitFor();
      expect(await p.content()).not.toContain("hunter2-");
      await checkPage("denied-secret-value", sub);
      await ts.server.audit.flush();
      const denied = await admin.client.queryAuditEvents({ action: "ssm:GetSecretValue", result: "UnauthorizedOperation", limit: 10 });
      expect(denied.events.map((e) => e.principalName)).toContain("secret-browser");

      await go("#/secrets/new", "Create secret", p);
      await p.getByLabel(/^Secret name/).fill("not-allowed");
      await p.getByLabel("Secret value").fill("x");
      await p.getByRole("button", { name: "Create secret" }).click();
      await alertCode("UnauthorizedOperation", p).waitFor();
      expect(await codeOf(describeSecret("not-allowed"))).toBe("ResourceNotFound");

      await go("#/whitebox", "White-box keys", p);
      await alertCode("UnauthorizedOperation", p).waitFor();
      await checkPage("denied-whitebox", sub);

      const version = (await trust.getKeyringStatus({})).currentVersion;
      await go("#/keyring", "Keyring", p);
      await alertCode("UnauthorizedOperation", p).waitFor();
      await p.getByRole("button", { name: "Rotate keyring", exact: true }).click();
      await inDialog("Rotate", p).click();
      await alertCode("UnauthorizedOperation", p.getByRole("dialog")).waitFor();
      await checkPage("denied-keyring", sub);
      await inDialog("Cancel", p).click();
      expect((await trust.getKeyringStatus({})).currentVersion).toBe(version);

      await go("#/dashboard", "Dashboard", p);
      await p.getByRole("alert").filter({ hasText: "Server metrics (showing the audit trail instead)" }).waitFor();
      expect(await p.locator('[role=alert][data-code="UnauthorizedOperation"]').count()).toBeGreaterThanOrEqual(1);
      await checkPage("denied-dashboard", sub);
    });
  });

  it("never put a secret or a token in an address", () => {
    expect(urls.length).toBeGreaterThan(50);
    for (const u of urls) {
      expect(u).not.toContain(ts.token);
      expect(u).not.toMatch(/kmst[A-Za-z0-9]{16}/);
      for (const s of secrets) expect(u).not.toContain(encodeURIComponent(s));
    }
    expect(existsSync(backupDir)).toBe(true);
  });
});

if (skipWithoutMariadb) console.warn(`database secrets in the browser: ${MARIADB_SKIP_REASON}`);
