/**
 * kms configure: write a profile into the config file (mode 0600), show the
 * profile a command would use and where each setting came from, list profiles.
 *
 *   kms configure --endpoint https://kms.internal:50051 --token-file ~/.kms-token --ca-file ca.pem
 *   kms --profile staging configure --endpoint ...
 *   kms configure show
 */
import { resolve } from "node:path";
import { act, type Cli, type CommandGroup, type GlobalOptions } from "../cli.js";
import { UsageError } from "../errors.js";
import { configPath, DEFAULT_PROFILE, normaliseEndpoint, PROFILE_FIELDS, readConfig, writeConfig, type ProfileSettings } from "../profile.js";

const PATH_FLAGS = new Set(["tokenFile", "caFile", "certFile", "keyFile"]);

export const configure: CommandGroup = (program, cli) => {
  const group = program.command("configure").description("write, show and list profiles of the config file (~/.config/kms/config.json)");

  group
    .command("set", { isDefault: true })
    .description("write the settings given as flags (--endpoint, --token or --token-file, --ca-file, --cert-file, --key-file, --server-name, --output) into the profile (--profile, default \"default\")")
    .action(act(async () => setProfile(cli, program.opts<GlobalOptions>())));

  group
    .command("show")
    .description("the profile a command would use now, and where each setting comes from (the token is never shown)")
    .action(act(async () => showProfile(cli)));

  group
    .command("list")
    .description("the profiles of the config file")
    .action(
      act(async () => {
        const path = configPath(cli.io.env);
        const { config } = await readConfig(path);
        const names = Object.keys(config.profiles).sort();
        if ((await cli.format()) === "json") cli.write(`${JSON.stringify({ configFile: path, profiles: config.profiles }, replaceTokens, 2)}\n`);
        else for (const n of names) cli.write(`${n}  ${config.profiles[n]!.endpoint ?? "-"}\n`);
      }),
    );
};

/** Tokens never leave the file through `list`. */
function replaceTokens(key: string, value: unknown): unknown {
  return key === "token" ? "(set)" : value;
}

async function setProfile(cli: Cli, g: GlobalOptions): Promise<void> {
  const path = configPath(cli.io.env);
  const name = g.profile ?? cli.io.env.KMS_PROFILE ?? DEFAULT_PROFILE;
  const given: ProfileSettings = {};
  for (const f of PROFILE_FIELDS) {
    const v = g[f];
    if (v !== undefined) given[f] = PATH_FLAGS.has(f) ? resolve(cli.io.cwd, v) : v;
  }
  if (Object.keys(given).length === 0) throw new UsageError("nothing to write: give the settings as flags, e.g. kms configure --endpoint http://127.0.0.1:50051 --token-file FILE");
  if (given.token !== undefined && given.tokenFile !== undefined) throw new UsageError("give --token or --token-file, not both");
  const tls = given.caFile !== undefined || given.certFile !== undefined || given.keyFile !== undefined || given.serverName !== undefined;
  const { config } = await readConfig(path);
  const merged: ProfileSettings = { ...config.profiles[name], ...given };
  // The token is one setting: a new literal token replaces a token file and the other way round.
  if (given.token !== undefined) delete merged.tokenFile;
  if (given.tokenFile !== undefined) delete merged.token;
  if (merged.endpoint !== undefined) merged.endpoint = normaliseEndpoint(merged.endpoint, tls || merged.caFile !== undefined || merged.certFile !== undefined);
  if ((merged.certFile === undefined) !== (merged.keyFile === undefined)) throw new UsageError("a client certificate needs both --cert-file and --key-file");
  await writeConfig(path, { profiles: { ...config.profiles, [name]: merged } });
  cli.note(`wrote profile "${name}" to ${path}`);
}

async function showProfile(cli: Cli): Promise<void> {
  const p = await cli.profile();
  await cli.printRecord({
    profile: p.name,
    configFile: p.configPath,
    endpoint: p.endpoint,
    endpointFrom: p.sources.endpoint ?? null,
    token: p.token !== undefined ? "set" : "not set",
    tokenFrom: p.sources.token ?? null,
    caFile: p.tls?.caFile ?? null,
    certFile: p.tls?.certFile ?? null,
    keyFile: p.tls?.keyFile ?? null,
    serverName: p.tls?.serverName ?? null,
    output: await cli.format(),
    outputFrom: p.sources.output ?? "default",
  });
}
