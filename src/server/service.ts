/**
 * The KeyManagementService implementation for connect-node: each RPC calls
 * its action with the call context. Built from the descriptor's method list,
 * so the set of RPCs and the actions table cannot drift apart.
 */
import type { DescMessage, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import type { ActionTable } from "../keys/actions/index.js";
import type { CallContext, KmsDeps } from "../keys/deps.js";
import { requestIdKey } from "./interceptors.js";

type UnaryHandler = (req: MessageShape<DescMessage>, ctx: HandlerContext) => Promise<MessageInitShape<DescMessage>>;
type AnyAction = (deps: KmsDeps, req: MessageShape<DescMessage>, call: CallContext) => Promise<MessageInitShape<DescMessage>>;

export function createServiceImpl(deps: KmsDeps, actions: ActionTable, uinOf: (ctx: HandlerContext) => bigint): ServiceImpl<typeof KeyManagementService> {
  const impl: Record<string, UnaryHandler> = {};
  for (const method of KeyManagementService.methods) {
    const action = actions[method.localName as keyof ActionTable] as unknown as AnyAction;
    impl[method.localName] = (req, ctx) => action(deps, req, { requestId: ctx.values.get(requestIdKey), uin: uinOf(ctx) });
  }
  return impl as unknown as ServiceImpl<typeof KeyManagementService>;
}
