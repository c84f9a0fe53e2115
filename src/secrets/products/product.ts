/**
 * The port a cloud product implements so SSM can hold rotating credentials
 * for it (CreateProductSecret and the rotation actions), and the privilege
 * model of ProductPrivilegeUnit, validated before anything reaches a database.
 *
 * A product secret owns two database accounts on one instance, one per host
 * in Domains, with the same privileges. Rotation gives the standby account a
 * new password and makes it current, so clients holding the previous
 * credentials keep working until the next rotation (rotation.ts).
 *
 * Adding a product: one file implementing ProductBackend, one entry in
 * registry.ts.
 */
import { isIP } from "node:net";
import { KmsError, type ErrorCode } from "../../errors.js";

/** The four levels of ProductPrivilegeUnit.PrivilegeName a MySQL-like product knows. */
export const PRIVILEGE_LEVELS = ["GlobalPrivileges", "DatabasePrivileges", "TablePrivileges", "ColumnPrivileges"] as const;
export type PrivilegeLevel = (typeof PRIVILEGE_LEVELS)[number];

/** Privilege names allowed at each level (a product may allow fewer levels than all four). */
export type PrivilegeAllowList = Readonly<Partial<Record<PrivilegeLevel, readonly string[]>>>;

/**
 * ProductPrivilegeUnit as the SDK sends it (field names in protobuf-es
 * camelCase; an empty string counts as absent, as in proto3). The
 * PostgreSQL-only fields are listed so that a request naming them for a
 * product without them is refused rather than ignored.
 */
export interface ProductPrivilegeUnit {
  privilegeName: string;
  privileges: readonly string[];
  database?: string;
  tableName?: string;
  columnName?: string;
  schemaName?: string;
  sequenceName?: string;
  procedureName?: string;
  typeName?: string;
  functionName?: string;
  viewName?: string;
  matviewName?: string;
}

/** One validated grant. Identifiers are raw (unquoted); the backend quotes them. */
export type PrivilegeGrant =
  | { level: "GlobalPrivileges"; privileges: string[] }
  | { level: "DatabasePrivileges"; database: string; privileges: string[] }
  | { level: "TablePrivileges"; database: string; table: string; privileges: string[] }
  | { level: "ColumnPrivileges"; database: string; table: string; column: string; privileges: string[] };

/** Where a product instance listens and how to administer it; the admin password is unsealed only in memory. */
export interface InstanceEndpoint {
  instanceId: string;
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
}

/** One database account of a product secret: the same user on every host. */
export interface AccountSpec {
  user: string;
  hosts: readonly string[];
  password: string;
  privileges: readonly PrivilegeGrant[];
}

/**
 * What a product implements. Every method is idempotent, so a flow
 * interrupted anywhere can run the same step again; every failure is a
 * ProductError, and no message carries a password.
 */
export interface ProductBackend {
  /** ProductName as the API spells it ("Mysql"). */
  readonly name: string;
  readonly privileges: PrivilegeAllowList;
  /** Longest user name the product accepts. */
  readonly maxUserLength: number;
  /** Connects as the admin and runs a trivial query: registration checks an instance with it. */
  ping(instance: InstanceEndpoint): Promise<void>;
  /** Whether any account of that user name exists (on any host). */
  accountExists(instance: InstanceEndpoint, user: string): Promise<boolean>;
  /** Creates the account on every host, or brings an existing one to exactly this password and these privileges. */
  ensureAccount(instance: InstanceEndpoint, account: AccountSpec): Promise<void>;
  /** Sets the password of the account on every host; its privileges are left alone. */
  setPassword(instance: InstanceEndpoint, user: string, hosts: readonly string[], password: string): Promise<void>;
  /** Fails (VerifyFailed) unless the database accepts this password for the account on every host. */
  verifyLogin(instance: InstanceEndpoint, user: string, hosts: readonly string[], password: string): Promise<void>;
  /** Drops the account on every host; an absent one is not an error. */
  dropAccount(instance: InstanceEndpoint, user: string, hosts: readonly string[]): Promise<void>;
}

/**
 * Why a product operation failed. `Unreachable`: no connection (down,
 * refusing, timed out, lost mid-way). `AccessDenied`: the admin credentials
 * are wrong or lack a right the operation needs. `BadPrivilege`: the database
 * refused a grant (unknown database, table or column). `AccountMissing`: an
 * account the secret owns is gone. `VerifyFailed`: the database does not
 * accept the password just set. `Failed`: any other refusal.
 */
export type ProductErrorKind = "Unreachable" | "AccessDenied" | "BadPrivilege" | "AccountMissing" | "VerifyFailed" | "Failed";

export class ProductError extends Error {
  override readonly name = "ProductError";
  constructor(
    readonly kind: ProductErrorKind,
    /** Safe to store and show: names the instance and what failed, never a password. */
    message: string,
  ) {
    super(message);
  }
}

/**
 * The API 3.0 code an action answers when it must fail synchronously on a
 * ProductError (all are in the SDK's list for CreateProductSecret and
 * RotateProductSecret). A flow that fails in the background answers nothing:
 * DescribeAsyncRequestInfo shows TaskStatus 2 and the message.
 */
export const PRODUCT_ERROR_CODES = {
  Unreachable: "ResourceUnavailable",
  AccessDenied: "FailedOperation",
  BadPrivilege: "InvalidParameterValue",
  AccountMissing: "FailedOperation",
  VerifyFailed: "FailedOperation",
  Failed: "FailedOperation",
} as const satisfies Record<ProductErrorKind, ErrorCode>;

export function productErrorToKms(err: ProductError): KmsError {
  return new KmsError(PRODUCT_ERROR_CODES[err.kind], err.message);
}

// ---- validation of what a caller sends ----------------------------------

/** UserNamePrefix: at most 8 letters, digits and underscores, starting with a letter (the SDK's rule). */
const USER_NAME_PREFIX = /^[A-Za-z][A-Za-z0-9_]{0,7}$/;

export function validateUserNamePrefix(prefix: string): string {
  if (prefix === "") throw new KmsError("MissingParameter", "UserNamePrefix is required");
  if (!USER_NAME_PREFIX.test(prefix))
    throw new KmsError("InvalidParameterValue", "UserNamePrefix must be 1 to 8 letters, digits or underscores, starting with a letter");
  return prefix;
}

export const MAX_DOMAINS = 20;

/**
 * One account host: "%", an exact IPv4 or IPv6 address, or an IPv4 pattern
 * whose trailing parts are "%" ("192.168.0.%", "10.%"). Nothing else, so a
 * host can never carry a quote or a name lookup.
 */
export function validateDomain(domain: string, field: string): string {
  if (domain === "%" || isIP(domain) !== 0) return domain;
  const parts = domain.split(".");
  const wildcardFrom = parts.indexOf("%");
  const ok =
    parts.length >= 2 &&
    parts.length <= 4 &&
    wildcardFrom > 0 &&
    parts.slice(wildcardFrom).every((p) => p === "%") &&
    parts.slice(0, wildcardFrom).every((p) => /^(0|[1-9][0-9]{0,2})$/.test(p) && Number(p) <= 255);
  if (!ok) throw new KmsError("InvalidParameterValue", `${field} must be an IP address, "%", or an IPv4 prefix ending in ".%"`);
  return domain;
}

export function validateDomains(domains: readonly string[]): string[] {
  if (domains.length === 0) throw new KmsError("MissingParameter", "Domains needs at least one host");
  if (domains.length > MAX_DOMAINS) throw new KmsError("InvalidParameterValue", `Domains holds at most ${MAX_DOMAINS} hosts`);
  const out = domains.map((d, i) => validateDomain(d, `Domains.${i}`));
  if (new Set(out).size !== out.length) throw new KmsError("InvalidParameterValue", "Domains has a duplicated host");
  return out;
}

/** Longest database, table or column name (MariaDB and MySQL: 64 characters). */
export const MAX_IDENTIFIER = 64;

/**
 * A database, table or column name: 1 to 64 characters, no control
 * characters, no trailing space (the server refuses them). Quoting is the
 * backend's job; this only rules out what no quoting makes a valid name.
 * Database names also refuse the backslash: it is the escape character of
 * the patterns database-level grants take.
 */
export function validateIdentifier(name: string, field: string, database = false): string {
  if ([...name].length > MAX_IDENTIFIER) throw new KmsError("InvalidParameterValue", `${field} is longer than ${MAX_IDENTIFIER} characters`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw new KmsError("InvalidParameterValue", `${field} must not contain control characters`);
  if (name.endsWith(" ")) throw new KmsError("InvalidParameterValue", `${field} must not end with a space`);
  if (database && name.includes("\\")) throw new KmsError("InvalidParameterValue", `${field} must not contain a backslash`);
  return name;
}

const POSTGRES_ONLY = ["schemaName", "sequenceName", "procedureName", "typeName", "functionName", "viewName", "matviewName"] as const;
const FIELD_NAME: Record<string, string> = {
  database: "Database",
  tableName: "TableName",
  columnName: "ColumnName",
  schemaName: "SchemaName",
  sequenceName: "SequenceName",
  procedureName: "ProcedureName",
  typeName: "TypeName",
  functionName: "FunctionName",
  viewName: "ViewName",
  matviewName: "MatviewName",
};

/** Which identifiers each level needs; every other one must be absent. */
const LEVEL_FIELDS: Record<PrivilegeLevel, readonly ("database" | "tableName" | "columnName")[]> = {
  GlobalPrivileges: [],
  DatabasePrivileges: ["database"],
  TablePrivileges: ["database", "tableName"],
  ColumnPrivileges: ["database", "tableName", "columnName"],
};

export const MAX_PRIVILEGE_UNITS = 50;

/**
 * PrivilegesList → grants, refusing unknown levels, privilege names outside
 * the product's allow-list for that level, duplicates, missing identifiers
 * and identifiers a level does not take. An empty Privileges list grants
 * nothing at that level (the SDK: "not passing it clears the privilege").
 */
export function validatePrivileges(product: ProductBackend, units: readonly ProductPrivilegeUnit[]): PrivilegeGrant[] {
  if (units.length === 0) throw new KmsError("MissingParameter", "PrivilegesList needs at least one entry");
  if (units.length > MAX_PRIVILEGE_UNITS) throw new KmsError("InvalidParameterValue", `PrivilegesList holds at most ${MAX_PRIVILEGE_UNITS} entries`);
  return units.map((unit, i) => validateUnit(product, unit, `PrivilegesList.${i}`));
}

function validateUnit(product: ProductBackend, unit: ProductPrivilegeUnit, at: string): PrivilegeGrant {
  if (unit.privilegeName === "") throw new KmsError("MissingParameter", `${at}.PrivilegeName is required`);
  const allowed = (PRIVILEGE_LEVELS as readonly string[]).includes(unit.privilegeName)
    ? product.privileges[unit.privilegeName as PrivilegeLevel]
    : undefined;
  if (!allowed)
    throw new KmsError(
      "InvalidParameterValue",
      `${at}.PrivilegeName must be one of ${Object.keys(product.privileges).join(", ")} for ${product.name}`,
    );
  const level = unit.privilegeName as PrivilegeLevel;
  for (const f of POSTGRES_ONLY)
    if (present(unit[f])) throw new KmsError("InvalidParameter", `${at}.${FIELD_NAME[f]} is not used by ${product.name}`);
  const needs = LEVEL_FIELDS[level];
  for (const f of ["database", "tableName", "columnName"] as const) {
    if (needs.includes(f) && !present(unit[f])) throw new KmsError("MissingParameter", `${at}.${FIELD_NAME[f]} is required for ${level}`);
    if (!needs.includes(f) && present(unit[f])) throw new KmsError("InvalidParameter", `${at}.${FIELD_NAME[f]} is not used by ${level}`);
  }
  const privileges: string[] = [];
  unit.privileges.forEach((p, j) => {
    if (!allowed.includes(p)) throw new KmsError("InvalidParameterValue", `${at}.Privileges.${j} "${printable(p)}" is not a ${level} privilege of ${product.name}`);
    if (privileges.includes(p)) throw new KmsError("InvalidParameterValue", `${at}.Privileges.${j} "${p}" is duplicated`);
    privileges.push(p);
  });
  const database = () => validateIdentifier(unit.database ?? "", `${at}.Database`, true);
  const table = () => validateIdentifier(unit.tableName ?? "", `${at}.TableName`);
  switch (level) {
    case "GlobalPrivileges":
      return { level, privileges };
    case "DatabasePrivileges":
      return { level, database: database(), privileges };
    case "TablePrivileges":
      return { level, database: database(), table: table(), privileges };
    case "ColumnPrivileges":
      return { level, database: database(), table: table(), column: validateIdentifier(unit.columnName ?? "", `${at}.ColumnName`), privileges };
  }
}

function present(v: string | undefined): boolean {
  return v !== undefined && v !== "";
}

/** A privilege name echoed in an error: cut short and without control characters. */
function printable(s: string): string {
  return s.replace(/[\u0000-\u001f\u007f]/g, "?").slice(0, 40);
}
