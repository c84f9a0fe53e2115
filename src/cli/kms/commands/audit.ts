/** kms audit: the running server's audit trail (QueryAuditEvents, VerifyAuditLog). */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { QueryAuditEventsResponseSchema, VerifyAuditLogResponseSchema, type AuditEvent, type QueryAuditEventsRequestSchema } from "../../../../gen/kms/v1/admin_pb.js";
import { intArg, timeArg, uint64Arg } from "../args.js";
import { act, type Cli, type CommandGroup } from "../cli.js";
import { VerificationError } from "../errors.js";
import { resolvePrincipal } from "./principals.js";

const EVENT_COLUMNS = { columns: ["seq", "timeMs", "principalName", "transport", "action", "keyIds", "result", "requestId"] };
const MAX_PAGE = 1000;

interface QueryOptions {
  from?: number;
  to?: number;
  principal?: string;
  action?: string;
  key?: string;
  result?: string;
  after?: bigint;
  limit?: number;
  all?: boolean;
}

export const audit: CommandGroup = (program, cli) => {
  const group = program.command("audit").description("the audit trail of the running server");

  group
    .command("query")
    .description("events in chain order, filtered, a page at a time (QueryAuditEvents)")
    .option("--from <time>", "at or after (ISO 8601 or Unix seconds)", timeArg)
    .option("--to <time>", "before (ISO 8601 or Unix seconds)", timeArg)
    .option("--principal <principal>", "this caller's uin or name")
    .option("--action <action>", "e.g. kms:Decrypt, kmsadmin:CreateToken")
    .option("--key <key-id>", "calls naming this key")
    .option("--result <code>", "Success or an API code")
    .option("--after <seq>", "continue after this sequence number (the nextAfterSeq printed before)", uint64Arg)
    .option("--limit <n>", "at most this many, 1 to 1000 (default 100)", intArg(1, MAX_PAGE))
    .option("--all", "every matching event, a page of 1000 at a time")
    .action(act<QueryOptions>(async (_a, o) => query(cli, o)));

  group
    .command("verify")
    .description("recompute the HMAC chain (VerifyAuditLog); exit 4 if it is broken")
    .action(
      act(async () => {
        const res = await (await cli.admin()).verifyAuditLog({});
        await cli.print(VerifyAuditLogResponseSchema, res);
        if (!res.ok) throw new VerificationError(`the audit chain breaks at ${res.failureSeq}: ${res.failureReason}`);
      }),
    );
};

async function query(cli: Cli, o: QueryOptions): Promise<void> {
  const admin = await cli.admin();
  const base: MessageInitShape<typeof QueryAuditEventsRequestSchema> = {
    fromTimeMs: BigInt(o.from ?? 0),
    toTimeMs: BigInt(o.to ?? 0),
    principalUin: await resolvePrincipal(cli, o.principal),
    action: o.action ?? "",
    keyId: o.key ?? "",
    result: o.result ?? "",
  };
  if (!o.all) {
    await cli.print(QueryAuditEventsResponseSchema, await admin.queryAuditEvents({ ...base, afterSeq: o.after ?? 0n, limit: o.limit ?? 0 }), EVENT_COLUMNS);
    return;
  }
  const events: AuditEvent[] = [];
  let after = o.after ?? 0n;
  for (;;) {
    const page = await admin.queryAuditEvents({ ...base, afterSeq: after, limit: MAX_PAGE });
    events.push(...page.events);
    if (page.nextAfterSeq === 0n) break;
    after = page.nextAfterSeq;
  }
  await cli.print(QueryAuditEventsResponseSchema, create(QueryAuditEventsResponseSchema, { events, nextAfterSeq: 0n }), EVENT_COLUMNS);
}
