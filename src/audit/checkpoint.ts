/**
 * Signed checkpoints of the audit chain head, kept outside the data
 * directory, so that cutting the log short (deleting the newest events and
 * rewinding the head) or wiping it is caught by whoever verifies against
 * them: the chain alone cannot tell a shorter valid chain from a cut one.
 *
 * One checkpoint is one line of JSON, appended to KMS_AUDIT_CHECKPOINT_FILE
 * (and/or written to the log):
 *
 *   {"v":1,"seq":<head seq>,"mac":"<head MAC hex>","time":<ms>,"key":"<Ed25519 public key, base64>","sig":"<base64>"}
 *
 * signed over "kms-audit-checkpoint\nv1\n<seq>\n<mac>\n<time>" with an
 * Ed25519 key whose private half is sealed in the store (rewrapped by keyring
 * rotations like any sealed record). Anyone can check a line with the public
 * key it names; the verifier also requires that key to be the store's, so a
 * log wiped and restarted (new keys) does not pass for the old one.
 *
 * Written every `everyEvents` events, every `intervalMs` when the head moved,
 * and at shutdown; each append is fsync'd. Off the commit path: a failed
 * append is logged, never fails a call.
 *
 * With replicas each chain has its own checkpoints, naming it (version 2):
 *
 *   {"v":2,"chain":"<replica id>","seq":...,"mac":...,"time":...,"key":...,"sig":...}
 *
 * signed over "kms-audit-checkpoint\nv2\n<chain>\n<seq>\n<mac>\n<time>", so a
 * checkpoint of one chain cannot be passed off as another's.
 */
import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { open, readFile } from "node:fs/promises";
import type { RootKey } from "../crypto/seal.js";
import { KmsError } from "../errors.js";
import type { Logger } from "../log.js";
import { keyspace } from "../store/keyspace.js";
import type { KvStore } from "../store/store.js";
import { rawSealedKind, type SealedRecordKind } from "../crypto/sealed-records.js";
import type { ChainHead } from "./chain.js";

export const CHECKPOINT_KEY_LABEL = "kms/v1/audit-checkpoint-key";
export const CHECKPOINT_KEY_STORE_KEY = keyspace.meta("audit-checkpoint-key");
/** DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw key is the 32 bytes after it. */
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");
const MAC_HEX = /^[0-9a-f]{64}$/;

export interface Checkpoint extends ChainHead {
  /** The replica chain it belongs to; absent for the store's one chain (version 1 lines). */
  chain?: string;
  /** ms since epoch */
  time: number;
  /** Raw Ed25519 public key, base64. */
  key: string;
  sig: string;
}

export interface CheckpointSigner {
  /** Raw public key, base64. */
  publicKey: string;
  sign(head: ChainHead, time: number, chain?: string): Checkpoint;
}

function message(seq: number, mac: string, time: number, chain: string | undefined): Buffer {
  if (chain !== undefined) return Buffer.from(`kms-audit-checkpoint\nv2\n${chain}\n${seq}\n${mac}\n${time}`, "utf8");
  return Buffer.from(`kms-audit-checkpoint\nv1\n${seq}\n${mac}\n${time}`, "utf8");
}

function rawPublicKey(key: KeyObject): string {
  return (createPublicKey(key).export({ format: "der", type: "spki" }) as Buffer).subarray(SPKI_PREFIX.length).toString("base64");
}

function publicKeyObject(raw: string): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, Buffer.from(raw, "base64")]), format: "der", type: "spki" });
}

function signerOf(privateKey: KeyObject): CheckpointSigner {
  const publicKey = rawPublicKey(privateKey);
  return {
    publicKey,
    sign(head, time, chain) {
      const sig = sign(null, message(head.seq, head.mac, time, chain), privateKey).toString("base64");
      return { ...(chain !== undefined ? { chain } : {}), seq: head.seq, mac: head.mac, time, key: publicKey, sig };
    },
  };
}

function unsealSigner(rootKey: RootKey, sealed: Uint8Array): CheckpointSigner {
  let der: Uint8Array;
  try {
    der = rootKey.unseal(sealed, CHECKPOINT_KEY_LABEL);
  } catch (err) {
    throw new KmsError("InternalError", "the audit checkpoint key does not unseal: wrong root key or corrupted storage", err);
  }
  const signer = signerOf(createPrivateKey({ key: Buffer.from(der), format: "der", type: "pkcs8" }));
  der.fill(0);
  return signer;
}

/** The store's checkpoint signer, created on first use. */
export async function loadOrCreateCheckpointSigner(store: KvStore, rootKey: RootKey): Promise<CheckpointSigner> {
  const sealed = await store.get(CHECKPOINT_KEY_STORE_KEY);
  if (sealed !== undefined) return unsealSigner(rootKey, sealed);
  // A new key beside older checkpoints is what a wipe looks like: the verifier reports it, so creating one is safe.
  const { privateKey } = generateKeyPairSync("ed25519");
  const der = privateKey.export({ format: "der", type: "pkcs8" });
  await store.batch([{ type: "put", key: CHECKPOINT_KEY_STORE_KEY, value: rootKey.seal(der, CHECKPOINT_KEY_LABEL) }]);
  der.fill(0);
  return signerOf(privateKey);
}

/** The store's checkpoint public key (offline verification); undefined when the store never made checkpoints. */
export async function storedCheckpointKey(store: KvStore, rootKey: RootKey): Promise<string | undefined> {
  const sealed = await store.get(CHECKPOINT_KEY_STORE_KEY);
  return sealed === undefined ? undefined : unsealSigner(rootKey, sealed).publicKey;
}

/** The sealed record kind of the checkpoint key, for keyring rotations. */
export function checkpointKeySealedKind(): SealedRecordKind {
  return rawSealedKind("audit-checkpoint-key", CHECKPOINT_KEY_STORE_KEY, CHECKPOINT_KEY_LABEL);
}

export function encodeCheckpoint(c: Checkpoint): string {
  if (c.chain !== undefined) return JSON.stringify({ v: 2, chain: c.chain, seq: c.seq, mac: c.mac, time: c.time, key: c.key, sig: c.sig });
  return JSON.stringify({ v: 1, seq: c.seq, mac: c.mac, time: c.time, key: c.key, sig: c.sig });
}

/** The checkpoints of one chain (LEGACY_CHAIN: the version 1 lines). */
export function checkpointsOf(set: CheckpointSet, chain: string, legacyChain: string): CheckpointSet {
  return { valid: set.valid.filter((c) => (c.chain ?? legacyChain) === chain), rejected: set.rejected };
}

/** What a checkpoint file holds, once every line is checked. */
export interface CheckpointSet {
  /** Lines whose signature verifies under the key they name, by seq (the newest per seq wins). */
  valid: Checkpoint[];
  /** Lines that are not checkpoints, or whose signature fails: reported, never trusted. */
  rejected: number;
}

/**
 * Parses checkpoint lines: a file of them, or a log whose lines carry one
 * (the JSON from the first "{"). Signatures are checked here.
 */
export function parseCheckpoints(text: string): CheckpointSet {
  const valid: Checkpoint[] = [];
  let rejected = 0;
  for (const raw of text.split("\n")) {
    const v1 = raw.indexOf('{"v":1,');
    const brace = v1 >= 0 ? v1 : raw.indexOf('{"v":2,');
    if (brace < 0) {
      if (raw.trim() !== "" && raw.includes("audit checkpoint")) rejected++;
      continue;
    }
    const c = parseLine(raw.slice(brace));
    if (c) valid.push(c);
    else rejected++;
  }
  valid.sort((a, b) => a.seq - b.seq || a.time - b.time);
  return { valid, rejected };
}

function parseLine(line: string): Checkpoint | undefined {
  let p: Partial<Record<keyof Checkpoint | "v", unknown>>;
  try {
    p = JSON.parse(line) as typeof p;
  } catch {
    return undefined;
  }
  if ((p.v !== 1 && p.v !== 2) || !Number.isSafeInteger(p.seq) || (p.seq as number) < 0 || typeof p.mac !== "string" || !MAC_HEX.test(p.mac) || !Number.isSafeInteger(p.time) || typeof p.key !== "string" || typeof p.sig !== "string")
    return undefined;
  if (p.v === 2 && (typeof p.chain !== "string" || p.chain === "")) return undefined;
  const chain = p.v === 2 ? (p.chain as string) : undefined;
  const c: Checkpoint = { ...(chain !== undefined ? { chain } : {}), seq: p.seq as number, mac: p.mac, time: p.time as number, key: p.key, sig: p.sig };
  try {
    if (Buffer.from(c.key, "base64").length !== 32) return undefined;
    return verify(null, message(c.seq, c.mac, c.time, chain), publicKeyObject(c.key), Buffer.from(c.sig, "base64")) ? c : undefined;
  } catch {
    return undefined;
  }
}

export async function readCheckpointFile(file: string): Promise<CheckpointSet> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { valid: [], rejected: 0 };
    throw err;
  }
  return parseCheckpoints(text);
}

export interface CheckpointerOptions {
  /** The replica chain checkpointed (absent: the store's one chain, version 1 lines). */
  chain?: string;
  file: string | undefined;
  /** Also log each line. */
  logLines: boolean;
  everyEvents: number;
  intervalMs: number;
  now: () => number;
  log: Logger;
}

/** Writes checkpoints as the head moves; one append at a time. */
export class Checkpointer {
  private head: ChainHead | undefined;
  private written: ChainHead | undefined;
  private timer: NodeJS.Timeout | undefined;
  private tail: Promise<void> = Promise.resolve();
  private failures = 0;

  constructor(
    private readonly signer: CheckpointSigner,
    private readonly opts: CheckpointerOptions,
    initial: ChainHead | undefined,
  ) {
    this.head = initial;
    this.timer = setInterval(() => void this.checkpoint(), opts.intervalMs);
    this.timer.unref();
  }

  /** The chain's durable head moved (called after each commit). */
  advance(head: ChainHead): void {
    this.head = head;
    if (head.seq - (this.written?.seq ?? 0) >= this.opts.everyEvents) void this.checkpoint();
  }

  /** Writes a checkpoint now if the head moved since the last one. */
  checkpoint(): Promise<void> {
    const run = this.tail.then(() => this.write());
    this.tail = run;
    return run;
  }

  /** The last checkpoint (at shutdown), then no more. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checkpoint();
  }

  private async write(): Promise<void> {
    const head = this.head;
    if (!head || head.seq === 0 || (this.written && this.written.seq === head.seq)) return;
    const line = encodeCheckpoint(this.signer.sign(head, this.opts.now(), this.opts.chain));
    try {
      if (this.opts.file) {
        const fh = await open(this.opts.file, "a", 0o600);
        try {
          await fh.appendFile(`${line}\n`, "utf8");
          await fh.datasync();
        } finally {
          await fh.close();
        }
      }
      if (this.opts.logLines) this.opts.log.info(`kms: audit checkpoint ${line}`);
      this.written = head;
    } catch (err) {
      if (this.failures++ % 100 === 0) this.opts.log.error(`kms: cannot write the audit checkpoint to ${this.opts.file} (${this.failures} failure(s) so far)`, err);
    }
  }
}
