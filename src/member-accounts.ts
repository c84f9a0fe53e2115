/**
 * MemberAccount / MemberAccounts (Tencent's multi-account management: an
 * organisation's authorised principals acting on a member account's keys).
 * Every action that declares them accepts them, so no SDK call is refused as
 * UnknownParameter; until this service has accounts, a request that names a
 * member account is refused as a whole with UnsupportedOperation, before the
 * action runs. The accounts work replaces this wrapper with the real thing.
 */
import type { DescMessage, DescService, MessageShape } from "@bufbuild/protobuf";
import type { ActionTable, CallContext } from "./call.js";
import { KmsError } from "./errors.js";

/** Whether a request names a member account (an empty MemberAccounts list names none). */
export function namesMemberAccount(req: MessageShape<DescMessage>): boolean {
  const r = req as unknown as { memberAccount?: unknown; memberAccounts?: readonly unknown[] };
  return r.memberAccount !== undefined || (r.memberAccounts !== undefined && r.memberAccounts.length > 0);
}

export function memberAccountRefusal(): KmsError {
  return new KmsError("UnsupportedOperation", "MemberAccount(s): acting on a member account's resources needs multi-account management, which this service does not offer yet");
}

type AnyAction<D> = (deps: D, req: MessageShape<DescMessage>, call: CallContext) => Promise<unknown>;

/** The table with every action refusing requests that name a member account. */
export function refusingMemberAccounts<S extends DescService, D>(table: ActionTable<S, D>): ActionTable<S, D> {
  const wrapped: Record<string, AnyAction<D>> = {};
  for (const [name, action] of Object.entries(table as unknown as Record<string, AnyAction<D>>)) {
    wrapped[name] = (deps, req, call) => {
      if (namesMemberAccount(req)) return Promise.reject(memberAccountRefusal());
      return action(deps, req, call);
    };
  }
  return wrapped as unknown as ActionTable<S, D>;
}
