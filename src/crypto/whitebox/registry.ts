/**
 * The white-box algorithms: one entry per Algorithm value of
 * CreateWhiteBoxKey, each naming its key length, the standard CBC cipher the
 * server encrypts with (EncryptByWhiteBox), and its table construction.
 */
import { generateChowTables } from "./aes-chow.js";
import { encodeAesBody } from "./aes-chow-layout.js";
import type { ExternalEncoding } from "./encodings.js";
import type { Direction, WhiteBoxAlgorithm } from "./format.js";
import type { RandomStream } from "./random-stream.js";
import { generateXiaoLaiTables } from "./sm4-xiao-lai.js";
import { encodeSm4Body } from "./sm4-xiao-lai-layout.js";

export interface ExternalEncodings {
  readonly input: ExternalEncoding;
  readonly output: ExternalEncoding;
}

export interface WhiteBoxConstruction {
  readonly algorithm: WhiteBoxAlgorithm;
  /** Key bytes: 32 for AES-256, 16 for SM4. */
  readonly keyLength: number;
  /** The node:crypto name of the standard cipher in CBC mode. */
  readonly cbcCipher: string;
  /** Same cipher in ECB, for the generator's self-check. */
  readonly ecbCipher: string;
  /** One direction's table body, and the external encodings when asked for. */
  build(key: Uint8Array, direction: Direction, random: RandomStream, external: boolean): { body: Uint8Array; external?: ExternalEncodings };
}

function withExternal(
  body: Uint8Array,
  g: { inputEncoding?: ExternalEncoding; outputEncoding?: ExternalEncoding },
): { body: Uint8Array; external?: ExternalEncodings } {
  return g.inputEncoding && g.outputEncoding ? { body, external: { input: g.inputEncoding, output: g.outputEncoding } } : { body };
}

const aes256: WhiteBoxConstruction = {
  algorithm: "AES_256",
  keyLength: 32,
  cbcCipher: "aes-256-cbc",
  ecbCipher: "aes-256-ecb",
  build(key, direction, random, external) {
    const g = generateChowTables(key, direction, random, { externalInput: external, externalOutput: external });
    return withExternal(encodeAesBody(g.tables), g);
  },
};

const sm4: WhiteBoxConstruction = {
  algorithm: "SM4",
  keyLength: 16,
  cbcCipher: "sm4-cbc",
  ecbCipher: "sm4-ecb",
  build(key, direction, random, external) {
    const g = generateXiaoLaiTables(key, direction, random, { externalInput: external, externalOutput: external });
    return withExternal(encodeSm4Body(g.tables), g);
  },
};

const CONSTRUCTIONS: Readonly<Record<WhiteBoxAlgorithm, WhiteBoxConstruction>> = { AES_256: aes256, SM4: sm4 };

/** The construction for an Algorithm value, or undefined for one we do not offer. */
export function whiteBoxConstruction(algorithm: string): WhiteBoxConstruction | undefined {
  return Object.hasOwn(CONSTRUCTIONS, algorithm) ? CONSTRUCTIONS[algorithm as WhiteBoxAlgorithm] : undefined;
}

export const WHITE_BOX_ALGORITHMS: readonly WhiteBoxAlgorithm[] = Object.keys(CONSTRUCTIONS) as WhiteBoxAlgorithm[];
