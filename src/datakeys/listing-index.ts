/**
 * The listing index of one (account, region): every data key's summary,
 * oldest first, and beside each a packed code of its state, origin, length
 * and CMK in one Int32Array, so ListDataKeyDetail counts its matches by
 * reading codes rather than objects scattered over the heap (the CMK listing
 * index does the same: src/keys/summary-index.ts). It also counts the data
 * keys that count against the limit (state.ts COUNTED).
 *
 *   code = state (bits 0-1) | origin (bits 2-3) | NumberOfBytes (bits 4-14) | CMK (bits 15-30)
 *
 * CMKs get small ids on first sight; past 65,535 distinct CMKs in one scope
 * the last id is shared, and a query on a shared id checks the summary itself.
 */
import type { DataKeyOrigin, DataKeyRecord, DataKeyState } from "./data-key.js";
import { COUNTED } from "./state.js";

/**
 * What listings filter, order and answer, kept in memory for every data key:
 * the whole record but its sealed ciphertext and encryption context, so a
 * ListDataKeyDetail page is built without reading the store (the page read
 * and its decoding were about 40% of a call at 100,000 data keys).
 */
export type DataKeySummary = Omit<DataKeyRecord, "sealedBlob" | "encryptionContext" | "account" | "region">;

/** One shared string per creator: every parsed record has its own copy, and most data keys share a few creators. */
const creators = new Map<string, string>();
function shared(value: string): string {
  const hit = creators.get(value);
  if (hit !== undefined) return hit;
  creators.set(value, value);
  return value;
}

/** The summary of a record: no ciphertext, so the index keeps nothing secret-adjacent alive. */
export function summaryOf(r: DataKeyRecord): DataKeySummary {
  const s: DataKeySummary = {
    dataKeyId: r.dataKeyId,
    name: r.name,
    description: r.description,
    keyId: r.keyId,
    numberOfBytes: r.numberOfBytes,
    createTime: r.createTime,
    state: r.state,
    origin: r.origin,
    creatorUin: shared(r.creatorUin),
    owner: r.owner,
    tags: r.tags,
  };
  if (r.deletionDate !== undefined) s.deletionDate = r.deletionDate;
  return s;
}

const STATE_CODE: Readonly<Record<DataKeyState, number>> = { Enabled: 1, Disabled: 2, PendingDelete: 3 };
const ORIGIN_CODE: Readonly<Record<DataKeyOrigin, number>> = { TENCENT_KMS: 1, EXTERNAL: 2 };
const STATE_MASK = 0b11;
const ORIGIN_SHIFT = 2;
const ORIGIN_MASK = 0b11 << ORIGIN_SHIFT;
const LENGTH_SHIFT = 4;
const LENGTH_MASK = 0x7ff << LENGTH_SHIFT;
const CMK_SHIFT = 15;
const CMK_MAX = 0xffff;
const CMK_MASK = CMK_MAX << CMK_SHIFT;

function byCreateTime(a: DataKeySummary, b: DataKeySummary): number {
  return a.createTime - b.createTime || (a.dataKeyId < b.dataKeyId ? -1 : a.dataKeyId > b.dataKeyId ? 1 : 0);
}

/** Equality filters on the coded fields (undefined: any), plus a check of the summary itself. */
export interface DataKeyQuery {
  state?: DataKeyState | undefined;
  origin?: DataKeyOrigin | undefined;
  numberOfBytes?: number | undefined;
  keyId?: string | undefined;
  /** Filters the codes do not cover (search, tags). */
  extra?: ((s: DataKeySummary) => boolean) | undefined;
  /** Oldest first when true, newest first otherwise. */
  ascending: boolean;
  offset: number;
  limit: number;
}

export class DataKeyIndex {
  private items: DataKeySummary[] = [];
  private codes = new Int32Array(256);
  private readonly byId = new Map<string, DataKeySummary>();
  private readonly cmkIds = new Map<string, number>();
  private counted = 0;
  /** Data keys per state code, so a page filtered by state alone counts its matches without a pass. */
  private readonly perState = [0, 0, 0, 0];

  /** An index of `list` (any order). */
  static of(list: readonly DataKeySummary[]): DataKeyIndex {
    const index = new DataKeyIndex();
    index.items = [...list].sort(byCreateTime);
    index.codes = new Int32Array(Math.max(256, index.items.length * 2));
    index.items.forEach((s, i) => {
      index.codes[i] = index.codeOf(s);
      index.byId.set(s.dataKeyId, s);
      index.tally(s, 1);
    });
    return index;
  }

  get size(): number {
    return this.items.length;
  }

  /** How many data keys count against the limit. */
  get countedSize(): number {
    return this.counted;
  }

  /** Adds a data key's summary, or replaces the one it had. */
  put(s: DataKeySummary): void {
    const existing = this.byId.get(s.dataKeyId);
    if (existing && existing.createTime === s.createTime) {
      const at = this.locate(existing);
      this.items[at] = s;
      this.codes[at] = this.codeOf(s);
      this.byId.set(s.dataKeyId, s);
      this.tally(existing, -1);
      this.tally(s, 1);
      return;
    }
    if (existing) this.remove(s.dataKeyId);
    const at = this.locate(s);
    if (this.items.length === this.codes.length) {
      const grown = new Int32Array(this.codes.length * 2);
      grown.set(this.codes);
      this.codes = grown;
    }
    this.codes.copyWithin(at + 1, at, this.items.length);
    this.codes[at] = this.codeOf(s);
    this.items.splice(at, 0, s);
    this.byId.set(s.dataKeyId, s);
    this.tally(s, 1);
  }

  remove(dataKeyId: string): void {
    const existing = this.byId.get(dataKeyId);
    if (!existing) return;
    const at = this.locate(existing);
    this.codes.copyWithin(at, at + 1, this.items.length);
    this.items.splice(at, 1);
    this.byId.delete(dataKeyId);
    this.tally(existing, -1);
  }

  private tally(s: DataKeySummary, by: 1 | -1): void {
    if (COUNTED[s.state]) this.counted += by;
    (this.perState[STATE_CODE[s.state]] as number) += by;
  }

  /** The matches at positions offset..offset+limit in the order asked, and how many match in all. */
  page(q: DataKeyQuery): { total: number; page: DataKeySummary[] } {
    const n = this.items.length;
    let mask = 0;
    let want = 0;
    let extra = q.extra;
    if (q.state !== undefined) {
      mask |= STATE_MASK;
      want |= STATE_CODE[q.state];
    }
    if (q.origin !== undefined) {
      mask |= ORIGIN_MASK;
      want |= ORIGIN_CODE[q.origin] << ORIGIN_SHIFT;
    }
    if (q.numberOfBytes !== undefined) {
      mask |= LENGTH_MASK;
      want |= (q.numberOfBytes & 0x7ff) << LENGTH_SHIFT;
    }
    if (q.keyId !== undefined) {
      const id = this.cmkIds.get(q.keyId);
      if (id === undefined) return { total: 0, page: [] };
      mask |= CMK_MASK;
      want |= id << CMK_SHIFT;
      if (id === CMK_MAX) {
        const keyId = q.keyId;
        const inner = extra;
        extra = (s) => s.keyId === keyId && (inner === undefined || inner(s));
      }
    }
    const page: DataKeySummary[] = [];
    if (mask === 0 && extra === undefined) {
      for (let m = q.offset; m < n && page.length < q.limit; m++) page.push(this.items[q.ascending ? m : n - 1 - m] as DataKeySummary);
      return { total: n, page };
    }
    const codes = this.codes;
    if (mask === STATE_MASK && extra === undefined) {
      // State alone: the count is kept, and the pass stops once the page is full.
      for (let m = 0, seen = 0; m < n && page.length < q.limit; m++) {
        const i = q.ascending ? m : n - 1 - m;
        if (((codes[i] as number) & STATE_MASK) !== want) continue;
        if (seen++ >= q.offset) page.push(this.items[i] as DataKeySummary);
      }
      return { total: this.perState[want] as number, page };
    }
    let total = 0;
    for (let m = 0; m < n; m++) {
      const i = q.ascending ? m : n - 1 - m;
      if (((codes[i] as number) & mask) !== want) continue;
      if (extra !== undefined && !extra(this.items[i] as DataKeySummary)) continue;
      if (total >= q.offset && page.length < q.limit) page.push(this.items[i] as DataKeySummary);
      total++;
    }
    return { total, page };
  }

  private cmkCode(keyId: string): number {
    let id = this.cmkIds.get(keyId);
    if (id === undefined) {
      id = Math.min(this.cmkIds.size + 1, CMK_MAX);
      this.cmkIds.set(keyId, id);
    }
    return id;
  }

  private codeOf(s: DataKeySummary): number {
    return STATE_CODE[s.state] | (ORIGIN_CODE[s.origin] << ORIGIN_SHIFT) | ((s.numberOfBytes & 0x7ff) << LENGTH_SHIFT) | (this.cmkCode(s.keyId) << CMK_SHIFT);
  }

  /** Index of the first summary not before `s` (binary search: the list is sorted by byCreateTime). */
  private locate(s: DataKeySummary): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (byCreateTime(this.items[mid] as DataKeySummary, s) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
