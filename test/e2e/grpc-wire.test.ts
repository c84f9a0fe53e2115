/** gRPC at the frame level: malformed requests get a status and an API code, never a crash or a bare INTERNAL. */
import { connect, type ClientHttp2Session } from "node:http2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { create, toBinary } from "@bufbuild/protobuf";
import { CreateKeyRequestSchema, GenerateRandomRequestSchema } from "../../gen/kms/v1/kms_pb.js";
import { startTestServer, type TestServer } from "../helpers/server.js";

let ts: TestServer;
let session: ClientHttp2Session;

beforeAll(async () => {
  ts = await startTestServer();
  session = connect(ts.grpcUrl);
});
afterAll(async () => {
  session.close();
  await ts.dispose();
});

interface Answer {
  status: string | undefined;
  code: string | undefined;
  requestId: string | undefined;
  body: Buffer;
}

function post(path: string, body: Buffer, headers: Record<string, string> = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":method": "POST", ":path": path, "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${ts.token}`, ...headers });
    let head: Record<string, unknown> = {};
    const chunks: Buffer[] = [];
    req.on("response", (h) => (head = h));
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("trailers", (t) => (head = { ...head, ...t }));
    req.on("end", () =>
      resolve({ status: head["grpc-status"] as string | undefined, code: head["kms-error-code"] as string | undefined, requestId: head["kms-request-id"] as string | undefined, body: Buffer.concat(chunks) }),
    );
    req.on("error", reject);
    req.end(body);
  });
}

const framed = (payload: Uint8Array, flag = 0) => {
  const b = Buffer.alloc(5 + payload.length);
  b[0] = flag;
  b.writeUInt32BE(payload.length, 1);
  b.set(payload, 5);
  return b;
};
const path = "/kms.v1.KeyManagementService/GenerateRandom";

describe("gRPC frames", () => {
  it("answer a well-formed call with data and grpc-status 0", async () => {
    const a = await post(path, framed(toBinary(GenerateRandomRequestSchema, create(GenerateRandomRequestSchema, { numberOfBytes: 8 }))));
    expect(a.status).toBe("0");
    expect(a.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(a.body.readUInt32BE(1)).toBe(a.body.length - 5);
  });

  it.each([
    ["bad protobuf", framed(Buffer.from([0xff, 0xff])), "3", "InvalidParameter"],
    ["a short frame", Buffer.from([0, 0, 0]), "3", "InvalidParameter"],
    ["a length that lies", Buffer.from([0, 0, 0, 0, 9, 1]), "3", "InvalidParameter"],
    ["two messages", Buffer.concat([framed(Buffer.from([8, 1])), framed(Buffer.from([8, 1]))]), "3", "InvalidParameter"],
    ["a compressed flag without an encoding", framed(Buffer.from([8, 1]), 1), "3", "InvalidParameter"],
    ["an empty body", Buffer.alloc(0), "3", "InvalidParameter"],
  ])("answer %s with INVALID_ARGUMENT and InvalidParameter", async (_name, body, status, code) => {
    expect(await post(path, body)).toMatchObject({ status, code });
  });

  it("answer an unknown method, an unsupported encoding and an oversized message with their codes", async () => {
    expect(await post("/kms.v1.KeyManagementService/StealKeys", framed(Buffer.alloc(0)))).toMatchObject({ status: "12", code: "InvalidAction" });
    expect(await post(path, framed(Buffer.from([8, 1])), { "grpc-encoding": "gzip" })).toMatchObject({ status: "9", code: "UnsupportedOperation" });
    expect(await post(path, framed(Buffer.alloc(1024 * 1024 + 10)))).toMatchObject({ status: "3", code: "RequestSizeLimitExceeded" });
    // The session is still good after all of it.
    expect((await post(path, framed(Buffer.from([8, 4])))).status).toBe("0");
  });

  it("survive clients that reset their streams at every point of a call, and keep serving", async () => {
    const body = framed(toBinary(GenerateRandomRequestSchema, create(GenerateRandomRequestSchema, { numberOfBytes: 32 })));
    // A durable CreateKey is still running (waiting for its synced write) when the reset lands.
    const createKey = (i: number) => framed(toBinary(CreateKeyRequestSchema, create(CreateKeyRequestSchema, { alias: `reset-${i}` })));
    const resets = Array.from({ length: 200 }, (_, i) =>
      new Promise<void>((resolve) => {
        const running = i % 4 === 3;
        const req = session.request({ ":method": "POST", ":path": running ? "/kms.v1.KeyManagementService/CreateKey" : path, "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${ts.token}` });
        req.on("error", () => undefined);
        req.on("close", () => resolve());
        // Before the body, mid-body, right after it, and once the call is running.
        if (i % 4 === 0) return req.close(0x8);
        if (running) {
          req.end(createKey(i));
          return setImmediate(() => req.close(0x8));
        }
        req.write(body.subarray(0, 3));
        if (i % 4 === 1) return req.close(0x8);
        req.end(body.subarray(3));
        req.close(0x8);
      }),
    );
    await Promise.all(resets);
    expect((await post(path, body)).status).toBe("0");
  });
});
