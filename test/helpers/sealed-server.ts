/**
 * A stand-in for the sealed server app.ts will run (KMS_SEAL=shamir): on
 * HTTP/1.1 it answers GET /healthz (503, NOT_SERVING while sealed) and
 * UnsealService over Connect through the real action table, and nothing
 * else. Enough to drive the unseal flow and the CLI end to end here.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { DescMessage, MessageShape } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import { ConnectError } from "@connectrpc/connect";
import { UnsealService } from "../../gen/kms/v1/unseal_pb.js";
import { ErrorInfoSchema } from "../../gen/kms/v1/kms_pb.js";
import type { CallContext } from "../../src/call.js";
import { KmsError } from "../../src/errors.js";
import { unsealActions, type UnsealDeps } from "../../src/trust/actions/index.js";

const anonymous: CallContext = {
  requestId: "sealed",
  uin: 0n,
  region: "",
  principal: { uin: 0n, account: 0n, name: "", root: false, operator: false, credential: "" },
  journal: async () => {
    throw new Error("nothing is written through a journal while sealed");
  },
};

type Handler = (req: MessageShape<DescMessage>) => Promise<unknown>;

export async function startSealedServer(deps: UnsealDeps): Promise<{ url: string; close(): Promise<void> }> {
  const impl: Record<string, Handler> = {};
  for (const method of UnsealService.methods) {
    const action = (unsealActions as unknown as Record<string, (d: UnsealDeps, r: MessageShape<DescMessage>, c: CallContext) => Promise<unknown>>)[method.localName]!;
    impl[method.localName] = async (req) => {
      try {
        return await action(deps, req, anonymous);
      } catch (err) {
        if (err instanceof KmsError) throw new ConnectError(err.message, err.grpcCode, undefined, [{ desc: ErrorInfoSchema, value: { code: err.code } }]);
        throw err;
      }
    };
  }
  const connect = connectNodeAdapter({ routes: (router) => router.service(UnsealService, impl as never) });
  const server: Server = createServer((req, res) => {
    if (req.url === "/healthz" && req.method === "GET") {
      const sealed = deps.unsealer?.status().sealed ?? false;
      res.writeHead(sealed ? 503 : 200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ status: sealed ? "NOT_SERVING" : "SERVING" }));
      return;
    }
    connect(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
