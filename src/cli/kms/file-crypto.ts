/**
 * Streaming encryption and decryption over the format of file-format.ts.
 * Both hold at most one chunk of plaintext and two of ciphertext, whatever
 * the size of the stream, and release a chunk's plaintext only once its tag
 * has been checked.
 */
import { CliError, EXIT, VerificationError } from "./errors.js";
import { encodeHeader, FIXED_HEADER_LENGTH, openChunk, parseFixedHeader, sealChunkParts, TAG_LENGTH, type FileHeader } from "./file-format.js";

/** Reads exact byte counts from an async stream of buffers. */
export class ByteReader {
  private readonly pending: Buffer[] = [];
  private buffered = 0;
  private ended = false;
  private readonly source: AsyncIterator<Uint8Array>;

  constructor(source: AsyncIterable<Uint8Array>) {
    this.source = source[Symbol.asyncIterator]();
  }

  /** `n` bytes, or fewer only when the stream ends first; into `target` when given (reused by the caller). */
  async read(n: number, target?: Buffer): Promise<Buffer> {
    while (this.buffered < n && !this.ended) {
      const next = await this.source.next();
      if (next.done) {
        this.ended = true;
        break;
      }
      const b = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
      if (b.length === 0) continue;
      this.pending.push(b);
      this.buffered += b.length;
    }
    const take = Math.min(n, this.buffered);
    const out = target && target.length >= take ? target.subarray(0, take) : Buffer.allocUnsafe(take);
    let filled = 0;
    while (filled < take) {
      const head = this.pending[0]!;
      const part = Math.min(head.length, take - filled);
      head.copy(out, filled, 0, part);
      filled += part;
      if (part === head.length) this.pending.shift();
      else this.pending[0] = head.subarray(part);
    }
    this.buffered -= take;
    return out;
  }

  /** Stops reading (destroys the underlying stream, so stdin does not hold the process open). */
  async close(): Promise<void> {
    this.pending.length = 0;
    this.buffered = 0;
    if (!this.ended) {
      this.ended = true;
      await this.source.return?.();
    }
  }
}

/** Reads and checks the header (before any call to the KMS). */
export async function readHeader(reader: ByteReader): Promise<FileHeader> {
  const fixed = await reader.read(FIXED_HEADER_LENGTH);
  if (fixed.length === 0) throw new VerificationError("not a kms-encrypted file (empty input)");
  const { chunkSize, noncePrefix, wrappedKeyLength } = parseFixedHeader(fixed);
  const wrappedKey = await reader.read(wrappedKeyLength);
  if (wrappedKey.length < wrappedKeyLength) throw new VerificationError("the file ends inside its header (truncated)");
  return encodeHeader(chunkSize, noncePrefix, wrappedKey);
}

/** Counts bytes as they pass (for the progress bar). */
export async function* counted(source: AsyncIterable<Uint8Array>, onBytes: (n: number) => void): AsyncGenerator<Uint8Array> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}

/**
 * The header, then the chunks of `source`. A full chunk is sealed as not
 * final only when more data has arrived; at the end, whatever is held (a
 * full chunk, part of one, or nothing) is sealed as the final chunk.
 */
export async function* encryptChunks(source: AsyncIterable<Uint8Array>, key: Uint8Array, header: FileHeader): AsyncGenerator<Buffer> {
  yield header.bytes;
  const size = header.chunkSize;
  const held = Buffer.allocUnsafe(size);
  let fill = 0;
  let index = 0;
  try {
    for await (const piece of source) {
      let offset = 0;
      while (offset < piece.length) {
        if (fill === size) {
          yield* sealChunkParts(key, header, index++, false, held);
          fill = 0;
        }
        const n = Math.min(size - fill, piece.length - offset);
        held.set(piece.subarray(offset, offset + n), fill);
        fill += n;
        offset += n;
      }
    }
    const [body, tag] = sealChunkParts(key, header, index, true, held.subarray(0, fill));
    if (body.length > 0) yield body;
    yield tag;
  } finally {
    held.fill(0);
  }
}

/**
 * The plaintext of the chunks after the header. A chunk is opened as final
 * only when the data ends right after it; a missing final chunk, data after
 * it, or any altered byte is a VerificationError.
 */
export async function* decryptChunks(reader: ByteReader, key: Uint8Array, header: FileHeader): AsyncGenerator<Buffer> {
  const frame = header.chunkSize + TAG_LENGTH;
  // Two frame buffers, used in turn: a chunk is opened (into new memory) before its buffer is refilled.
  const buffers = [Buffer.allocUnsafe(frame), Buffer.allocUnsafe(frame)] as const;
  let index = 0;
  let current = await reader.read(frame, buffers[0]);
  for (;;) {
    if (current.length < TAG_LENGTH) throw new VerificationError("the file ends before its final chunk (truncated)");
    if (current.length < frame) {
      yield openChunk(key, header, index, true, current);
      return;
    }
    const next = await reader.read(frame, buffers[(index + 1) % 2]);
    if (next.length === 0) {
      yield openChunk(key, header, index, true, current);
      return;
    }
    yield openChunk(key, header, index, false, current);
    current = next;
    index++;
  }
}

/** Drains a generator, keeping nothing: the verification pass before plaintext goes to stdout. */
export async function drain(chunks: AsyncIterable<Buffer>): Promise<void> {
  for await (const c of chunks) c.fill(0);
}

/** Checks a key returned by the KMS before it touches data. */
export function assertDataKey(key: Uint8Array, expected: number): void {
  if (key.length !== expected) throw new CliError(`the KMS returned a ${key.length}-byte data key, expected ${expected}`, EXIT.API);
}
