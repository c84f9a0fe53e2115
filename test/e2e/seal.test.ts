/**
 * The real server with a root of trust that is not a plaintext secret
 * (issue #13): its keyring wrapped by a non-extractable key in a SoftHSM2
 * token, and under Shamir shares, starting sealed and unsealed over the wire.
 */
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport, Http2SessionManager } from "@connectrpc/connect-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { UnsealService } from "../../gen/kms/v1/unseal_pb.js";
import { startKms, type KmsServer } from "../../src/app.js";
import { loadConfig, type ListenAddress } from "../../src/config.js";
import { silentLogger } from "../../src/log.js";
import { bearer, codeOf } from "../helpers/clients.js";
import { newDataDir } from "../helpers/server.js";
import { createSoftHsm, softhsmMissing, type SoftHsm } from "../helpers/softhsm.js";

const token = `root-${randomBytes(24).toString("base64url")}`;
const base = (dataDir: string) => ({ KMS_DATA_DIR: dataDir, KMS_GRPC_ADDR: "127.0.0.1:0", KMS_HTTP_ADDR: "127.0.0.1:0", KMS_ROOT_TOKEN: token, KMS_SWEEP_INTERVAL_MS: "3600000" });

async function roundTrip(server: KmsServer, text: string): Promise<{ blob: Uint8Array; plaintext: string }> {
  const sessions = new Http2SessionManager(`http://127.0.0.1:${server.grpc.port}`);
  const kms = createClient(KeyManagementService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${server.grpc.port}`, sessionManager: sessions, interceptors: [bearer(token)] }));
  try {
    const { keyId } = await kms.createKey({ alias: `seal-${randomBytes(4).toString("hex")}` });
    const { ciphertextBlob } = await kms.encrypt({ keyId, plaintext: new TextEncoder().encode(text) });
    const { plaintext } = await kms.decrypt({ ciphertextBlob });
    return { blob: ciphertextBlob, plaintext: new TextDecoder().decode(plaintext) };
  } finally {
    sessions.abort();
  }
}

describe.skipIf(softhsmMissing() !== undefined)("the root of trust in a SoftHSM2 token", () => {
  let hsm: SoftHsm;
  let dataDir: string;
  beforeAll(async () => {
    hsm = await createSoftHsm();
    hsm.initToken("kms-e2e", "4321");
    dataDir = await newDataDir();
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
    await hsm.cleanup();
  });

  it("serves with no root key in the environment or on disk, and again after a restart", async () => {
    const env = { ...base(dataDir), KMS_SEAL: "pkcs11", KMS_PKCS11_LIBRARY: hsm.library, KMS_PKCS11_TOKEN_LABEL: "kms-e2e", KMS_PKCS11_PIN: "4321", KMS_PKCS11_GENERATE_KEY: "true" };
    const first = await startKms(loadConfig(env), { log: silentLogger, drainMs: 1000 });
    const { blob, plaintext } = await roundTrip(first, "held by the HSM");
    expect(plaintext).toBe("held by the HSM");
    await first.close();
    const { readdir } = await import("node:fs/promises");
    expect(await readdir(dataDir)).not.toContain("root.key");

    const again = await startKms(loadConfig({ ...env, KMS_PKCS11_GENERATE_KEY: "false" }), { log: silentLogger, drainMs: 1000 });
    const sessions = new Http2SessionManager(`http://127.0.0.1:${again.grpc.port}`);
    const kms = createClient(KeyManagementService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${again.grpc.port}`, sessionManager: sessions, interceptors: [bearer(token)] }));
    expect(new TextDecoder().decode((await kms.decrypt({ ciphertextBlob: blob })).plaintext)).toBe("held by the HSM");
    sessions.abort();
    await again.close();
  });

  it("refuses to start with a wrong PIN, and changes nothing", async () => {
    const env = { ...base(dataDir), KMS_SEAL: "pkcs11", KMS_PKCS11_LIBRARY: hsm.library, KMS_PKCS11_TOKEN_LABEL: "kms-e2e", KMS_PKCS11_PIN: "9999" };
    await expect(startKms(loadConfig(env), { log: silentLogger })).rejects.toThrow();
  });
});

describe("Shamir unseal", () => {
  let dataDir: string;
  beforeAll(async () => {
    dataDir = await newDataDir();
  });
  afterAll(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Starts the server sealed; resolves with its ports as soon as it listens, and with the server once unsealed. */
  function startSealed(): { listening: Promise<ListenAddress & { httpPort: number }>; started: Promise<KmsServer> } {
    let resolveListening: (a: ListenAddress & { httpPort: number }) => void = () => undefined;
    const listening = new Promise<ListenAddress & { httpPort: number }>((r) => (resolveListening = r));
    const started = startKms(loadConfig({ ...base(dataDir), KMS_SEAL: "shamir" }), { log: silentLogger, drainMs: 1000, onListening: (grpc, http, sealed) => sealed && resolveListening({ ...grpc, httpPort: http.port }) });
    return { listening, started };
  }

  it("starts sealed, answers only UnsealService and NOT_SERVING health, and serves once k of n shares arrive; sealed again after a restart", async () => {
    const first = startSealed();
    const grpc = await first.listening;
    const url = `http://127.0.0.1:${grpc.port}`;
    const sessions = new Http2SessionManager(url);
    const unseal = createClient(UnsealService, createGrpcTransport({ baseUrl: url, sessionManager: sessions }));
    const kms = createClient(KeyManagementService, createGrpcTransport({ baseUrl: url, sessionManager: sessions, interceptors: [bearer(token)] }));
    expect((await unseal.getSealStatus({})).status).toMatchObject({ sealed: true, initialized: false, sealType: "shamir" });
    expect(await codeOf(kms.listKeys({}))).toBe("InvalidAction");
    const health = await fetch(`http://127.0.0.1:${grpc.httpPort}/healthz`);
    expect([health.status, await health.json()]).toEqual([503, { status: "NOT_SERVING" }]);

    const { shares } = await unseal.initializeSeal({ shares: 5, threshold: 3 });
    expect(shares).toHaveLength(5);
    expect(await codeOf(unseal.submitUnsealShare({ share: `${shares[0]!.slice(0, -4)}AAAA` }))).toBe("InvalidParameterValue");
    await unseal.submitUnsealShare({ share: shares[0]! });
    await unseal.submitUnsealShare({ share: shares[3]! });
    expect((await unseal.submitUnsealShare({ share: shares[4]! })).status?.sealed).toBe(false);
    const server = await first.started;
    expect((await fetch(`http://127.0.0.1:${grpc.httpPort}/healthz`)).status).toBe(200);
    const { blob } = await roundTrip(server, "under shares");
    sessions.abort();
    await server.close();

    // A restart starts sealed again; two shares are not enough, a third unseals.
    const second = startSealed();
    const port = (await second.listening).port;
    const s2 = new Http2SessionManager(`http://127.0.0.1:${port}`);
    const unseal2 = createClient(UnsealService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, sessionManager: s2 }));
    await unseal2.submitUnsealShare({ share: shares[1]! });
    expect((await unseal2.submitUnsealShare({ share: shares[2]! })).status?.sealed).toBe(true);
    await unseal2.submitUnsealShare({ share: shares[4]! });
    const server2 = await second.started;
    const kms2 = createClient(KeyManagementService, createGrpcTransport({ baseUrl: `http://127.0.0.1:${port}`, sessionManager: s2, interceptors: [bearer(token)] }));
    expect(new TextDecoder().decode((await kms2.decrypt({ ciphertextBlob: blob })).plaintext)).toBe("under shares");
    s2.abort();
    await server2.close();
  });
});
