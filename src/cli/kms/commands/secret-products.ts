/**
 * kms secrets product: product secrets that hold and rotate database
 * accounts (CreateProductSecret, RotateProductSecret, UpdateRotationStatus,
 * DescribeRotationDetail, DescribeRotationHistory, DescribeAsyncRequestInfo,
 * DescribeSupportedProducts). Creating and rotating start a flow that runs
 * in the background; `--wait` follows it to its end (exit 1 if it fails).
 */
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { InvalidArgumentError } from "commander";
import {
  CreateProductSecretResponseSchema,
  DescribeAsyncRequestInfoResponseSchema,
  DescribeRotationDetailResponseSchema,
  DescribeRotationHistoryResponseSchema,
  DescribeSupportedProductsResponseSchema,
  ProductPrivilegeUnitSchema,
  RotateProductSecretResponseSchema,
  UpdateRotationStatusResponseSchema,
  type DescribeAsyncRequestInfoResponse,
  type ProductPrivilegeUnit,
} from "../../../../gen/ssm/v1/ssm_pb.js";
import { intArg, readSmallFile, tagArg } from "../args.js";
import { act, type Cli, type SubGroup } from "../cli.js";
import { CliError, EXIT, UsageError } from "../errors.js";
import { ssmClient, tagsOf, type SsmClient } from "./secret-common.js";

/** DescribeAsyncRequestInfo's TaskStatus. */
const TASK = { RUNNING: 0, DONE: 1, FAILED: 2 } as const;
const WAIT_POLL_MS = 250;
const WAIT_LIMIT_MS = 10 * 60_000;

/** "2006-01-02 15:04:05", as the API takes rotation times (UTC+8). */
function apiTimeArg(value: string): string {
  if (!/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/.test(value)) throw new InvalidArgumentError('must be "YYYY-MM-DD hh:mm:ss" (UTC+8, as the API shows times)');
  return value;
}

/** A FlowID (int64, positive). */
function flowArg(value: string): bigint {
  if (!/^\d{1,19}$/.test(value) || BigInt(value) === 0n) throw new InvalidArgumentError("must be a flow id (a positive integer)");
  return BigInt(value);
}

const repeat = (value: string, previous: string[] = []): string[] => [...previous, value];

/**
 * The privileges file: a JSON array of ProductPrivilegeUnit in the API's
 * spelling ([{"PrivilegeName":"DatabasePrivileges","Privileges":["SELECT"],"Database":"app"}]).
 * Unknown members are refused, so a misspelt one never silently grants nothing.
 */
export async function readPrivileges(cli: Cli, path: string): Promise<ProductPrivilegeUnit[]> {
  const text = (await readSmallFile(path, "privileges file", cli.io.stdin)).toString("utf8");
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`the privileges file is not valid JSON: ${(err as Error).message}`);
  }
  if (!Array.isArray(parsed) || parsed.length === 0) throw new UsageError('the privileges file must hold a non-empty JSON array such as [{"PrivilegeName":"GlobalPrivileges","Privileges":["SELECT"]}]');
  return parsed.map((unit, i) => {
    try {
      return fromJson(ProductPrivilegeUnitSchema, unit as JsonValue);
    } catch (err) {
      throw new UsageError(`privileges file, entry ${i}: ${(err as Error).message}`);
    }
  });
}

/** Polls a flow until it is no longer running; its last state. */
async function followFlow(ssm: SsmClient, flowId: bigint): Promise<DescribeAsyncRequestInfoResponse> {
  const deadline = Date.now() + WAIT_LIMIT_MS;
  for (;;) {
    const info = await ssm.describeAsyncRequestInfo({ flowId });
    if (info.taskStatus !== TASK.RUNNING) return info;
    if (Date.now() > deadline) throw new CliError(`flow ${flowId} still running after ${WAIT_LIMIT_MS / 60_000} minutes: see kms secrets product flow ${flowId}`, EXIT.API);
    await new Promise((r) => setTimeout(r, WAIT_POLL_MS));
  }
}

/** A failed flow is exit 1, with its reason (never a password). */
function assertFlowDone(flowId: bigint, info: DescribeAsyncRequestInfoResponse): void {
  if (info.taskStatus !== TASK.DONE) throw new CliError(`flow ${flowId} failed: ${info.description}`, EXIT.API);
}

interface CreateOptions {
  prefix: string;
  instance: string;
  domain: string[];
  privilegesFile: string;
  product: string;
  description?: string;
  kmsKey?: string;
  tag?: [string, string][];
  rotationBegin?: string;
  rotationFrequency?: number;
  enableRotation?: boolean;
  wait?: boolean;
}

interface RotationOptions {
  enable?: boolean;
  disable?: boolean;
  frequency?: number;
  begin?: string;
}

export const secretProducts: SubGroup = (secrets, cli) => {
  const group = secrets.command("product").description("product secrets: database accounts the service creates and rotates");

  group
    .command("create")
    .description("create a product secret; two accounts are made on the instance by a background flow (CreateProductSecret)")
    .argument("<name>", "the secret's name")
    .requiredOption("--prefix <prefix>", "account names are <prefix>SSM<3 digits>: 1 to 8 letters, digits and _")
    .requiredOption("--instance <id>", "a database instance registered with 'kms secrets db register'")
    .requiredOption("--domain <host>", "a host the accounts may log in from: %, an IP address or a prefix such as 10.0.% (repeatable)", repeat)
    .requiredOption("--privileges-file <file>", 'JSON array of grants, e.g. [{"PrivilegeName":"DatabasePrivileges","Privileges":["SELECT"],"Database":"app"}] (- for stdin)')
    .option("--product <name>", "the product (kms secrets product supported)", "Mysql")
    .option("--description <text>", "description, at most 2048 bytes")
    .option("--kms-key <key-id>", "the CMK that encrypts the credentials (default: Secrets Manager's default CMK)")
    .option("--tag <key=value>", "a tag (repeatable)", tagArg)
    .option("--enable-rotation", "rotate automatically from --rotation-begin every --rotation-frequency days")
    .option("--rotation-begin <time>", 'first automatic rotation, "YYYY-MM-DD hh:mm:ss" (UTC+8)', apiTimeArg)
    .option("--rotation-frequency <days>", "days between automatic rotations, 1 to 365 (default 1)", intArg(1, 365))
    .option("--wait", "wait until the accounts exist (exit 1 if the flow fails)")
    .action(
      act<CreateOptions>(async ([secretName], o) => {
        const privilegesList = await readPrivileges(cli, o.privilegesFile);
        const ssm = await ssmClient(cli);
        const res = await ssm.createProductSecret({
          secretName: secretName!,
          userNamePrefix: o.prefix,
          productName: o.product,
          instanceId: o.instance,
          domains: o.domain,
          privilegesList,
          description: o.description ?? "",
          kmsKeyId: o.kmsKey ?? "",
          tags: tagsOf(o.tag),
          enableRotation: o.enableRotation === true,
          rotationBeginTime: o.rotationBegin ?? "",
          ...(o.rotationFrequency !== undefined ? { rotationFrequency: o.rotationFrequency } : {}),
        });
        await cli.print(CreateProductSecretResponseSchema, res);
        if (o.wait) assertFlowDone(res.flowId, await followFlow(ssm, res.flowId));
      }),
    );

  group
    .command("rotate")
    .description("rotate now: the standby account gets a new password and becomes current (RotateProductSecret)")
    .argument("<name>")
    .option("--wait", "wait until the rotation ends (exit 1 if it fails)")
    .action(
      act<{ wait?: boolean }>(async ([secretName], o) => {
        const ssm = await ssmClient(cli);
        const res = await ssm.rotateProductSecret({ secretName: secretName! });
        await cli.print(RotateProductSecretResponseSchema, res);
        if (o.wait) assertFlowDone(res.flowId, await followFlow(ssm, res.flowId));
      }),
    );

  group
    .command("rotation-status")
    .description("whether it rotates automatically, how often, when it last did and will next (DescribeRotationDetail)")
    .argument("<name>")
    .action(act(async ([secretName]) => cli.print(DescribeRotationDetailResponseSchema, await (await ssmClient(cli)).describeRotationDetail({ secretName: secretName! }))));

  group
    .command("rotation-history")
    .description("versions the flows committed, newest first, and which account is current (DescribeRotationHistory)")
    .argument("<name>")
    .action(act(async ([secretName]) => cli.print(DescribeRotationHistoryResponseSchema, await (await ssmClient(cli)).describeRotationHistory({ secretName: secretName! }))));

  group
    .command("set-rotation")
    .description("turn automatic rotation on or off, and set its period and start (UpdateRotationStatus)")
    .argument("<name>")
    .option("--enable", "rotate automatically")
    .option("--disable", "stop rotating automatically")
    .option("--frequency <days>", "days between rotations, 30 to 365 (default: unchanged)", intArg(30, 365))
    .option("--begin <time>", 'when rotation starts, "YYYY-MM-DD hh:mm:ss" (UTC+8; default now)', apiTimeArg)
    .action(
      act<RotationOptions>(async ([secretName], o) => {
        if (o.enable === o.disable) throw new UsageError("give exactly one of --enable or --disable");
        const res = await (await ssmClient(cli)).updateRotationStatus({
          secretName: secretName!,
          enableRotation: o.enable === true,
          rotationBeginTime: o.begin ?? "",
          ...(o.frequency !== undefined ? { frequency: o.frequency } : {}),
        });
        await cli.print(UpdateRotationStatusResponseSchema, res);
      }),
    );

  group
    .command("flow")
    .description("the state of a create or rotation flow: TaskStatus 0 running, 1 done, 2 failed (DescribeAsyncRequestInfo)")
    .argument("<flow-id>", "the FlowID of create or rotate", flowArg)
    .option("--wait", "wait until it ends (exit 1 if it fails)")
    .action(
      act<{ wait?: boolean }>(async (_a, o, cmd) => {
        const flowId = cmd.processedArgs[0] as bigint;
        const ssm = await ssmClient(cli);
        const info = o.wait ? await followFlow(ssm, flowId) : await ssm.describeAsyncRequestInfo({ flowId });
        await cli.print(DescribeAsyncRequestInfoResponseSchema, info);
        if (o.wait) assertFlowDone(flowId, info);
      }),
    );

  group
    .command("supported")
    .description("products a product secret can hold (DescribeSupportedProducts)")
    .action(act(async () => cli.print(DescribeSupportedProductsResponseSchema, await (await ssmClient(cli)).describeSupportedProducts({}))));
};
