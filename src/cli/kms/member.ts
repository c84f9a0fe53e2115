/**
 * Acting on a member account of the caller's organisation: --member-account
 * <uin> (MemberAccount) on the commands whose action carries it, and
 * --member-accounts <uin,...> (MemberAccounts) on the listings. The service
 * checks the membership and the caller's policies on the member's resources;
 * MemberAppId is left 0, which matches any app id.
 */
import { InvalidArgumentError, type Command } from "commander";
import { uint64Arg } from "./args.js";

export interface MemberOption {
  memberAccount?: bigint;
}

export interface MemberListOption {
  memberAccounts?: bigint[];
}

/** Adds --member-account <uin> to a command. */
export function withMemberAccount(cmd: Command): Command {
  return cmd.option("--member-account <uin>", "act in this member account of your organisation (MemberAccount)", uint64Arg);
}

/** Repeatable, comma-separated --member-accounts <uin,...>: accumulates uins. */
function uinListArg(value: string, previous: bigint[] = []): bigint[] {
  const parts = value.split(",").map((p) => p.trim());
  if (parts.some((p) => p === "")) throw new InvalidArgumentError("must be uins separated by commas");
  return [...previous, ...parts.map((p) => uint64Arg(p))];
}

/** Adds --member-accounts <uin,...> to a listing. */
export function withMemberAccounts(cmd: Command): Command {
  return cmd.option("--member-accounts <uins>", "list these accounts' resources instead (MemberAccounts: your own uin and your organisation's members, comma-separated or repeated)", uinListArg);
}

/** The request's MemberAccount field, or nothing when the option was not given. */
export function memberAccountOf(o: MemberOption): { memberAccount?: { memberUin: bigint } } {
  return o.memberAccount === undefined ? {} : { memberAccount: { memberUin: o.memberAccount } };
}

/** The request's MemberAccounts field (empty: the caller's own account). */
export function memberAccountsOf(o: MemberListOption): { memberAccounts: { memberUin: bigint }[] } {
  return { memberAccounts: (o.memberAccounts ?? []).map((memberUin) => ({ memberUin })) };
}
