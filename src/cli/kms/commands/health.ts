/**
 * kms health: the standard gRPC health service (grpc.health.v1.Health),
 * without credentials, as probes call it. `check` exits 1 unless SERVING,
 * so it works as a probe command.
 */
import { Health, HealthCheckResponse_ServingStatus as ServingStatus, HealthCheckResponseSchema, HealthListResponseSchema } from "../../../../gen/grpc/health/v1/health_pb.js";
import { act, type CommandGroup } from "../cli.js";
import { CliError, EXIT } from "../errors.js";

export const health: CommandGroup = (program, cli) => {
  const group = program.command("health").description("whether the server and its services are serving (no credentials needed)");

  group
    .command("check")
    .description('the status of the server, or of one service (Check); exit 1 unless SERVING')
    .argument("[service]", 'a service name such as kms.v1.KeyManagementService (default "": the server)', "")
    .action(
      act(async ([service]) => {
        const res = await (await cli.client(Health, { anonymous: true })).check({ service: service! });
        await cli.print(HealthCheckResponseSchema, res);
        if (res.status !== ServingStatus.SERVING) throw new CliError(`${service === "" ? "the server" : service} is ${ServingStatus[res.status]}`, EXIT.API);
      }),
    );

  group
    .command("list")
    .description("every service and its status (List)")
    .action(
      act(async () => {
        const res = await (await cli.client(Health, { anonymous: true })).list({});
        if (cli.field !== undefined || (await cli.format()) === "json") return cli.print(HealthListResponseSchema, res);
        const rows = Object.entries(res.statuses).sort(([a], [b]) => a.localeCompare(b));
        await cli.printRecord(Object.fromEntries(rows.map(([name, r]) => [name === "" ? '"" (the server)' : name, ServingStatus[r.status]])));
      }),
    );
};
