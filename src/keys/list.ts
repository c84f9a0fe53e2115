/** Ordering and paging shared by ListKeys and ListKeyDetail. */
import type { KeyRecord } from "./key.js";

/** Newest first (orderType 0) or oldest first (1); ties broken by key id so pages are stable. */
export function sortByCreateTime(keys: KeyRecord[], oldestFirst: boolean): KeyRecord[] {
  const dir = oldestFirst ? 1 : -1;
  return keys.sort((a, b) => (a.createTime - b.createTime) * dir || (a.keyId < b.keyId ? -dir : dir));
}

export function page<T>(items: readonly T[], offset: number, limit: number): T[] {
  return items.slice(offset, offset + limit);
}
