/**
 * Where `kms` connects and who it says it is: a profile, as TCCLI and the
 * Vault CLI have. Each setting comes from the first of
 *
 *   1. a flag          (--endpoint, --token, --token-file, --ca-file, --cert-file, --key-file, --server-name, --output)
 *   2. the environment (KMS_ENDPOINT, KMS_TOKEN, KMS_TOKEN_FILE, KMS_CA_FILE, KMS_CERT_FILE, KMS_KEY_FILE, KMS_SERVER_NAME, KMS_OUTPUT)
 *   3. the config file (KMS_CONFIG, else $XDG_CONFIG_HOME/kms/config.json, else ~/.config/kms/config.json),
 *      profile --profile, else KMS_PROFILE, else "default"
 *
 * that sets it. The token is one setting given either literally or as a file
 * (the higher layer wins; within one layer the literal token). With no token
 * and no client certificate, a loopback endpoint falls back to the root token
 * the server wrote to <KMS_DATA_DIR or ./data>/root-credentials.json, and
 * says so: a fresh `npm start` works without copying a token by hand, and
 * that token is never sent anywhere but this machine.
 */
import { chmod, mkdir, readFile, rename, stat, writeFile } from "node:fs/promises";
import { homedir } from "node:os";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { randomBytes } from "node:crypto";
import { UsageError } from "./errors.js";

/** Settings a profile holds, named as in the config file (and as the flags, in camelCase). */
export const PROFILE_FIELDS = ["endpoint", "token", "tokenFile", "caFile", "certFile", "keyFile", "serverName", "output"] as const;
export type ProfileField = (typeof PROFILE_FIELDS)[number];
export type ProfileSettings = Partial<Record<ProfileField, string>>;

export const ENV_NAMES: Record<ProfileField, string> = {
  endpoint: "KMS_ENDPOINT",
  token: "KMS_TOKEN",
  tokenFile: "KMS_TOKEN_FILE",
  caFile: "KMS_CA_FILE",
  certFile: "KMS_CERT_FILE",
  keyFile: "KMS_KEY_FILE",
  serverName: "KMS_SERVER_NAME",
  output: "KMS_OUTPUT",
};

/** Fields holding a path: relative paths in the config file are relative to the file. */
const PATH_FIELDS: ReadonlySet<ProfileField> = new Set(["tokenFile", "caFile", "certFile", "keyFile"]);

export const DEFAULT_ENDPOINT = "http://127.0.0.1:50051";
export const DEFAULT_PROFILE = "default";
export const OUTPUT_FORMATS = ["json", "table"] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

export type Source = "flag" | "env" | "file" | "default" | "credentials";

export interface ConfigFile {
  profiles: Record<string, ProfileSettings>;
}

export interface TlsSettings {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
  serverName?: string;
}

export interface ResolvedProfile {
  /** The profile name looked up in the config file. */
  name: string;
  configPath: string;
  /** Normalised: scheme, host, port. http: is h2c, https: is TLS. */
  endpoint: string;
  token?: string;
  tls?: TlsSettings;
  output?: OutputFormat;
  /** Where each setting that is set came from ("token" covers token and tokenFile). */
  sources: Partial<Record<ProfileField, Source>>;
  /** Lines for stderr (fallbacks taken, unsafe file modes). */
  notices: string[];
}

export interface ProfileInputs {
  /** Global options as commander parsed them. */
  flags: ProfileSettings & { profile?: string };
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** The config file's path: KMS_CONFIG, else the XDG config dir, else ~/.config. */
export function configPath(env: NodeJS.ProcessEnv): string {
  if (env.KMS_CONFIG) return resolve(env.KMS_CONFIG);
  const base = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(env.HOME ?? homedir(), ".config");
  return join(base, "kms", "config.json");
}

/** Reads and checks the config file; a missing file is an empty one. */
export async function readConfig(path: string): Promise<{ config: ConfigFile; mode: number | undefined }> {
  let text: string;
  let mode: number;
  try {
    [text, mode] = await Promise.all([readFile(path, "utf8"), stat(path).then((s) => s.mode)]);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { config: { profiles: {} }, mode: undefined };
    throw new UsageError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return { config: parseConfig(text, path), mode };
}

/** Parses a config file strictly: unknown members are refused, so a typo never silently does nothing. */
export function parseConfig(text: string, path: string): ConfigFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config file ${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!isObject(parsed)) throw new UsageError(`config file ${path} must hold a JSON object`);
  for (const k of Object.keys(parsed)) if (k !== "profiles") throw new UsageError(`config file ${path}: unknown member "${k}" (expected "profiles")`);
  const profiles = parsed.profiles ?? {};
  if (!isObject(profiles)) throw new UsageError(`config file ${path}: "profiles" must be an object`);
  const out: Record<string, ProfileSettings> = {};
  for (const [name, value] of Object.entries(profiles)) {
    if (!isObject(value)) throw new UsageError(`config file ${path}: profile "${name}" must be an object`);
    const settings: ProfileSettings = {};
    for (const [field, v] of Object.entries(value)) {
      if (!(PROFILE_FIELDS as readonly string[]).includes(field))
        throw new UsageError(`config file ${path}: profile "${name}" has unknown setting "${field}" (known: ${PROFILE_FIELDS.join(", ")})`);
      if (typeof v !== "string") throw new UsageError(`config file ${path}: profile "${name}" setting "${field}" must be a string`);
      settings[field as ProfileField] = v;
    }
    out[name] = settings;
  }
  return { profiles: out };
}

/** Writes the config file atomically with mode 0600 (its directory 0700): it may hold tokens. */
export async function writeConfig(path: string, config: ConfigFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(tmp, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

/** Resolves every setting by precedence (flag, env, config file) and reads the token. */
export async function resolveProfile({ flags, env, cwd }: ProfileInputs): Promise<ResolvedProfile> {
  const path = configPath(env);
  const { config, mode } = await readConfig(path);
  const explicit = flags.profile ?? env.KMS_PROFILE;
  const name = explicit ?? DEFAULT_PROFILE;
  const fromFile = config.profiles[name];
  if (explicit !== undefined && fromFile === undefined) throw new UsageError(`profile "${name}" is not in ${path}`);
  const fileLayer = absolutePaths(fromFile ?? {}, dirname(path));
  const envLayer = envSettings(env);
  const layers: [Source, ProfileSettings][] = [
    ["flag", flags],
    ["env", envLayer],
    ["file", fileLayer],
  ];
  const notices: string[] = [];
  if (mode !== undefined && (mode & 0o077) !== 0 && Object.values(config.profiles).some((p) => p.token !== undefined))
    notices.push(`warning: ${path} holds a token and is readable by others (mode ${(mode & 0o777).toString(8)}): chmod 600 ${path}`);

  const sources: ResolvedProfile["sources"] = {};
  const pick = (field: ProfileField): string | undefined => {
    for (const [source, layer] of layers) {
      const v = layer[field];
      if (v !== undefined && v !== "") {
        sources[field] = source;
        return v;
      }
    }
    return undefined;
  };

  const tls: TlsSettings = {};
  for (const f of ["caFile", "certFile", "keyFile", "serverName"] as const) {
    const v = pick(f);
    if (v !== undefined) tls[f] = f === "serverName" ? v : resolve(cwd, v);
  }
  if ((tls.certFile === undefined) !== (tls.keyFile === undefined)) throw new UsageError("a client certificate needs both --cert-file and --key-file");
  const hasTls = Object.keys(tls).length > 0;
  const endpoint = normaliseEndpoint(pick("endpoint") ?? DEFAULT_ENDPOINT, hasTls);
  sources.endpoint ??= "default";

  const outputValue = pick("output");
  if (outputValue !== undefined && !(OUTPUT_FORMATS as readonly string[]).includes(outputValue))
    throw new UsageError(`output must be json or table, not "${outputValue}" (from ${sources.output})`);

  let token: string | undefined;
  for (const [source, layer] of layers) {
    if (layer.token) token = layer.token;
    else if (layer.tokenFile) token = await readTokenFile(resolve(cwd, layer.tokenFile));
    if (token !== undefined) {
      sources.token = source;
      break;
    }
  }
  if (token === undefined && tls.certFile === undefined && isLoopback(endpoint)) {
    const file = join(env.KMS_DATA_DIR || "data", "root-credentials.json");
    const fromCredentials = await readRootCredentials(resolve(cwd, file));
    if (fromCredentials !== undefined) {
      token = fromCredentials;
      sources.token = "credentials";
      notices.push(`no token given; using the root token in ${file}`);
    }
  }

  return {
    name,
    configPath: path,
    endpoint,
    ...(token !== undefined ? { token } : {}),
    ...(hasTls ? { tls } : {}),
    ...(outputValue !== undefined ? { output: outputValue as OutputFormat } : {}),
    sources,
    notices,
  };
}

function envSettings(env: NodeJS.ProcessEnv): ProfileSettings {
  const out: ProfileSettings = {};
  for (const f of PROFILE_FIELDS) {
    const v = env[ENV_NAMES[f]];
    if (v !== undefined && v !== "") out[f] = v;
  }
  return out;
}

function absolutePaths(settings: ProfileSettings, base: string): ProfileSettings {
  const out: ProfileSettings = { ...settings };
  for (const f of PATH_FIELDS) {
    const v = out[f];
    if (v !== undefined && v !== "") out[f] = resolve(base, v);
  }
  return out;
}

/**
 * "host:port" gets http:// (h2c), or https:// when TLS settings are given;
 * an explicit http:// with TLS settings is a contradiction and refused.
 */
export function normaliseEndpoint(raw: string, tls: boolean): string {
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `${tls ? "https" : "http"}://${raw}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new UsageError(`endpoint "${raw}" is not host:port or a URL`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new UsageError(`endpoint "${raw}": the scheme must be http (h2c) or https (TLS)`);
  if (url.protocol === "http:" && tls) throw new UsageError(`endpoint "${raw}" is plain http, but TLS settings are given: use https://`);
  if (url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") throw new UsageError(`endpoint "${raw}" must not carry credentials, a query or a fragment`);
  return url.href.replace(/\/$/, "");
}

export function isLoopback(endpoint: string): boolean {
  const host = new URL(endpoint).hostname;
  return host === "localhost" || host === "[::1]" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

async function readTokenFile(path: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read token file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const token = text.trim();
  if (token === "") throw new UsageError(`token file ${path} is empty`);
  return token;
}

/** The Token of a server's root-credentials.json, or undefined when there is no readable one. */
async function readRootCredentials(path: string): Promise<string | undefined> {
  try {
    const parsed: unknown = JSON.parse(await readFile(path, "utf8"));
    if (isObject(parsed) && typeof parsed.Token === "string" && parsed.Token !== "") return parsed.Token;
  } catch {
    // Not there, not readable or not ours: no fallback.
  }
  return undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}
