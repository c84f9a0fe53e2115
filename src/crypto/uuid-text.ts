/** A UUID's 16 bytes as its text form (lower-case hex, 8-4-4-4-12). */

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/**
 * The UUID text of `b[at .. at + 16]`. On the paths every Decrypt and
 * every call takes (a blob's key id, request ids): a table lookup per byte,
 * where Buffer's hex encoding and slicing cost several allocations.
 */
export function uuidText(b: Uint8Array, at: number): string {
  // Written out: with a helper closure per byte it measured twice as slow.
  return (
    HEX[b[at] as number]! + HEX[b[at + 1] as number] + HEX[b[at + 2] as number] + HEX[b[at + 3] as number] + "-" +
    HEX[b[at + 4] as number] + HEX[b[at + 5] as number] + "-" +
    HEX[b[at + 6] as number] + HEX[b[at + 7] as number] + "-" +
    HEX[b[at + 8] as number] + HEX[b[at + 9] as number] + "-" +
    HEX[b[at + 10] as number] + HEX[b[at + 11] as number] + HEX[b[at + 12] as number] + HEX[b[at + 13] as number] + HEX[b[at + 14] as number] + HEX[b[at + 15] as number]
  );
}
