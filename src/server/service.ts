/**
 * A service implementation for connect-node built from the gate's methods:
 * each RPC invokes its gated method with the identity the edge interceptor
 * established. Built from the descriptor's method list, so a service's RPCs
 * and its actions cannot drift apart.
 */
import type { DescMessage, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { HandlerContext, ServiceImpl } from "@connectrpc/connect";
import type { GatedMethod } from "../access/gate.js";
import { callKey } from "./interceptors.js";

type UnaryHandler = (req: MessageShape<DescMessage>, ctx: HandlerContext) => Promise<MessageInitShape<DescMessage>>;

export function createServiceImpl<S extends DescService>(service: S, methods: readonly GatedMethod[]): ServiceImpl<S> {
  const impl: Record<string, UnaryHandler> = {};
  for (const gated of methods) {
    impl[gated.method.localName] = (req, ctx) => {
      const call = ctx.values.get(callKey);
      if (!call.identity) throw new Error("the edge interceptor did not authenticate this call");
      call.dispatched = true;
      return gated.invoke(req, call.identity, call.meta);
    };
  }
  if (Object.keys(impl).length !== service.methods.length) throw new Error(`${service.typeName}: methods and gate bindings differ`);
  return impl as unknown as ServiceImpl<S>;
}
