/**
 * A bearer token verified once per HTTP/2 session (CallPipeline's TokenMemory)
 * stops working on that same session the moment it stops being valid: token
 * deleted, principal deleted, account disabled. Each test drives one raw
 * node:http2 session to the real server, so every call is known to share it.
 */
import { connect, type ClientHttp2Session } from "node:http2";
import { create, fromBinary, toBinary, type DescMethodUnary, type DescMessage, type MessageInitShape, type MessageShape } from "@bufbuild/protobuf";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { OperatorService } from "../../gen/kms/v1/operator_pb.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let ts: TestServer;
const sessions: ClientHttp2Session[] = [];

beforeAll(async () => {
  ts = await startTestServer();
});

afterAll(async () => {
  for (const s of sessions) s.close();
  await ts.dispose();
});

function session(): ClientHttp2Session {
  const s = connect(ts.grpcUrl);
  s.on("error", () => undefined);
  sessions.push(s);
  return s;
}

interface Answer<O extends DescMessage> {
  status: string;
  code: string | undefined;
  message: MessageShape<O> | undefined;
}

/** One unary gRPC call on `s` with `token`: grpc-status, kms-error-code and the decoded answer. */
function call<I extends DescMessage, O extends DescMessage>(s: ClientHttp2Session, method: DescMethodUnary<I, O>, input: MessageInitShape<I>, token: string): Promise<Answer<O>> {
  return new Promise((resolve, reject) => {
    const payload = toBinary(method.input, create(method.input, input));
    const framed = Buffer.alloc(5 + payload.length);
    framed.writeUInt32BE(payload.length, 1);
    framed.set(payload, 5);
    const req = s.request({ ":method": "POST", ":path": `/${method.parent.typeName}/${method.name}`, "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${token}` });
    const chunks: Buffer[] = [];
    let status: string | undefined;
    let code: string | undefined;
    const read = (h: Record<string, unknown>) => {
      if (h["grpc-status"] !== undefined) status = String(h["grpc-status"]);
      if (h["kms-error-code"] !== undefined) code = String(h["kms-error-code"]);
    };
    req.on("response", read);
    req.on("trailers", read);
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("error", reject);
    req.on("close", () => {
      const body = Buffer.concat(chunks);
      resolve({ status: status ?? "?", code, message: status === "0" && body.length >= 5 ? fromBinary(method.output, body.subarray(5)) : undefined });
    });
    req.end(framed);
  });
}

const K = KeyManagementService.method;
const A = AdminService.method;
const O = OperatorService.method;

async function newAccount(name: string): Promise<{ uin: bigint; token: string }> {
  const created = await call(session(), O.createAccount, { name }, ts.token);
  expect(created.status).toBe("0");
  return { uin: created.message?.account?.uin ?? 0n, token: created.message?.rootToken ?? "" };
}

describe("a bearer token remembered per HTTP/2 session", () => {
  it("is refused on the same session once deleted, while the session's other calls go on", async () => {
    const account = await newAccount("session-token-delete");
    const s = session();
    const second = await call(session(), A.createToken, { description: "second" }, account.token);
    expect(second.status).toBe("0");
    const token = second.message?.secret ?? "";
    for (let i = 0; i < 3; i++) expect((await call(s, K.listKeys, {}, token)).status).toBe("0");
    // Deleted from another session: the one under test last verified `token`.
    const deleted = await call(session(), A.deleteToken, { tokenId: second.message?.token?.tokenId ?? "" }, account.token);
    expect(deleted.status).toBe("0");
    const after = await call(s, K.listKeys, {}, token);
    expect([after.status, after.code]).toEqual(["16", "AuthFailure.TokenFailure"]);
    // The other token, on the same session, still authenticates.
    expect((await call(s, K.listKeys, {}, account.token)).status).toBe("0");
  });

  it("is refused on the same session once its account is disabled, and accepted again once enabled", async () => {
    const account = await newAccount("session-token-disable");
    const s = session();
    expect((await call(s, K.listKeys, {}, account.token)).status).toBe("0");
    expect((await call(session(), O.disableAccount, { uin: account.uin }, ts.token)).status).toBe("0");
    const refused = await call(s, K.listKeys, {}, account.token);
    expect([refused.status, refused.code]).toEqual(["16", "AuthFailure.TokenFailure"]);
    expect((await call(session(), O.enableAccount, { uin: account.uin }, ts.token)).status).toBe("0");
    expect((await call(s, K.listKeys, {}, account.token)).status).toBe("0");
  });

  it("is refused on the same session once its principal is deleted", async () => {
    const account = await newAccount("session-token-principal");
    const admin = session();
    const principal = await call(admin, A.createPrincipal, { name: "worker" }, account.token);
    const uin = principal.message?.principal?.uin ?? 0n;
    const token = (await call(admin, A.createToken, { principalUin: uin }, account.token)).message?.secret ?? "";
    const s = session();
    // No policy: authenticated, then denied; that denial is what shows the token was accepted.
    const denied = await call(s, K.listKeys, {}, token);
    expect(denied.code).toBe("UnauthorizedOperation");
    expect((await call(admin, A.deletePrincipal, { uin }, account.token)).status).toBe("0");
    const refused = await call(s, K.listKeys, {}, token);
    expect([refused.status, refused.code]).toEqual(["16", "AuthFailure.TokenFailure"]);
  });

  it("never lets another token ride on a session where a valid one was verified", async () => {
    const s = session();
    expect((await call(s, K.listKeys, {}, ts.token)).status).toBe("0");
    // Same length and prefix as the valid token, one character changed; then a wholly different one.
    const last = ts.token.slice(-1) === "A" ? "B" : "A";
    for (const wrong of [`${ts.token.slice(0, -1)}${last}`, "not-a-token"]) {
      const refused = await call(s, K.listKeys, {}, wrong);
      expect([refused.status, refused.code]).toEqual(["16", "AuthFailure.TokenFailure"]);
    }
    expect((await call(s, K.listKeys, {}, ts.token)).status).toBe("0");
  });
});
