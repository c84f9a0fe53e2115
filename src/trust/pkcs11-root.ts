/**
 * The HSM root: a non-extractable AES-256 key inside a PKCS#11 token wraps
 * the keyring with AES-GCM computed by the token (Vault's PKCS#11 auto-unseal
 * does the same), so the root key never exists outside the token: not in the
 * environment, not on disk, not in this process.
 *
 * The key is found by its label and its CKA_ID (the id is recorded in the
 * keyring record, so a second key with the same label is never mistaken for
 * it). On a store without a keyring it is created when KMS_PKCS11_GENERATE_KEY
 * allows, or an existing one with the label is adopted: then it must be
 * sensitive and non-extractable. Rotation creates a new key under the same
 * label with a new id; the old one stays in the token for older backups.
 *
 * pkcs11js is a native module, loaded only when this root is used.
 */
import { readFile } from "node:fs/promises";
import type * as Pkcs11Js from "pkcs11js";
import type { Pkcs11Config } from "../config.js";
import { randomBytes } from "../crypto/random.js";
import { RootUnwrapError, TrustError, type RootOfTrust } from "./root.js";


type Pkcs11Module = typeof Pkcs11Js;
type Handle = Buffer;

const IV = 12;
const TAG = 16;
const KEY_ID_BYTES = 8;

/** One loaded library per path, shared by every root in the process (C_Initialize is per process). */
const loaded = new Map<string, { p11: Pkcs11Js.PKCS11; refs: number }>();

async function loadModule(): Promise<Pkcs11Module> {
  try {
    const mod = (await import("pkcs11js")) as Pkcs11Module & { default?: Pkcs11Module };
    return mod.default ?? mod;
  } catch (err) {
    throw new TrustError(`KMS_SEAL=pkcs11 needs the pkcs11js module (npm ci builds it): ${(err as Error).message}`);
  }
}

function acquire(mod: Pkcs11Module, library: string): Pkcs11Js.PKCS11 {
  const hit = loaded.get(library);
  if (hit) {
    hit.refs++;
    return hit.p11;
  }
  const p11 = new mod.PKCS11();
  try {
    p11.load(library);
  } catch (err) {
    throw new TrustError(`cannot load the PKCS#11 library ${library}: ${(err as Error).message}`);
  }
  try {
    p11.C_Initialize();
  } catch (err) {
    if ((err as { code?: number }).code !== mod.CKR_CRYPTOKI_ALREADY_INITIALIZED) throw new TrustError(`C_Initialize failed: ${(err as Error).message}`);
  }
  loaded.set(library, { p11, refs: 1 });
  return p11;
}

function release(library: string): void {
  const hit = loaded.get(library);
  if (!hit || --hit.refs > 0) return;
  loaded.delete(library);
  try {
    hit.p11.C_Finalize();
  } catch {
    // Finalising is best effort at shutdown.
  }
}

async function readPin(pin: Pkcs11Config["pin"]): Promise<string> {
  if ("value" in pin) return pin.value;
  const text = await readFile(pin.file, "utf8").catch((err: Error) => {
    throw new TrustError(`cannot read KMS_PKCS11_PIN_FILE ${pin.file}: ${err.message}`);
  });
  const first = text.split(/\r?\n/)[0] ?? "";
  if (first === "") throw new TrustError(`KMS_PKCS11_PIN_FILE ${pin.file} is empty`);
  return first;
}

function findSlot(p11: Pkcs11Js.PKCS11, cfg: Pkcs11Config): Handle {
  const slots = p11.C_GetSlotList(true);
  if (cfg.slot !== undefined) {
    const slot = slots.find((s) => s.readUIntLE(0, Math.min(6, s.length)) === cfg.slot);
    if (!slot) throw new TrustError(`no token in PKCS#11 slot ${cfg.slot}`);
    return slot;
  }
  const matching = slots.filter((s) => p11.C_GetTokenInfo(s).label.trimEnd() === cfg.tokenLabel);
  if (matching.length !== 1) throw new TrustError(matching.length === 0 ? `no PKCS#11 token labelled "${cfg.tokenLabel}"` : `${matching.length} PKCS#11 tokens are labelled "${cfg.tokenLabel}": name the slot with KMS_PKCS11_SLOT`);
  return matching[0] as Handle;
}

/** The session and lookups a root needs; one per opened root of trust. */
class Token {
  constructor(
    readonly mod: Pkcs11Module,
    readonly p11: Pkcs11Js.PKCS11,
    readonly session: Handle,
    private readonly library: string,
  ) {}

  findKeys(label: string, id?: Buffer): Handle[] {
    const { mod, p11, session } = this;
    const template: Pkcs11Js.Template = [
      { type: mod.CKA_CLASS, value: mod.CKO_SECRET_KEY },
      { type: mod.CKA_LABEL, value: label },
      ...(id ? [{ type: mod.CKA_ID, value: id }] : []),
    ];
    p11.C_FindObjectsInit(session, template);
    try {
      return p11.C_FindObjects(session, 16);
    } finally {
      p11.C_FindObjectsFinal(session);
    }
  }

  /** Refuses a key that could leave the token or is not an AES key for encryption. */
  assertProtected(key: Handle, label: string): Buffer {
    const { mod, p11, session } = this;
    const attrs = p11.C_GetAttributeValue(session, key, [
      { type: mod.CKA_KEY_TYPE },
      { type: mod.CKA_EXTRACTABLE },
      { type: mod.CKA_SENSITIVE },
      { type: mod.CKA_ENCRYPT },
      { type: mod.CKA_DECRYPT },
      { type: mod.CKA_ID },
    ]);
    const value = (i: number) => attrs[i]?.value as Buffer | undefined;
    const flag = (i: number) => (value(i)?.[0] ?? 0) !== 0;
    const keyType = value(0)?.readUIntLE(0, Math.min(6, value(0)?.length ?? 0));
    if (keyType !== mod.CKK_AES) throw new TrustError(`the PKCS#11 key "${label}" is not an AES key`);
    if (flag(1) || !flag(2)) throw new TrustError(`the PKCS#11 key "${label}" can be extracted from the token (CKA_EXTRACTABLE or not CKA_SENSITIVE): refusing it as the root of trust`);
    if (!flag(3) || !flag(4)) throw new TrustError(`the PKCS#11 key "${label}" does not allow encrypt and decrypt`);
    return Buffer.from(value(5) ?? Buffer.alloc(0));
  }

  generateKey(label: string): { key: Handle; id: Buffer } {
    const { mod, p11, session } = this;
    const id = Buffer.from(randomBytes(KEY_ID_BYTES));
    const key = p11.C_GenerateKey(session, { mechanism: mod.CKM_AES_KEY_GEN }, [
      { type: mod.CKA_CLASS, value: mod.CKO_SECRET_KEY },
      { type: mod.CKA_KEY_TYPE, value: mod.CKK_AES },
      { type: mod.CKA_VALUE_LEN, value: 32 },
      { type: mod.CKA_TOKEN, value: true },
      { type: mod.CKA_PRIVATE, value: true },
      { type: mod.CKA_SENSITIVE, value: true },
      { type: mod.CKA_EXTRACTABLE, value: false },
      { type: mod.CKA_ENCRYPT, value: true },
      { type: mod.CKA_DECRYPT, value: true },
      { type: mod.CKA_WRAP, value: false },
      { type: mod.CKA_UNWRAP, value: false },
      { type: mod.CKA_LABEL, value: label },
      { type: mod.CKA_ID, value: id },
    ]);
    return { key, id };
  }

  gcm(iv: Buffer, aad: Uint8Array): Pkcs11Js.Mechanism {
    const { mod } = this;
    return { mechanism: mod.CKM_AES_GCM, parameter: { type: mod.CK_PARAMS_AES_GCM, iv, aad: Buffer.from(aad), ivBits: IV * 8, tagBits: TAG * 8 } as Pkcs11Js.AesGCM };
  }

  close(): void {
    try {
      this.p11.C_CloseSession(this.session);
    } catch {
      // The library may already be finalised by a failed start.
    }
    release(this.library);
  }
}

export interface Pkcs11Root extends RootOfTrust {
  readonly params: { mode: "pkcs11"; keyLabel: string; keyId: string };
  /** A new key in the token under the same label (the old one is kept). The returned root shares this one's session. */
  rotate(): Pkcs11Root;
  /**
   * The root over another key of the token with the same label, by its id
   * (the key another replica's rotate() made: a replica follows a root
   * rotation this way). Shares this one's session; TrustError when the token
   * holds no such key, or one that could leave it.
   */
  withKeyId(keyId: string): Pkcs11Root;
}

function rootOver(token: Token, key: Handle, label: string, id: Buffer, owner: { open: number }): Pkcs11Root {
  const { p11, session } = token;
  return {
    params: { mode: "pkcs11", keyLabel: label, keyId: id.toString("hex") },
    async wrap(plaintext, aad) {
      const iv = Buffer.from(randomBytes(IV));
      p11.C_EncryptInit(session, token.gcm(iv, aad), key);
      const out = p11.C_Encrypt(session, Buffer.from(plaintext), Buffer.alloc(plaintext.length + TAG));
      return Buffer.concat([iv, out]);
    },
    async unwrap(wrapped, aad) {
      if (wrapped.length < IV + TAG) throw new RootUnwrapError("the wrapped keyring is truncated");
      const iv = Buffer.from(wrapped.subarray(0, IV));
      try {
        p11.C_DecryptInit(session, token.gcm(iv, aad), key);
        return p11.C_Decrypt(session, Buffer.from(wrapped.subarray(IV)), Buffer.alloc(wrapped.length));
      } catch (err) {
        // The token reports a bad tag in its own way (SoftHSM2: CKR_GENERAL_ERROR); any failure here means "did not unwrap".
        throw new RootUnwrapError(`the keyring does not unwrap under the HSM key "${label}" (${(err as Error).message})`);
      }
    },
    rotate() {
      const fresh = token.generateKey(label);
      owner.open++;
      return rootOver(token, fresh.key, label, fresh.id, owner);
    },
    withKeyId(keyId) {
      const wanted = Buffer.from(keyId, "hex");
      const found = token.findKeys(label, wanted);
      if (found.length !== 1) throw new TrustError(`the token holds ${found.length} keys labelled "${label}" with id ${keyId}`);
      const other = found[0] as Handle;
      token.assertProtected(other, label);
      owner.open++;
      return rootOver(token, other, label, wanted, owner);
    },
    async close() {
      if (--owner.open === 0) token.close();
    },
  };
}

export interface OpenPkcs11Options {
  /** The key the keyring record names; absent on a store without a keyring. */
  keyId: string | undefined;
  /** A store without a keyring may adopt or (with generateKey) create the key. */
  mayCreate: boolean;
  log: (msg: string) => void;
}

/** Opens the token, logs in and finds (or creates) the root key. */
export async function openPkcs11Root(cfg: Pkcs11Config, opts: OpenPkcs11Options): Promise<Pkcs11Root> {
  const mod = await loadModule();
  const pin = await readPin(cfg.pin);
  const p11 = acquire(mod, cfg.library);
  let token: Token | undefined;
  try {
    const slot = findSlot(p11, cfg);
    const session = p11.C_OpenSession(slot, mod.CKF_SERIAL_SESSION | mod.CKF_RW_SESSION);
    token = new Token(mod, p11, session, cfg.library);
    try {
      p11.C_Login(session, mod.CKU_USER, pin);
    } catch (err) {
      if ((err as { code?: number }).code !== mod.CKR_USER_ALREADY_LOGGED_IN) throw new TrustError(`PKCS#11 login failed: ${(err as Error).message}`);
    }
    const wantId = opts.keyId === undefined ? undefined : Buffer.from(opts.keyId, "hex");
    const found = token.findKeys(cfg.keyLabel, wantId);
    let key: Handle;
    let id: Buffer;
    if (found.length === 1) {
      key = found[0] as Handle;
      id = token.assertProtected(key, cfg.keyLabel);
    } else if (found.length > 1) {
      throw new TrustError(`${found.length} keys in the token are labelled "${cfg.keyLabel}"${wantId ? ` with id ${opts.keyId}` : ""}: cannot tell which is the root`);
    } else if (wantId) {
      throw new TrustError(`the token holds no key labelled "${cfg.keyLabel}" with id ${opts.keyId}, which wraps this store's keyring`);
    } else if (opts.mayCreate && cfg.generateKey) {
      ({ key, id } = token.generateKey(cfg.keyLabel));
      opts.log(`kms: created the root key "${cfg.keyLabel}" (id ${id.toString("hex")}) in the PKCS#11 token: non-extractable, it never leaves the token`);
    } else {
      throw new TrustError(`the token holds no key labelled "${cfg.keyLabel}": create one, or set KMS_PKCS11_GENERATE_KEY=true to let the first start create it`);
    }
    return rootOver(token, key, cfg.keyLabel, id, { open: 1 });
  } catch (err) {
    if (token) token.close();
    else release(cfg.library);
    if (err instanceof TrustError) throw err;
    throw new TrustError(`PKCS#11: ${(err as Error).message}`);
  }
}
