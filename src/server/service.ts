/**
 * A service implementation for connect-node built from an actions table: each
 * RPC calls its action with the call context. Built from the descriptor's
 * method list, so a service's RPCs and its actions cannot drift apart.
 */
import type { DescMessage, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { CallContext } from "../keys/deps.js";
import { requestIdKey } from "./interceptors.js";

type UnaryHandler = (req: MessageShape<DescMessage>, ctx: HandlerContext) => Promise<MessageInitShape<DescMessage>>;

/** An action as the transports see it: deps bound later, request and answer as generic messages. */
export type GenericAction<D> = (deps: D, req: MessageShape<DescMessage>, call: CallContext) => Promise<MessageInitShape<DescMessage>>;

/** Looks up the action of a method by its local name (the actions tables are typed against the descriptors). */
export function actionOf<D>(table: object, localName: string): GenericAction<D> {
  const action = (table as Record<string, GenericAction<D> | undefined>)[localName];
  if (!action) throw new Error(`no action for ${localName}`);
  return action;
}

export function createServiceImpl<S extends DescService, D>(service: S, deps: D, actions: object, uinOf: (ctx: HandlerContext) => bigint): ServiceImpl<S> {
  const impl: Record<string, UnaryHandler> = {};
  for (const method of service.methods) {
    const action = actionOf<D>(actions, method.localName);
    impl[method.localName] = (req, ctx) => action(deps, req, { requestId: ctx.values.get(requestIdKey), uin: uinOf(ctx) });
  }
  return impl as unknown as ServiceImpl<S>;
}
