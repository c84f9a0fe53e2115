/**
 * Database instances an administrator registers so product secrets can be
 * bound to them (CreateProductSecret's InstanceID). A record names where the
 * instance listens and its admin account; the admin password is sealed under
 * the root key, bound by its label to the account, region, instance and admin
 * user, and is unsealed only in memory for the length of an operation.
 * Instance ids are chosen by the administrator and unique per (account, region).
 */
import { isIP } from "node:net";
import { KmsError } from "../../errors.js";
import type { RootKey } from "../../crypto/seal.js";
import { absent, GuardedReads } from "../../store/guarded.js";
import type { BatchOp, Guard, KvStore } from "../../store/store.js";
import { productKeys } from "./keyspace.js";
import type { InstanceEndpoint } from "./product.js";
import { productOf, type ProductRegistry } from "./registry.js";
import { decodeRecord, encodeRecord } from "../../store/record-codec.js";

/** Account (uin, as a decimal string) and region every record is scoped to. */
export interface Scope {
  uin: string;
  region: string;
}

export function scopeOf(call: { uin: bigint; region: string }): Scope {
  return { uin: call.uin.toString(), region: call.region };
}

export interface InstanceRecord {
  instanceId: string;
  uin: string;
  region: string;
  /** ProductName of the registry ("Mysql"). */
  product: string;
  host: string;
  port: number;
  adminUser: string;
  /** RootKey.seal(admin password, adminPasswordLabel(...)), base64. */
  adminPasswordSealed: string;
  description: string;
  createTime: number;
  updateTime: number;
  /**
   * Product secrets bound to it since it was (re-)registered: a change
   * counter, bumped by every CreateProductSecret in the batch that binds, so
   * a deregistration guarded by the record it read (on another replica) is
   * refused by the store when a secret was bound meanwhile.
   */
  binds?: number;
}

/** What an administrator sends to register (or re-register) an instance. */
export interface RegisterInstanceInput {
  instanceId: string;
  product: string;
  host: string;
  port: number;
  adminUser: string;
  adminPassword: string;
  description?: string;
}

const INSTANCE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const HOSTNAME = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const MAX_ADMIN_PASSWORD = 256;
const MAX_DESCRIPTION = 2048;

/** The seal label of an instance's admin password: its place and the account it opens. */
export function adminPasswordLabel(uin: string, region: string, instanceId: string, adminUser: string): string {
  return `kms/v1/secrets-products/instance/${uin}/${region}/${instanceId}/admin/${adminUser}`;
}

export function validateInstanceId(instanceId: string): string {
  if (instanceId === "") throw new KmsError("MissingParameter", "InstanceID is required");
  if (!INSTANCE_ID.test(instanceId))
    throw new KmsError("InvalidParameterValue", "InstanceID must be 1 to 64 letters, digits, '-' or '_', starting with a letter or digit");
  return instanceId;
}

/** Checks every field; nothing is stored or sealed when one is refused. */
export function validateInstanceInput(input: RegisterInstanceInput, products: ProductRegistry): RegisterInstanceInput {
  validateInstanceId(input.instanceId);
  productOf(products, input.product);
  if (input.host === "") throw new KmsError("MissingParameter", "Host is required");
  if (isIP(input.host) === 0 && !HOSTNAME.test(input.host)) throw new KmsError("InvalidParameterValue", "Host must be an IP address or a DNS name");
  if (!Number.isInteger(input.port) || input.port < 1 || input.port > 65535) throw new KmsError("InvalidParameterValue", "Port must be 1 to 65535");
  if (input.adminUser === "") throw new KmsError("MissingParameter", "AdminUser is required");
  if ([...input.adminUser].length > 80 || /[\u0000-\u001f\u007f'"\\`/]/.test(input.adminUser))
    throw new KmsError("InvalidParameterValue", "AdminUser must be at most 80 characters, without quotes, slashes or control characters");
  if (input.adminPassword === "") throw new KmsError("MissingParameter", "AdminPassword is required");
  if ([...input.adminPassword].length > MAX_ADMIN_PASSWORD || input.adminPassword.includes("\u0000"))
    throw new KmsError("InvalidParameterValue", `AdminPassword must be at most ${MAX_ADMIN_PASSWORD} characters, without NUL`);
  if ((input.description ?? "").length > MAX_DESCRIPTION) throw new KmsError("InvalidParameterValue", `Description is longer than ${MAX_DESCRIPTION} characters`);
  return input;
}

/** A validated registration → the record to store, its admin password sealed. Keeps the creation time of the record it replaces. */
export function buildInstanceRecord(
  input: RegisterInstanceInput,
  scope: Scope,
  rootKey: RootKey,
  products: ProductRegistry,
  nowMs: number,
  existing?: InstanceRecord,
): InstanceRecord {
  validateInstanceInput(input, products);
  const label = adminPasswordLabel(scope.uin, scope.region, input.instanceId, input.adminUser);
  return {
    instanceId: input.instanceId,
    uin: scope.uin,
    region: scope.region,
    product: input.product,
    host: input.host,
    port: input.port,
    adminUser: input.adminUser,
    adminPasswordSealed: Buffer.from(rootKey.seal(Buffer.from(input.adminPassword, "utf8"), label)).toString("base64"),
    description: input.description ?? "",
    createTime: existing?.createTime ?? nowMs,
    updateTime: nowMs,
  };
}

/** The record with its admin password unsealed, for one operation; never stored or logged. */
export function endpointOf(record: InstanceRecord, rootKey: RootKey): InstanceEndpoint {
  const label = adminPasswordLabel(record.uin, record.region, record.instanceId, record.adminUser);
  return {
    instanceId: record.instanceId,
    host: record.host,
    port: record.port,
    adminUser: record.adminUser,
    adminPassword: Buffer.from(rootKey.unseal(Buffer.from(record.adminPasswordSealed, "base64"), label)).toString("utf8"),
  };
}

/** What a caller may see of an instance: everything but the sealed password. */
export function presentInstance(record: InstanceRecord): Omit<InstanceRecord, "adminPasswordSealed"> {
  const { adminPasswordSealed: _sealed, ...shown } = record;
  return shown;
}




export class InstanceRepository {
  /** The stored bytes of each record read, for guardOf. */
  private readonly reads = new GuardedReads<InstanceRecord>();

  constructor(private readonly store: KvStore) {}

  /** The guard of a change based on `record` as read here. */
  guardOf(record: InstanceRecord): Guard {
    return this.reads.guardOf(record, `instance ${record.instanceId}`);
  }

  /** The guard of an instance about to be registered: none may be stored under its id yet. */
  absent(scope: Scope, instanceId: string): Guard {
    return absent(productKeys.instance(scope.uin, scope.region, instanceId));
  }

  /** The instance of that id in the scope, or ResourceNotFound (also for another account's or region's instance). */
  async get(scope: Scope, instanceId: string): Promise<InstanceRecord> {
    const found = await this.find(scope, instanceId);
    if (!found) throw new KmsError("ResourceNotFound", `InstanceID ${instanceId} is not a registered instance`);
    return found;
  }

  async find(scope: Scope, instanceId: string): Promise<InstanceRecord | undefined> {
    validateInstanceId(instanceId);
    const key = productKeys.instance(scope.uin, scope.region, instanceId);
    const bytes = await this.store.get(key);
    if (!bytes) return undefined;
    const record = this.reads.remember(decodeRecord<InstanceRecord>(bytes, `instance ${instanceId}`), key, bytes);
    return record.uin === scope.uin && record.region === scope.region ? record : undefined;
  }

  async list(scope: Scope): Promise<InstanceRecord[]> {
    const out: InstanceRecord[] = [];
    for await (const [key, bytes] of this.store.scan({ prefix: productKeys.instancesPrefix(scope.uin, scope.region) }))
      out.push(decodeRecord<InstanceRecord>(bytes, key));
    return out;
  }

  put(record: InstanceRecord): BatchOp {
    return { type: "put", key: productKeys.instance(record.uin, record.region, record.instanceId), value: encodeRecord(record) };
  }

  del(scope: Scope, instanceId: string): BatchOp {
    return { type: "del", key: productKeys.instance(scope.uin, scope.region, instanceId) };
  }
}
