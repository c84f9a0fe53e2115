/**
 * The route table: every method of every registered service, found by its
 * gRPC path (gRPC, gRPC-Web, Connect) or by its API 3.0 (version, action).
 * Built from the service descriptors, so a service's RPCs, its actions and its
 * API 3.0 actions cannot drift apart; a second API version (SSM's 2019-09-23)
 * is one more registration.
 */
import type { DescMessage, DescMethod, DescService, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { ActionTable, CallContext, RequestResources } from "../call.js";
import type { ApiExposure } from "../contract/api.js";

export type Message = MessageShape<DescMessage>;
export type MessageInit = MessageInitShape<DescMessage>;

/** One service as a family registers it. */
export interface ServiceBinding<S extends DescService = DescService, D = unknown> {
  service: S;
  deps: D;
  actions: ActionTable<S, D>;
  /** Policy action prefix: "kms" for kms:Encrypt, "kmsadmin", "ssm". */
  policyService: string;
  /** Service field of the account resource (qcs::<resourceService>:<region>:uin/<account>:*). */
  resourceService: string;
  /** What requests are about; absent: every call is about the account. */
  resources?: RequestResources;
  /** Offered through the API 3.0 gateway. */
  api?: ApiExposure;
  /**
   * Answered without credentials and without policies (UnsealService: the
   * shares authenticate themselves, and while sealed there is no directory to
   * check credentials against). A caller that does present credentials is
   * still identified, for the audit event.
   */
  public?: boolean;
  /**
   * Its methods act on items that each go through the pipeline on their own
   * (CallContext.invoke: authorised and audited one by one), so the call itself
   * needs no grant beyond each item's: batch crypto.
   */
  authorizesPerItem?: boolean;
}

/** One method ready to dispatch. */
export interface Route {
  method: DescMethod;
  /** "kms:Encrypt", "kmsadmin:CreatePrincipal". */
  action: string;
  resourceService: string;
  resources: RequestResources | undefined;
  api: ApiExposure | undefined;
  public: boolean;
  authorizesPerItem: boolean;
  run(req: Message, call: CallContext): Promise<MessageInit>;
}

type AnyAction = (deps: unknown, req: Message, call: CallContext) => Promise<MessageInit>;

export class RouteTable {
  private readonly byPath = new Map<string, Route>();
  /** version → action → route */
  private readonly byApi = new Map<string, Map<string, Route>>();
  private readonly byDescriptor = new WeakMap<DescMethod, Route>();

  add<S extends DescService, D>(binding: ServiceBinding<S, D>): void {
    const table = binding.actions as unknown as Record<string, AnyAction | undefined>;
    if (Object.keys(table).length !== binding.service.methods.length) throw new Error(`${binding.service.typeName}: methods and actions differ`);
    for (const method of binding.service.methods) {
      const action = table[method.localName];
      if (!action) throw new Error(`${binding.service.typeName}: no action for ${method.name}`);
      const route: Route = {
        method,
        action: `${binding.policyService}:${method.name}`,
        resourceService: binding.resourceService,
        resources: binding.resources,
        api: binding.api,
        public: binding.public ?? false,
        authorizesPerItem: binding.authorizesPerItem ?? false,
        run: (req, call) => action(binding.deps, req, call),
      };
      const path = `/${binding.service.typeName}/${method.name}`;
      if (this.byPath.has(path)) throw new Error(`route ${path} registered twice`);
      this.byPath.set(path, route);
      if (binding.api) {
        let actions = this.byApi.get(binding.api.version);
        if (!actions) this.byApi.set(binding.api.version, (actions = new Map()));
        if (actions.has(method.name)) throw new Error(`API ${binding.api.version} action ${method.name} registered twice`);
        actions.set(method.name, route);
      }
    }
  }

  /** The route of a gRPC path ("/kms.v1.KeyManagementService/Encrypt"). */
  byGrpcPath(path: string): Route | undefined {
    return this.byPath.get(path);
  }

  /** The route of a method descriptor. */
  byMethod(method: DescMethod): Route | undefined {
    let route = this.byDescriptor.get(method);
    if (!route) {
      route = this.byPath.get(`/${method.parent.typeName}/${method.name}`);
      if (route) this.byDescriptor.set(method, route);
    }
    return route;
  }

  /** The route of an API 3.0 action in a version. */
  byApiAction(version: string, action: string): Route | undefined {
    return this.byApi.get(version)?.get(action);
  }

  /** Any version's route of an API 3.0 action (to name a call refused before its version is checked). */
  anyApiAction(action: string): Route | undefined {
    for (const actions of this.byApi.values()) {
      const route = actions.get(action);
      if (route) return route;
    }
    return undefined;
  }

  /** Every API 3.0 version offered. */
  apiVersions(): string[] {
    return [...this.byApi.keys()];
  }

  /** Every registered service's routes, for reflection-style listings. */
  all(): Route[] {
    return [...this.byPath.values()];
  }
}
