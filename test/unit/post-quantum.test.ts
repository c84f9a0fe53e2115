/**
 * ML-KEM-768 hybrid encryption and ML-DSA-65 signatures: round trips, the DER
 * SPKI byte by byte, tampering in every region, and one NIST ACVP keyGen
 * known answer each.
 */
import { sha3_256, shake256 } from "@noble/hashes/sha3.js";
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { ml_dsa65 } from "@noble/post-quantum/ml-dsa.js";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { describe, expect, it } from "vitest";
import { aes256Gcm } from "../../src/crypto/aes-256-gcm.js";
import {
  createMlDsaSigner,
  createMlDsaVerifier,
  deriveMlDsa65PublicKeySpki,
  generateMlDsa65,
  ML_DSA_65_SIGNATURE_LENGTH,
  parseMlDsaPublicKey,
} from "../../src/crypto/asymmetric/ml-dsa.js";
import {
  createMlKemDecrypter,
  createMlKemEncrypter,
  deriveMlKem768PublicKeySpki,
  generateMlKem768,
  ML_KEM_HYBRID_OVERHEAD,
  parseMlKemPublicKey,
} from "../../src/crypto/asymmetric/ml-kem.js";
import { encodeDerLength, encodeOidContent } from "../../src/crypto/asymmetric/pq-spki.js";
import { AsymmetricInputError } from "../../src/crypto/asymmetric/types.js";

const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** A copy with one bit flipped at `index` (negative counts from the end). */
function flip(bytes: Uint8Array, index: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  const at = index < 0 ? out.length + index : index;
  out[at] = (out[at] ?? 0) ^ 0x01;
  return out;
}

function expectDecryptionFailure(run: () => unknown): void {
  let caught: unknown;
  try {
    run();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(AsymmetricInputError);
  expect((caught as Error).message).toBe("decryption failed");
}

// Both SPKI headers worked out by hand from the DER rules:
//   30 82 LL LL            SEQUENCE, 2-byte long-form length
//     30 0b                  SEQUENCE (AlgorithmIdentifier), 11 bytes
//       06 09 <9 bytes>        OBJECT IDENTIFIER, no parameters
//     03 82 LL LL 00         BIT STRING, 0 unused bits, then the key
// ML-KEM-768: key 1184, BIT STRING content 1185 = 0x04a1, outer 13 + 4 + 1185 = 1202 = 0x04b2.
const ML_KEM_768_SPKI_PREFIX = "308204b2" + "300b" + "0609" + "608648016503040402" + "038204a1" + "00";
// ML-DSA-65: key 1952, BIT STRING content 1953 = 0x07a1, outer 13 + 4 + 1953 = 1970 = 0x07b2.
const ML_DSA_65_SPKI_PREFIX = "308207b2" + "300b" + "0609" + "608648016503040312" + "038207a1" + "00";

describe("DER helpers", () => {
  it("encode the two OIDs", () => {
    // 2.16.840.1.101.3.4 = 60 86 48 01 65 03 04 (2*40+16 = 96 = 0x60; 840 = 0x86 0x48).
    expect(toHex(encodeOidContent("2.16.840.1.101.3.4.4.2"))).toBe("608648016503040402");
    expect(toHex(encodeOidContent("2.16.840.1.101.3.4.3.18"))).toBe("608648016503040312");
  });

  it("encode lengths minimally", () => {
    expect(toHex(encodeDerLength(0))).toBe("00");
    expect(toHex(encodeDerLength(127))).toBe("7f");
    expect(toHex(encodeDerLength(128))).toBe("8180");
    expect(toHex(encodeDerLength(255))).toBe("81ff");
    expect(toHex(encodeDerLength(256))).toBe("820100");
    expect(toHex(encodeDerLength(1970))).toBe("8207b2");
  });
});

describe("ML-KEM-768 keys", () => {
  it("private key is the 64-byte seed; SPKI is the fixed 22-byte header then the 1184-byte key", () => {
    const { privateKey, publicKeySpki } = generateMlKem768();
    expect(privateKey.length).toBe(64);
    expect(publicKeySpki.length).toBe(1206);
    expect(toHex(publicKeySpki.subarray(0, 22))).toBe(ML_KEM_768_SPKI_PREFIX);
    const key = parseMlKemPublicKey(publicKeySpki);
    expect(key.length).toBe(1184);
    expect(toHex(key)).toBe(toHex(publicKeySpki.subarray(22)));
    // The key in the SPKI is the library's encapsulation key for this seed.
    expect(toHex(key)).toBe(toHex(ml_kem768.keygen(privateKey).publicKey));
  });

  it("keygen from seed is deterministic", () => {
    const seed = new Uint8Array(64).fill(7);
    expect(toHex(deriveMlKem768PublicKeySpki(seed))).toBe(toHex(deriveMlKem768PublicKeySpki(seed)));
    const other = Uint8Array.from(seed);
    other[63] = 8; // z only: same ek (z is the implicit-rejection secret)
    expect(toHex(deriveMlKem768PublicKeySpki(other))).toBe(toHex(deriveMlKem768PublicKeySpki(seed)));
    other[0] = 8; // d: a different key
    expect(toHex(deriveMlKem768PublicKeySpki(other))).not.toBe(toHex(deriveMlKem768PublicKeySpki(seed)));
    const pair = generateMlKem768();
    expect(toHex(deriveMlKem768PublicKeySpki(pair.privateKey))).toBe(toHex(pair.publicKeySpki));
  });

  it("NIST ACVP ML-KEM-keyGen-FIPS203 tcId 26 (ML-KEM-768) reproduces exactly", () => {
    // usnistgov/ACVP-Server gen-val/json-files/ML-KEM-keyGen-FIPS203, commit a9496ad1 (vsId 42).
    const d = "706D0283EC389266E596018FEB19E8DACCC5E72E47E2ACC8E5240A81298E5DD1";
    const z = "C15B8C9B80FA3920FC873937A3CD2CF4F5418327986AB8FC09827E25588FED1E";
    const ek =
      "133878D73B12EDF2579F324BF9C073D58CAD37A4CE2B6B5FB2146A94ABA5B4300704B71D36714D362102F6933D29CC20810B7A3C9964286A6251A2407C19B745B63FBE38BC75936B0E7B82A4837414320C48E9652C643B2CE951E1F6B52D850F44A58D555509996982DE0B652B08A0B267540E79C75DC1169C31ACF977492DF4738F7002E5B78260086181997F0515B34FD8AC36B19D3FD95BF923CA787459A75C5F75D55C12F3687A1294F2927ABBCB9CE118742EF37C45FC3EA05441D1C985F3D2AB43FA8C564C409A948846974847D301E10B16C041AD5D61C2E38A26E0771A2FD38733D97CD509A7F70231D103C11E6259F974B3EE2674E325CDC4CB06EE420DD67617CA5B9233B990FDF6BCF919CF3EB20676E41B8CF400AF5431A2706E32F5027D4B0C3BF8CD5BD662C742C79D061185BBAF4EDA29E1F9807F55A95643BD7BD453143C7FC87552E2487447E1AE520A03A15C43E4FB7CFF5712172BB446F591A6775B3886BB11B90DB2F8AB5AB3BBA40AA2FBA00A22CB4B71660D15522818A1C660A73AD0706412258601E65F71E462E305B9BED6C16CC70DC8F4B2415090C40722005B7747D978DB110B8B918F34C837DF35916F74AC38606734B2CBAE6B1F7CC146319513658539E1175932894CB2C5931EB8620809B70A59C5E7603CBCC207E0DB4C51F096B02756ED578A39CB4719A6245200D0653140994885974C7D9E26CFF6C354C5FC2792D4007DBB8747A201C954487AF66A3F2011D8D189A673045DF73DE1D108A202696E952DE0F26B4E4514C9B4A061CA23E13CBACDF598C8C56B2501659A15BFBEE8404783369961B6D5D74A33E93136EA4B3ED8B92ECB4662A6B192D288E407618CB1002F079F46C3618587303C57660401227E27C49AC67D79F83F42706DA5934466967C6CD0510BB7439FFA92113C9A6297C98DD003012BBD0808670BEB7AFFE8AFF2AB4185E5B5ABC349229A37CB590ADC096D029489D1AAB76C71820E3CCD6C740FD49A292B5C4A9CD40E1D39C47D839EA360427CD628DD5A511D446756AB18FFA66B52F97BDED9555142805971A4D48C1518109357400B2CD86F0E3469CE8855E4B364FC784174E56AF673C1FDCA7DA4DAB4CB41B2C6C6522E876744264DBB684E66A89BAF1362F9A72EB6A03CE399586BEAAD0DE290FC359D519B0E26D294A380ABD8D629F9C8C17786B073745B3871B4472C1C7C2C0063455DB49485D79ABE93F70FB6710F6339220EC41996A218CFFB9C1FC48B5836B8931053092804B6567E5CCB1F5E893382A46DB9865A6A883CFC31B3E4C451B5A10835051C4B9AA220D49150F1BACE19AB8DAA2B4E3C92074AC99D25ACB2A3AB72310D690840FADC923C2B0BC8C98F51271A1A3330B1D456EDC57713E38CF15C88D4050ED3F2101B222A1C114C10BB7947D10741919E114635C5C310134B5A734128C685A7BA702BB075BA389C658A529E5C097E7EDC1573C34E377B564CA67597F379302029DB915296CC219AF21A77E36BCA854FE2875260D1090A6067DE4BC52FE08531E7449461845267116CC3456AFC4D3C663AFA2A77F2F0C3E50B009EE93C27730BAA96443A81515D75B0087B4E41E1A733B32C0F9448E060CCA876F711B47601F9D142F158FD10342B1D53D44CD40A7D5DBC44391AFC06D6C8";
    const spki = deriveMlKem768PublicKeySpki(hex(d + z));
    expect(toHex(parseMlKemPublicKey(spki)).toUpperCase()).toBe(ek);
    // dk = dkPKE || ek || H(ek) || z; check its head and the tail it shares with the vector.
    const dk = toHex(ml_kem768.keygen(hex(d + z)).secretKey).toUpperCase();
    expect(dk.startsWith("B4B3AF00AAB3252519367A7FC26C7D159006F5570863E72C408761088065D863")).toBe(true);
    expect(dk.endsWith("2F90273A68B93E4DB09A7DD17CEC9E162D7E11D4DC5F6D351A5F912C87F2C2D7" + z)).toBe(true);
    expect(toHex(sha3_256(hex(ek))).toUpperCase()).toBe("2F90273A68B93E4DB09A7DD17CEC9E162D7E11D4DC5F6D351A5F912C87F2C2D7");
  });

  it("rejects malformed SPKIs", () => {
    const spki = generateMlKem768().publicKeySpki;
    const dsaSpki = generateMlDsa65().publicKeySpki;
    const bad: [string, Uint8Array][] = [
      ["empty", new Uint8Array(0)],
      ["truncated", spki.subarray(0, spki.length - 1)],
      ["trailing byte", Uint8Array.from([...spki, 0])],
      ["ML-DSA OID", dsaSpki],
      ["other OID arc", flip(spki, 16)],
      ["unused bits", flip(spki, 21)],
      ["wrong outer tag", flip(spki, 0)],
      ["NULL parameters", withNullParameters(spki)],
      ["non-minimal outer length", Uint8Array.from([0x30, 0x83, 0x00, ...spki.subarray(2)])],
    ];
    // The NULL variant is well-formed DER apart from the parameters the drafts forbid.
    expect(toHex(withNullParameters(spki).subarray(0, 24))).toBe("308204b4300d06096086480165030404020500038204a100");
    for (const [, input] of bad) expect(() => parseMlKemPublicKey(input)).toThrow(AsymmetricInputError);
    // FIPS 203 modulus check: first coefficient set to 0xfff (>= q = 3329).
    const unreduced = Uint8Array.from(spki);
    unreduced[22] = 0xff;
    unreduced[23] = (unreduced[23] ?? 0) | 0x0f;
    expect(() => parseMlKemPublicKey(unreduced)).toThrow(AsymmetricInputError);
    expect(() => createMlKemEncrypter(unreduced)).toThrow(AsymmetricInputError);
  });

  it("a private key that is not a 64-byte seed is a programming error", () => {
    expect(() => createMlKemDecrypter(new Uint8Array(32))).toThrow(RangeError);
    expect(() => createMlKemDecrypter(new Uint8Array(2400))).toThrow(RangeError);
  });
});

/** The same SPKI with an ASN.1 NULL after the OID (lengths patched). */
function withNullParameters(spki: Uint8Array): Uint8Array {
  const key = spki.subarray(22);
  const algorithm = [0x30, 0x0d, 0x06, 0x09, ...spki.subarray(8, 17), 0x05, 0x00];
  const bitString = [0x03, 0x82, ...spki.subarray(19, 21), 0x00, ...key];
  const bodyLength = algorithm.length + bitString.length;
  return Uint8Array.from([0x30, 0x82, bodyLength >> 8, bodyLength & 0xff, ...algorithm, ...bitString]);
}

describe("ML-KEM-768 hybrid encryption", () => {
  const pair = generateMlKem768();
  const encrypter = createMlKemEncrypter(pair.publicKeySpki);
  const decrypter = createMlKemDecrypter(pair.privateKey);
  const aad = utf8("key-id:7d0c2b0e|version:1");

  it("round-trips empty, 32-byte and 4 KiB plaintexts", () => {
    for (const size of [0, 32, 4096]) {
      const plaintext = new Uint8Array(size).map((_, i) => (i * 31) & 0xff);
      const blob = encrypter.encrypt(plaintext, aad);
      expect(blob.length).toBe(size + ML_KEM_HYBRID_OVERHEAD);
      expect(blob[0]).toBe(0x01);
      expect(toHex(decrypter.decrypt(blob, aad))).toBe(toHex(plaintext));
    }
  });

  it("is randomized, and a decrypter is reusable and leaves the blob intact", () => {
    const plaintext = utf8("same message");
    const a = encrypter.encrypt(plaintext, aad);
    const b = encrypter.encrypt(plaintext, aad);
    expect(toHex(a)).not.toBe(toHex(b));
    const before = toHex(a);
    for (let i = 0; i < 3; i++) expect(toHex(decrypter.decrypt(a, aad))).toBe(toHex(plaintext));
    expect(toHex(a)).toBe(before);
    expect(toHex(createMlKemDecrypter(pair.privateKey).decrypt(b, aad))).toBe(toHex(plaintext));
  });

  it("follows the documented format (independent re-implementation of decryption)", () => {
    const plaintext = utf8("format check");
    const blob = encrypter.encrypt(plaintext, aad);
    const kemCiphertext = blob.subarray(1, 1089);
    const iv = blob.subarray(1089, 1101);
    const sharedSecret = ml_kem768.decapsulate(kemCiphertext, ml_kem768.keygen(pair.privateKey).secretKey);
    const key = hkdf(sha256, sharedSecret, new Uint8Array(0), utf8("kms/v1/ml-kem-768/aes-256-gcm"), 32);
    const gcmAad = Uint8Array.from([...aad, ...blob.subarray(0, 1089)]);
    expect(toHex(aes256Gcm.aead(key).open(iv, blob.subarray(1101), gcmAad))).toBe(toHex(plaintext));
  });

  it("rejects a flipped bit in every region", () => {
    const blob = encrypter.encrypt(utf8("tamper me, 32 bytes of plaintext"), aad);
    const positions: [string, number][] = [
      ["version", 0],
      ["KEM ciphertext start", 1],
      ["KEM ciphertext middle", 544],
      ["KEM ciphertext end", 1088],
      ["IV start", 1089],
      ["IV end", 1100],
      ["GCM ciphertext", 1101],
      ["GCM ciphertext end", blob.length - 17],
      ["tag start", blob.length - 16],
      ["tag end", -1],
    ];
    for (const [, at] of positions) expectDecryptionFailure(() => decrypter.decrypt(flip(blob, at), aad));
  });

  it("rejects other versions, wrong aad, a wrong key and wrong lengths", () => {
    const blob = encrypter.encrypt(utf8("payload"), aad);
    const v2 = Uint8Array.from(blob);
    v2[0] = 0x02;
    expectDecryptionFailure(() => decrypter.decrypt(v2, aad));
    expectDecryptionFailure(() => decrypter.decrypt(blob, new Uint8Array(0)));
    expectDecryptionFailure(() => decrypter.decrypt(blob, utf8("key-id:7d0c2b0e|version:2")));
    expectDecryptionFailure(() => decrypter.decrypt(blob, Uint8Array.from([...aad, 0])));
    expectDecryptionFailure(() => createMlKemDecrypter(generateMlKem768().privateKey).decrypt(blob, aad));
    for (const length of [0, 1, 1089, ML_KEM_HYBRID_OVERHEAD - 1, blob.length - 1]) {
      expectDecryptionFailure(() => decrypter.decrypt(blob.subarray(0, length), aad));
    }
    expectDecryptionFailure(() => decrypter.decrypt(Uint8Array.from([...blob, 0]), aad));
    // The shortest valid blob (empty plaintext) still authenticates.
    const empty = encrypter.encrypt(new Uint8Array(0), aad);
    expect(empty.length).toBe(ML_KEM_HYBRID_OVERHEAD);
    expect(decrypter.decrypt(empty, aad).length).toBe(0);
    expectDecryptionFailure(() => decrypter.decrypt(flip(empty, -1), aad));
  });

  it("rejects a KEM ciphertext moved to another key's blob (implicit rejection, then GCM)", () => {
    const other = createMlKemEncrypter(generateMlKem768().publicKeySpki).encrypt(utf8("x"), aad);
    const spliced = encrypter.encrypt(utf8("x"), aad);
    spliced.set(other.subarray(1, 1089), 1);
    expectDecryptionFailure(() => decrypter.decrypt(spliced, aad));
  });
});

describe("ML-DSA-65 keys", () => {
  it("private key is the 32-byte seed; SPKI is the fixed 22-byte header then the 1952-byte key", () => {
    const { privateKey, publicKeySpki } = generateMlDsa65();
    expect(privateKey.length).toBe(32);
    expect(publicKeySpki.length).toBe(1974);
    expect(toHex(publicKeySpki.subarray(0, 22))).toBe(ML_DSA_65_SPKI_PREFIX);
    const key = parseMlDsaPublicKey(publicKeySpki);
    expect(key.length).toBe(1952);
    expect(toHex(key)).toBe(toHex(ml_dsa65.keygen(privateKey).publicKey));
  });

  it("keygen from seed is deterministic", () => {
    const seed = new Uint8Array(32).fill(9);
    expect(toHex(deriveMlDsa65PublicKeySpki(seed))).toBe(toHex(deriveMlDsa65PublicKeySpki(seed)));
    const pair = generateMlDsa65();
    expect(toHex(deriveMlDsa65PublicKeySpki(pair.privateKey))).toBe(toHex(pair.publicKeySpki));
  });

  it("NIST ACVP ML-DSA-keyGen-FIPS204 tcId 26 (ML-DSA-65) reproduces exactly", () => {
    // usnistgov/ACVP-Server gen-val/json-files/ML-DSA-keyGen-FIPS204, commit 203f667c (vsId 42).
    // The expected sk starts rho || K || tr, where tr = SHAKE256(pk, 64 bytes): matching rho and
    // tr pins the whole 1952-byte pk; its last bytes are checked directly as well.
    const seed = "8AB6448BF58F897D528A8DE9F8E59329AC929A9CDE7EDF3E27E01BC9EF128A67";
    const rho = "49DE190622B0681761A9DB044015BF812760429001FDFF5FC897166546277E84";
    const k = "8138686987E6D583B03CDCF79685ACEB004D1832A6DE9C26C0C5B4636F4EE976";
    const tr =
      "B2B87C49F3E51E4C76C8EDF276174B9EBE99228B1BEAD73FDE09D114795B8275" +
      "598163B433A79712726320692FFCA1DBD70F68689A3D5BFD21BFE3F3852673B0";
    const pk = parseMlDsaPublicKey(deriveMlDsa65PublicKeySpki(hex(seed)));
    expect(toHex(pk.subarray(0, 32)).toUpperCase()).toBe(rho);
    expect(toHex(shake256(pk, { dkLen: 64 })).toUpperCase()).toBe(tr);
    expect(toHex(pk).toUpperCase().endsWith("6769D66F9BC72DE319E1EC39E8F979E49B61C")).toBe(true);
    const sk = toHex(ml_dsa65.keygen(hex(seed)).secretKey).toUpperCase();
    expect(sk.length).toBe(4032 * 2);
    expect(sk.startsWith(rho + k + tr)).toBe(true);
    expect(sk.endsWith("38C61D54E13BAE8737063DC06DC4521A19528831EB3E1DDD831FEA5018923D9B65D4D0654C522EF0")).toBe(true);
  });

  it("rejects malformed SPKIs", () => {
    const spki = generateMlDsa65().publicKeySpki;
    const kemSpki = generateMlKem768().publicKeySpki;
    for (const input of [new Uint8Array(0), spki.subarray(0, 1973), Uint8Array.from([...spki, 0]), kemSpki, flip(spki, 16), flip(spki, 21)]) {
      expect(() => parseMlDsaPublicKey(input)).toThrow(AsymmetricInputError);
      expect(() => createMlDsaVerifier(input)).toThrow(AsymmetricInputError);
    }
  });

  it("a private key that is not a 32-byte seed is a programming error", () => {
    expect(() => createMlDsaSigner(new Uint8Array(64))).toThrow(RangeError);
  });
});

describe("ML-DSA-65 signatures", () => {
  const pair = generateMlDsa65();
  const signer = createMlDsaSigner(pair.privateKey);
  const verifier = createMlDsaVerifier(pair.publicKeySpki);
  const message = utf8("32-byte message for ML-DSA-65..!");

  it("signs and verifies; signatures are hedged (differ) and pure ML-DSA with empty context", () => {
    const a = signer.sign(message);
    const b = signer.sign(message);
    expect(a.length).toBe(ML_DSA_65_SIGNATURE_LENGTH);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(verifier.verify(message, a)).toBe(true);
    expect(verifier.verify(message, b)).toBe(true);
    const pk = parseMlDsaPublicKey(pair.publicKeySpki);
    expect(ml_dsa65.verify(a, message, pk)).toBe(true);
    expect(ml_dsa65.verify(a, message, pk, { context: Uint8Array.of(1) })).toBe(false);
    expect(verifier.verify(new Uint8Array(0), signer.sign(new Uint8Array(0)))).toBe(true);
  });

  it("returns false for a tampered message or signature, or the wrong key", () => {
    const signature = signer.sign(message);
    expect(verifier.verify(flip(message, 0), signature)).toBe(false);
    expect(verifier.verify(Uint8Array.from([...message, 0]), signature)).toBe(false);
    for (const at of [0, 47, 48, 1000, 3000, -1]) expect(verifier.verify(message, flip(signature, at))).toBe(false);
    expect(createMlDsaVerifier(generateMlDsa65().publicKeySpki).verify(message, signature)).toBe(false);
  });

  it("returns false, without throwing, for garbage", () => {
    const signature = signer.sign(message);
    const garbage: Uint8Array[] = [
      new Uint8Array(0),
      signature.subarray(0, ML_DSA_65_SIGNATURE_LENGTH - 1),
      Uint8Array.from([...signature, 0]),
      new Uint8Array(ML_DSA_65_SIGNATURE_LENGTH),
      new Uint8Array(ML_DSA_65_SIGNATURE_LENGTH).fill(0xff),
      new Uint8Array(ML_DSA_65_SIGNATURE_LENGTH).map((_, i) => (i * 131 + 7) & 0xff),
    ];
    for (const g of garbage) expect(verifier.verify(message, g)).toBe(false);
    const notBytes = [undefined, null, "sig", 42, {}, [1, 2, 3]] as unknown[];
    for (const x of notBytes) {
      expect(verifier.verify(message, x as Uint8Array)).toBe(false);
      expect(verifier.verify(x as Uint8Array, signature)).toBe(false);
    }
  });
});
