/** kms service: what the service offers (GetServiceStatus, GetRegions, ListAlgorithms). */
import { GetRegionsResponseSchema, GetServiceStatusResponseSchema, ListAlgorithmsResponseSchema } from "../../../../gen/kms/v1/kms_pb.js";
import { act, type CommandGroup } from "../cli.js";

export const service: CommandGroup = (program, cli) => {
  const group = program.command("service").description("the service's status, regions and algorithms");
  group
    .command("status")
    .description("service status and key counts (GetServiceStatus)")
    .action(act(async () => cli.print(GetServiceStatusResponseSchema, await (await cli.kms()).getServiceStatus({}))));
  group
    .command("regions")
    .description("regions served (GetRegions)")
    .action(act(async () => cli.print(GetRegionsResponseSchema, await (await cli.kms()).getRegions({}))));
  group
    .command("algorithms")
    .description("key usages and their algorithms (ListAlgorithms)")
    .action(act(async () => cli.print(ListAlgorithmsResponseSchema, await (await cli.kms()).listAlgorithms({}))));
};
