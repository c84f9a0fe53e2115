/**
 * 4a. gRPC fuzz: random and mutated protobuf bytes in the gRPC 5-byte framing
 * (and broken framing, odd headers, unknown methods), sent with node:http2 to
 * every method of the three services. The process must stay up and every
 * answer must carry a grpc-status (HTTP-level 404/415 accepted only for an
 * unknown path or a non-gRPC content type, as the gRPC HTTP mapping documents);
 * a kms-error-code, when present, must be a documented code; nothing may
 * answer INTERNAL.
 */
import http2 from "node:http2";
import { randomBytes } from "node:crypto";
import { rm } from "node:fs/promises";
import { create, toBinary, ScalarType, type DescMessage, type DescService } from "@bufbuild/protobuf";
import { AdminService } from "../../gen/kms/v1/admin_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import { KeyVersionService } from "../../gen/kms/v1/versions_pb.js";
import { ERROR_CODES } from "../../src/errors.js";
import { frame, mutateBytes } from "./lib/mutate.js";
import { Recorder, Tally, type ScenarioResult } from "./lib/report.js";
import { CALL, clientsFor, dec, enc, outcome } from "./lib/rpc.js";
import { newIdentity, pick, rnd, startServer } from "./lib/server.js";
import type { Mode } from "./mode.js";

const SERVICES: DescService[] = [KeyManagementService, KeyVersionService, AdminService];

interface Real {
  keyId: string;
  alias: string;
  blob: Uint8Array;
  /** The root's bearer token: most inputs must get past authentication to reach the decoder. */
  token: string;
}

/** A plausible request of `schema`: every field set, ids and blobs real. */
function seed(schema: DescMessage, real: Real): Uint8Array {
  const msg = create(schema) as unknown as Record<string, unknown>;
  for (const f of schema.fields) {
    const name = f.name;
    let v: unknown;
    if (f.fieldKind === "scalar" || (f.fieldKind === "list" && f.listKind === "scalar")) {
      const t = f.scalar;
      if (t === ScalarType.STRING) v = /key_id/.test(name) ? real.keyId : /alias/.test(name) ? `${real.alias}-x` : /context/.test(name) ? '{"a":"b"}' : "fuzz";
      else if (t === ScalarType.BYTES) v = /blob/.test(name) ? real.blob : randomBytes(1 + rnd(64));
      else if (t === ScalarType.BOOL) v = rnd(2) === 0;
      else if ([ScalarType.INT64, ScalarType.UINT64, ScalarType.SINT64, ScalarType.FIXED64, ScalarType.SFIXED64].includes(t)) v = BigInt(rnd(100));
      else v = rnd(40);
      if (f.fieldKind === "list") v = [v];
    } else if (f.fieldKind === "enum") v = 1 + rnd(Math.max(1, f.enum.values.length - 1));
    else continue;
    msg[f.localName] = v;
  }
  return toBinary(schema, msg as never);
}

interface Answer {
  httpStatus: number;
  grpcStatus: string | undefined;
  errorCode: string | undefined;
  message: string | undefined;
}

function sendGrpc(session: http2.ClientHttp2Session, path: string, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ":method": "POST", ":path": path, ...headers });
    let httpStatus = 0;
    let hdr: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders = {};
    const timer = setTimeout(() => {
      req.close(http2.constants.NGHTTP2_CANCEL);
      reject(new Error(`no answer within 15 s on ${path}`));
    }, 15_000);
    req.on("response", (h) => {
      hdr = h;
      httpStatus = Number(h[":status"]);
    });
    req.on("trailers", (t) => (trailers = t));
    req.on("data", () => undefined);
    req.on("end", () => {
      clearTimeout(timer);
      const g = trailers["grpc-status"] ?? hdr["grpc-status"];
      const e = trailers["kms-error-code"] ?? hdr["kms-error-code"];
      const m = trailers["grpc-message"] ?? hdr["grpc-message"];
      resolve({ httpStatus, grpcStatus: g === undefined ? undefined : String(g), errorCode: e === undefined ? undefined : String(e), message: m === undefined ? undefined : decodeURIComponent(String(m)) });
    });
    req.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.end(body);
  });
}

interface Input {
  kind: string;
  path: string;
  headers: Record<string, string>;
  body: Buffer;
  /** Unknown path or non-gRPC content type: an HTTP-level answer is acceptable. */
  httpOk: boolean;
}

function makeInput(real: Real, methods: { path: string; input: DescMessage }[]): Input {
  const m = pick(methods);
  const base = { "content-type": "application/grpc", te: "trailers", authorization: `Bearer ${real.token}` };
  const payload = () => (rnd(4) === 0 ? randomBytes(rnd(2048)) : mutateBytes(seed(m.input, real)));
  switch (rnd(14)) {
    case 0:
      return { kind: "random bytes", path: m.path, headers: base, body: frame(randomBytes(rnd(4096))), httpOk: false };
    case 1:
      return { kind: "declared length too long", path: m.path, headers: base, body: frame(payload(), 0, 1 + rnd(1 << 20)), httpOk: false };
    case 2: {
      const p = payload();
      return { kind: "declared length too short", path: m.path, headers: base, body: frame(p, 0, Math.max(0, p.length - 1 - rnd(8))), httpOk: false };
    }
    case 3:
      return { kind: "compressed flag without encoding", path: m.path, headers: base, body: frame(payload(), 1), httpOk: false };
    case 4:
      return { kind: "bad flag byte", path: m.path, headers: base, body: frame(payload(), 2 + rnd(254)), httpOk: false };
    case 5:
      return { kind: "two messages", path: m.path, headers: base, body: Buffer.concat([frame(payload()), frame(payload())]), httpOk: false };
    case 6:
      return { kind: "truncated frame header", path: m.path, headers: base, body: Buffer.from(randomBytes(rnd(5))), httpOk: false };
    case 7:
      return { kind: "gzip claimed, garbage sent", path: m.path, headers: { ...base, "grpc-encoding": "gzip" }, body: frame(payload(), 1), httpOk: false };
    case 8:
      return { kind: "odd grpc-timeout", path: m.path, headers: { ...base, "grpc-timeout": pick(["0n", "1n", "99999999H", "-1S", "abc", "1"]) }, body: frame(payload()), httpOk: false };
    case 9:
      return {
        kind: "unknown method",
        path: pick([`/kms.v1.KeyManagementService/${randomBytes(6).toString("hex")}`, "/kms.v1.Nope/Encrypt", "/", "/kms.v1.KeyManagementService/", `/${"a".repeat(3000)}`]),
        headers: base,
        body: frame(payload()),
        httpOk: true,
      };
    case 10:
      return { kind: "non-gRPC content type", path: m.path, headers: { "content-type": pick(["text/plain", "application/grpc-foo", "application/octet-stream", ""]), te: "trailers" }, body: frame(payload()), httpOk: true };
    case 12:
      return {
        kind: "bad credentials",
        path: m.path,
        headers: { ...base, authorization: pick(["", "Bearer", "Bearer x", `Basic ${randomBytes(12).toString("base64")}`, `Bearer ${real.token}x`, `bearer  ${randomBytes(300).toString("hex")}`]) },
        body: frame(payload()),
        httpOk: false,
      };
    case 11:
      // 5 MiB: beyond any sane read limit.
      if (rnd(10) === 0) return { kind: "huge message", path: m.path, headers: base, body: frame(randomBytes(5 << 20)), httpOk: false };
      return { kind: "mutated protobuf", path: m.path, headers: base, body: frame(payload()), httpOk: false };
    default:
      return { kind: "mutated protobuf", path: m.path, headers: { ...base, "content-type": pick(["application/grpc", "application/grpc+proto"]) }, body: frame(mutateBytes(seed(m.input, real))), httpOk: false };
  }
}

export async function fuzzGrpcScenario(mode: Mode): Promise<ScenarioResult> {
  const rec = new Recorder("fuzz-grpc");
  const id = await newIdentity();
  const server = await startServer(id);
  const statuses = new Tally();
  const codes = new Tally();
  const kinds = new Tally();
  const bad: string[] = [];
  let tried = 0;
  let answered = 0;
  let sessionErrors = 0;
  const internal: string[] = [];
  const noCode: string[] = [];
  const collateralKinds = new Tally();
  try {
    const clients = clientsFor(server);
    const { keyId } = await clients.grpc.createKey({ alias: "fuzz-grpc" }, CALL);
    const { ciphertextBlob } = await clients.grpc.encrypt({ keyId, plaintext: enc("fuzz"), encryptionContext: '{"a":"b"}' }, CALL);
    const real: Real = { keyId, alias: "fuzz-grpc", blob: ciphertextBlob, token: server.identity.token };
    const methods = SERVICES.flatMap((s) => s.methods.map((m) => ({ path: `/${s.typeName}/${m.name}`, input: m.input })));
    const known = new Set(Object.keys(ERROR_CODES));

    const sessionTrouble: string[] = [];
    let collateral = 0;
    const total = mode.fuzzGrpc;
    const deadline = Date.now() + (mode.short ? 40_000 : 300_000);
    const judge = (input: Input, a: Answer): string | undefined =>
      a.grpcStatus === undefined
        ? input.httpOk && [404, 415].includes(a.httpStatus)
          ? undefined
          : `HTTP ${a.httpStatus} without grpc-status`
        : !/^(?:[0-9]|1[0-6])$/.test(a.grpcStatus)
          ? `grpc-status ${a.grpcStatus} is not a gRPC code`
          : a.errorCode !== undefined && !known.has(a.errorCode)
            ? `undocumented kms-error-code ${a.errorCode}`
            : undefined;
    const open = () => {
      const s = http2.connect(server.grpcUrl);
      const inFlight = new Set<string>();
      s.on("error", (err: Error) => {
        sessionErrors++;
        sessionTrouble.push(`${err.message} with in flight: ${[...inFlight].join(", ")}`);
      });
      s.on("goaway", (code: number) => sessionTrouble.push(`GOAWAY ${code} with in flight: ${[...inFlight].join(", ")}`));
      return { s, inFlight };
    };
    /** One session per worker; an input left unanswered is retried alone on a fresh session to tell its own fault from collateral damage. */
    const worker = async () => {
      let sess = open();
      while (tried < total && Date.now() < deadline) {
        tried++;
        const input = makeInput(real, methods);
        kinds.add(input.kind);
        if (sess.s.closed || sess.s.destroyed) sess = open();
        const tagged = `${input.kind} ${input.path.slice(0, 80)}`;
        sess.inFlight.add(tagged);
        let a: Answer | undefined;
        try {
          a = await sendGrpc(sess.s, input.path, input.headers, input.body);
        } catch {
          a = undefined;
        } finally {
          sess.inFlight.delete(tagged);
        }
        if (!server.alive()) throw new Error(`the server died on: ${tagged}`);
        if (a === undefined || a.httpStatus === 0) {
          sess.s.destroy();
          sess = open();
          const alone = open();
          const again = await sendGrpc(alone.s, input.path, input.headers, input.body).catch(() => undefined);
          alone.s.close();
          if (again && again.httpStatus !== 0 && judge(input, again) === undefined) {
            collateral++;
            collateralKinds.add(input.kind);
            a = again;
          } else {
            bad.push(`${tagged}: no answer, even alone on a fresh connection`);
            continue;
          }
        }
        answered++;
        statuses.add(a.grpcStatus === undefined ? `http ${a.httpStatus}` : `grpc ${a.grpcStatus}`);
        if (a.errorCode) codes.add(a.errorCode);
        const problem = judge(input, a);
        if (problem) bad.push(`${tagged}: ${problem}`);
        if (a.grpcStatus === "13" || a.errorCode === "InternalError") internal.push(`${tagged}: ${a.message ?? ""}`);
        if (a.grpcStatus !== undefined && a.grpcStatus !== "0" && a.errorCode === undefined) noCode.push(`${tagged}: grpc-status ${a.grpcStatus} ${a.message ?? ""}`);
      }
      sess.s.close();
    };
    await Promise.all(Array.from({ length: 8 }, worker));

    const alive = server.alive();
    rec.check("the process stays up (zero crashes)", alive);
    const status = await outcome(clients.grpc.getServiceStatus({}, CALL));
    const stillDecrypts = await outcome(clients.grpc.decrypt({ ciphertextBlob, encryptionContext: '{"a":"b"}' }, CALL));
    rec.check("the service still answers after the fuzz", status.ok && stillDecrypts.ok && dec(stillDecrypts.value.plaintext) === "fuzz");
    clients.close();
    rec.check("every answer carries a grpc-status (a documented code when kms-error-code is set)", bad.length === 0, `${bad.length} bad: ${[...new Set(bad)].slice(0, 8).join(" | ")}`);
    rec.check("malformed input never answers INTERNAL", internal.length === 0, `${internal.length}: ${[...new Set(internal)].slice(0, 4).join(" | ")}`);
    rec.check("every gRPC error carries its API 3.0 code (kms-error-code, as the README promises)", noCode.length === 0, `${noCode.length} without: ${[...new Set(noCode)].slice(0, 4).join(" | ")}`);
    if (internal.length > 0)
      rec.finding(
        `gRPC: a request body that is not a valid protobuf (e.g. random bytes, a bad tag, invalid UTF-8 in a string field) or a compressed-flag envelope without grpc-encoding answers grpc-status 13 INTERNAL with no kms-error-code/ErrorInfo (${internal.length} of ${tried} inputs), instead of INVALID_ARGUMENT + InvalidParameter; the framework rejects it before the edge interceptor, so README's "every failure carries the exact API 3.0 code" does not hold. Repro: POST /kms.v1.KeyManagementService/DescribeKey over h2c with content-type application/grpc and body 00 00 00 00 02 ff ff.`,
      );
    if (noCode.length > internal.length)
      rec.finding(
        `gRPC: protocol-level refusals (incomplete envelope, extra message on a unary method, failed decompression: grpc-status 3/12) carry no kms-error-code either (${noCode.length} answers without a code in all).`,
      );
    if (sessionTrouble.length > 0)
      rec.finding(
        `gRPC: ${collateral} request(s) got no answer on a shared HTTP/2 connection: the server closed the connection (${[...new Set(sessionTrouble.map((t) => t.split(" with ")[0]))].join(", ")}, ${sessionTrouble.length} time(s)) instead of answering, while the same request sent alone on a fresh connection is answered (kinds: ${JSON.stringify(collateralKinds.toObject())}; a 5 MiB message alone answers RESOURCE_EXHAUSTED). Any other call on that connection fails with it. Repro: 8 concurrent h2c streams on one connection to a unary method, one of them a 5 MiB gRPC message.`,
      );
    rec.figure("collateral (connection torn down, fine alone)", collateral);
    rec.figure("INTERNAL answers", internal.length);
    rec.data.sessionTrouble = sessionTrouble.slice(0, 20);
    rec.data.collateralKinds = collateralKinds.toObject();
    rec.data.internal = [...new Set(internal)].slice(0, 20);
    const internalLogs = (server.log().match(/"level":"error"[^\n]*"msg":"request [^\n]*unexpected error/g) ?? []).length;
    rec.figure("inputs tried", tried);
    rec.figure("answered", answered);
    rec.figure("bad answers", bad.length);
    rec.figure("crashes", alive ? 0 : 1);
    rec.figure("server 'unexpected error' log lines", internalLogs);
    rec.figure("HTTP/2 session errors (client side)", sessionErrors);
    rec.data.statuses = statuses.toObject();
    rec.data.codes = codes.toObject();
    rec.data.kinds = kinds.toObject();
    rec.data.bad = [...new Set(bad)].slice(0, 50);
  } finally {
    if (server.alive()) await server.stop();
    await rm(id.dataDir, { recursive: true, force: true });
  }
  return rec.result();
}
