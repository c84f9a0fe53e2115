/**
 * SM2: the standard's worked examples, sm-crypto-v2 and OpenSSL 3 interop,
 * strict parsing and tamper cases.
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { weierstrass } from "@noble/curves/abstract/weierstrass.js";
import { sm2 as smCrypto } from "sm-crypto-v2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  derTlv,
  derUnsignedInteger,
  decodeSm2Signature,
  encodeSm2CiphertextAsn1,
  encodeSm2Pkcs8,
  encodeSm2Signature,
  encodeSm2Spki,
  readTlv,
} from "../../src/crypto/asymmetric/sm2-der.js";
import {
  bigintToBytes,
  bytesToBigint,
  computeZa,
  encodeUncompressed,
  kdf,
  recoverY,
  signingFactor,
  signWithNonce,
  SM2_CURVE,
  Sm2Point,
  sm3,
  xorBytes,
  type Affine,
  type CurveParams,
} from "../../src/crypto/asymmetric/sm2-math.js";
import { prepareTarget, secretScalar } from "../../src/crypto/asymmetric/sm2-scalar.js";
import { createPublicMultiplier } from "../../src/crypto/asymmetric/sm2-vartime.js";
import {
  createSm2Decrypter,
  createSm2Encrypter,
  createSm2Signer,
  createSm2Verifier,
  deriveSm2PublicKeySpki,
  generateSm2KeyPair,
  SM2_DEFAULT_USER_ID,
  sm2PrivateKeyFromPkcs8,
  sm2PublicKeyFromSpki,
  sm2Sign,
  sm2Verify,
  type Sm2CiphertextFormat,
} from "../../src/crypto/asymmetric/sm2.js";
import { AsymmetricInputError, type GeneratedKeyPair } from "../../src/crypto/asymmetric/types.js";

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ""), "hex");
const big = (s: string): bigint => BigInt(`0x${s.replace(/\s+/g, "")}`);
const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const utf8 = (s: string): Buffer => Buffer.from(s, "utf8");
const N = SM2_CURVE.n;

/** A copy with one byte XORed. */
function flip(bytes: Uint8Array, index: number, mask = 0x01): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[index] = (out[index] ?? 0) ^ mask;
  return out;
}

const pem = (der: Uint8Array, label: string): string =>
  `-----BEGIN ${label}-----\n${(Buffer.from(der).toString("base64").match(/.{1,64}/g) ?? []).join("\n")}\n-----END ${label}-----\n`;

/** PKCS#8 for a given d on the recommended curve (public point computed by OpenSSL). */
function pkcs8For(d: bigint): Uint8Array {
  return encodeSm2Pkcs8(bigintToBytes(d), encodeUncompressed(secretScalar(d).base));
}

function spkiFor(point: Affine): Uint8Array {
  return encodeSm2Spki(encodeUncompressed(point));
}

/** Runs `fn` and returns what it threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error("expected a throw");
}

// ---------------------------------------------------------------------------
// The standard's examples
// ---------------------------------------------------------------------------

// GB/T 32918.5-2017 / GM/T 0003.5-2012 example on the recommended curve (also OpenSSL's
// test/sm2_internal_test.c): key, ID "1234567812345678", message "message digest", nonce k.
const RECOMMENDED = {
  d: big("3945208F7B2144B13F36E38AC6D39F95889393692860B51A42FB81EF4DF7C5B8"),
  x: big("09F9DF311E5421A150DD7D161E4BC5C672179FAD1833FC076BB08FF356F35020"),
  y: big("CCEA490CE26775A52DC6EA718CC1AA600AED05FBF35E084A6632F6072DA9AD13"),
  za: "B2E14C5C79C6DF5B85F4FE7ED8DB7A262B9DA7E07CCB0EA9F4747B8CCDA8A4F3",
  e: "F0B43E94BA45ACCAACE692ED534382EB17E6AB5A19CE7B31F4486FDFC0D28640",
  k: big("59276E27D506861A16680F3AD9C02DCCEF3CC1FA3CDBE4CE6D54B80DEAC1BC21"),
  r: big("F5A03B0648D2C4630EEAC513E1BB81A15944DA3827D5B74143AC7EACEEE720B3"),
  s: big("B1B6AA29DF212FD8763182BC0D421CA1BB9038FD1F7F42D4840B69C485BBC1AA"),
};

// GB/T 32918.2 / .4 Annex A use a 256-bit example curve (not the recommended one).
const EXAMPLE_CURVE: CurveParams = {
  p: big("8542D69E4C044F18E8B92435BF6FF7DE457283915C45517D722EDB8B08F1DFC3"),
  a: big("787968B4FA32C3FD2417842E73BBFEFF2F3C848B6831D7E0EC65228B3937E498"),
  b: big("63E4C6D3B23B0C849CF84241484BFE48F61D59A5B16BA06E6E12D1DA27C5249A"),
  n: big("8542D69E4C044F18E8B92435BF6FF7DD297720630485628D5AE74EE7C32E79B7"),
  Gx: big("421DEBD61B62EAB6746434EBC3CC315E32220B3BADD50BDC4C4E6C147FEDD43D"),
  Gy: big("0680512BCBB42C07D47349D2153B70C4E5D7FDFCBFA36EA1A85841B9E46E09A2"),
};
const ExamplePoint = weierstrass({ ...EXAMPLE_CURVE, h: 1n });

describe("GB/T 32918 worked examples", () => {
  it("recommended curve: public key, Z_A, e and (r, s) for the published k", () => {
    const key = secretScalar(RECOMMENDED.d);
    expect(key.base).toEqual({ x: RECOMMENDED.x, y: RECOMMENDED.y });
    const za = computeZa(SM2_CURVE, utf8("1234567812345678"), key.base);
    expect(toHex(za)).toBe(RECOMMENDED.za.toLowerCase());
    const e = sm3(za, utf8("message digest"));
    expect(toHex(e)).toBe(RECOMMENDED.e.toLowerCase());
    const x1 = secretScalar(RECOMMENDED.k).base.x;
    const signature = signWithNonce(N, bytesToBigint(e), RECOMMENDED.k, x1, signingFactor(N, RECOMMENDED.d));
    expect(signature).toEqual({ r: RECOMMENDED.r, s: RECOMMENDED.s });
  });

  it("recommended curve: the published signature verifies (RAW and DIGEST), and nothing near it does", () => {
    const spki = spkiFor({ x: RECOMMENDED.x, y: RECOMMENDED.y });
    const verifier = createSm2Verifier(spki);
    const signature = encodeSm2Signature(RECOMMENDED.r, RECOMMENDED.s);
    expect(verifier.verify(utf8("message digest"), signature, "RAW")).toBe(true);
    expect(verifier.verify(hex(RECOMMENDED.e), signature, "DIGEST")).toBe(true);
    expect(verifier.verify(utf8("message digesT"), signature, "RAW")).toBe(false);
    expect(verifier.verify(utf8("message digest"), encodeSm2Signature(RECOMMENDED.r, RECOMMENDED.s + 1n), "RAW")).toBe(false);
    expect(createSm2Verifier(spki, "ALICE123@YAHOO.COM").verify(utf8("message digest"), signature, "RAW")).toBe(false);
    // The key parses from PKCS#8 to the same public key.
    expect(deriveSm2PublicKeySpki(pkcs8For(RECOMMENDED.d))).toEqual(spki);
  });

  it("example curve, signature (GB/T 32918.2 A.2, ID ALICE123@YAHOO.COM)", () => {
    const d = big("128B2FA8BD433C6C068C8D803DFF79792A519A55171B1B650C23661D15897263");
    const k = big("6CB28D99385C175C94F94E934817663FC176D925DD72B727260DBAAE1FB2F96F");
    const publicKey = ExamplePoint.BASE.multiply(d).toAffine();
    expect(publicKey).toEqual({
      x: big("0AE4C7798AA0F119471BEE11825BE46202BB79E2A5844495E97C04FF4DF2548A"),
      y: big("7C0240F88F1CD4E16352A73C17B7F16F07353E53A176D684A9FE0C6BB798E857"),
    });
    const za = computeZa(EXAMPLE_CURVE, utf8("ALICE123@YAHOO.COM"), publicKey);
    expect(toHex(za)).toBe("f4a38489e32b45b6f876e3ac2168ca392362dc8f23459c1d1146fc3dbfb7bc9a");
    const e = bytesToBigint(sm3(za, utf8("message digest")));
    expect(e).toBe(big("B524F552CD82B8B028476E005C377FB19A87E6FC682D48BB5D42E3D9B9EFFE76"));
    const x1 = ExamplePoint.BASE.multiply(k).toAffine().x;
    const signature = signWithNonce(EXAMPLE_CURVE.n, e, k, x1, signingFactor(EXAMPLE_CURVE.n, d));
    const r = big("40F1EC59F793D9F49E09DCEF49130D4194F79FB1EED2CAA55BACDB49C4E755D1");
    const s = big("6FC6DAC32C5D5CF10C77DFB20F7C2EB667A457872FB09EC56327A67EC7DEEBE7");
    expect(signature).toEqual({ r, s });
    // The verification equation: R = (e + x(s·G + t·P)) mod n = r.
    const t = (r + s) % EXAMPLE_CURVE.n;
    const point = ExamplePoint.BASE.multiply(s).add(ExamplePoint.fromAffine(publicKey).multiply(t)).toAffine();
    expect((e + point.x) % EXAMPLE_CURVE.n).toBe(r);
  });

  it("example curve, encryption (GB/T 32918.4 A.2, \"encryption standard\"), including y recovery", () => {
    const publicKey = ExamplePoint.fromAffine({
      x: big("435B39CCA8F3B508C1488AFC67BE491A0F7BA07E581A0E4849A5CF70628A7E0A"),
      y: big("75DDBA78F15FEECB4C7895E2C1CDF5FE01DEBB2CDBADF45399CCF77BBA076A42"),
    });
    expect(ExamplePoint.BASE.multiply(big("1649AB77A00637BD5E2EFE283FBF353534AA7F7CB89463F208DDBC2920BB0DA0")).equals(publicKey)).toBe(true);
    const k = big("4C62EEFD6ECFC2B95B92FD6C3D9575148AFA17425546D49018E5388D49DD7B4F");
    const c1 = ExamplePoint.BASE.multiply(k).toAffine();
    expect(c1).toEqual({
      x: big("245C26FB68B1DDDDB12C4B6BF9F2B6D5FE60A383B0D18D1C4144ABF17F6252E7"),
      y: big("76CB9264C2A7E88E52B19903FDC47378F605E36811F5C07423A24B84400F01B8"),
    });
    const shared = publicKey.multiply(k).toAffine();
    // What sm2-scalar.ts does with OpenSSL's x-only results: y from x(kP) and x(kP + kG).
    const xSum = publicKey.add(ExamplePoint.BASE).multiply(k).toAffine().x;
    expect(recoverY(EXAMPLE_CURVE, shared.x, c1, xSum)).toBe(shared.y);
    const message = utf8("encryption standard");
    const x2 = bigintToBytes(shared.x);
    const y2 = bigintToBytes(shared.y);
    const c2 = xorBytes(message, kdf(Buffer.concat([x2, y2]), message.length));
    const c3 = sm3(x2, message, y2);
    expect(toHex(c2)).toBe("650053a89b41c418b0c3aad00d886c00286467");
    expect(toHex(c3)).toBe("9c3d7360c30156fab7c80a0276712da9d8094a634b766d3a285e07480653426d");
    // The same ciphertext in GM/T 0009 DER, as OpenSSL's sm2_internal_test.c has it.
    expect(toHex(encodeSm2CiphertextAsn1({ x: c1.x, y: c1.y, hash: c3, ciphertext: c2 })).toUpperCase()).toBe(
      "307B0220245C26FB68B1DDDDB12C4B6BF9F2B6D5FE60A383B0D18D1C4144ABF17F6252E7022076CB9264C2A7E88E52B19903FDC47378F605E36811F5C07423A24B84400F01B8" +
        "04209C3D7360C30156FAB7C80A0276712DA9D8094A634B766D3A285E07480653426D0413650053A89B41C418B0C3AAD00D886C00286467",
    );
  });

  it("recommended curve: a ciphertext built with a fixed k decrypts, and the OpenSSL path matches noble", () => {
    const pkcs8 = pkcs8For(RECOMMENDED.d);
    const publicPoint = { x: RECOMMENDED.x, y: RECOMMENDED.y };
    const k = secretScalar(RECOMMENDED.k);
    const shared = k.multiply(prepareTarget(publicPoint));
    expect(shared).toEqual(Sm2Point.fromAffine(publicPoint).multiply(RECOMMENDED.k).toAffine());
    const message = utf8("encryption standard");
    const x2 = bigintToBytes(shared.x);
    const y2 = bigintToBytes(shared.y);
    const c2 = xorBytes(message, kdf(Buffer.concat([x2, y2]), message.length));
    const raw = Buffer.concat([encodeUncompressed(k.base), sm3(x2, message, y2), c2]);
    expect(Buffer.from(createSm2Decrypter(pkcs8).decrypt(raw, "C1C3C2"))).toEqual(message);
  });
});

// ---------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------

describe("SM2 building blocks", () => {
  it("KDF spans several SM3 blocks and truncates", () => {
    const z = utf8("shared point");
    const long = kdf(z, 100);
    expect(long.length).toBe(100);
    expect(toHex(long.subarray(0, 32))).toBe(toHex(sm3(z, Uint8Array.of(0, 0, 0, 1))));
    expect(toHex(long.subarray(64, 96))).toBe(toHex(sm3(z, Uint8Array.of(0, 0, 0, 3))));
    expect(toHex(kdf(z, 7))).toBe(toHex(long.subarray(0, 7)));
  });

  it("secret-scalar multiplication (OpenSSL, two x-only ladders) matches noble, including Q = ±G", () => {
    for (let i = 0; i < 5; i++) {
      const k = bytesToBigint(sm3(utf8(`k${i}`))) % N;
      const q = Sm2Point.BASE.multiply(bytesToBigint(sm3(utf8(`q${i}`))) % N).toAffine();
      expect(secretScalar(k).multiply(prepareTarget(q))).toEqual(Sm2Point.fromAffine(q).multiply(k).toAffine());
    }
    const k = 12345n;
    expect(secretScalar(k).multiply(prepareTarget(Sm2Point.BASE.toAffine()))).toEqual(Sm2Point.BASE.multiply(k).toAffine());
    expect(secretScalar(k).multiply(prepareTarget(Sm2Point.BASE.negate().toAffine()))).toEqual(Sm2Point.BASE.multiply(N - k).toAffine());
    expect(() => secretScalar(0n)).toThrow(RangeError);
    expect(() => secretScalar(N)).toThrow(RangeError);
  });

  it("variable-time s·G + t·P matches noble before and after the key's table is built", () => {
    const c = bytesToBigint(sm3(utf8("public key"))) % N;
    const publicPoint = Sm2Point.BASE.multiply(c);
    const multiplier = createPublicMultiplier(publicPoint.toAffine());
    const reference = (s: bigint, t: bigint) => {
      const sum = Sm2Point.BASE.multiplyUnsafe(s).add(publicPoint.multiplyUnsafe(t));
      return sum.is0() ? null : sum.toAffine();
    };
    const scalars: [bigint, bigint][] = [
      [1n, 0n],
      [0n, 1n],
      [N - 1n, N - 1n],
      [1n, 1n],
      [(1n << 255n) + 12345n, (1n << 200n) - 1n],
    ];
    for (let i = 0; i < 30; i++) scalars.push([bytesToBigint(sm3(utf8(`s${i}`))) % N, bytesToBigint(sm3(utf8(`t${i}`))) % N]);
    // s + t·c ≡ 0 gives the point at infinity.
    scalars.push([(N - ((7n * c) % N)) % N, 7n]);
    for (const [s, t] of [...scalars, ...scalars]) expect(multiplier.mulAdd(s, t)).toEqual(reference(s, t));
    expect(multiplier.mulAdd(0n, 0n)).toBeNull();
  });

  it("strict DER helpers", () => {
    expect(toHex(derUnsignedInteger(0n))).toBe("020100");
    expect(toHex(derUnsignedInteger(0x7fn))).toBe("02017f");
    expect(toHex(derUnsignedInteger(0x80n))).toBe("02020080");
    expect(toHex(derUnsignedInteger(0x1234n))).toBe("02021234");
    const long = derTlv(0x04, new Uint8Array(200));
    expect(toHex(long.subarray(0, 3))).toBe("0481c8");
    expect(readTlv(long, 0, 0x04)?.content.length).toBe(200);
    expect(readTlv(hex("0480"), 0, 0x04)).toBeNull(); // indefinite length
    expect(readTlv(hex("04810100"), 0, 0x04)).toBeNull(); // long form for a short length
    expect(readTlv(hex("0482000100"), 0, 0x04)).toBeNull(); // leading zero length octet
    expect(readTlv(hex("040200"), 0, 0x04)).toBeNull(); // truncated
    expect(decodeSm2Signature(hex("3006020101020102"))).toEqual({ r: 1n, s: 2n });
    expect(decodeSm2Signature(hex("300702020001020102"))).toBeNull(); // superfluous 0x00
    expect(decodeSm2Signature(hex("3006020181020102"))).toBeNull(); // negative
    expect(decodeSm2Signature(hex("3005020002010201"))).toBeNull(); // empty INTEGER
  });
});

// ---------------------------------------------------------------------------
// The API
// ---------------------------------------------------------------------------

describe("SM2 keys", () => {
  it("generates OpenSSL-layout PKCS#8 and SPKI that parse back", () => {
    const pair = generateSm2KeyPair();
    expect(pair.privateKey.length).toBe(138);
    expect(pair.publicKeySpki.length).toBe(91);
    expect(toHex(pair.privateKey.subarray(0, 36))).toBe("308187020100301306072a8648ce3d020106082a811ccf5501822d046d306b0201010420");
    expect(toHex(pair.publicKeySpki.subarray(0, 27))).toBe("3059301306072a8648ce3d020106082a811ccf5501822d03420004");
    const priv = sm2PrivateKeyFromPkcs8(pair.privateKey);
    const pub = sm2PublicKeyFromSpki(pair.publicKeySpki);
    expect(priv.publicKey).toEqual(pub);
    expect(priv.d >= 1n && priv.d <= N - 2n).toBe(true);
    expect(deriveSm2PublicKeySpki(pair.privateKey)).toEqual(pair.publicKeySpki);
    expect(generateSm2KeyPair().privateKey).not.toEqual(pair.privateKey);
  });

  it("rejects malformed or foreign public keys", () => {
    const good = generateSm2KeyPair().publicKeySpki;
    const point = good.subarray(26);
    const spkiWithPoint = (p: Uint8Array) => derTlv(0x30, good.subarray(2, 23), derTlv(0x03, Uint8Array.of(0), p));
    const x = point.subarray(1, 33);
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).publicKey.export({ format: "der", type: "spki" });
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, 90),
      Buffer.concat([good, Uint8Array.of(0)]),
      flip(good, 90), // y changed: off the curve
      flip(good, 12), // id-ecPublicKey OID changed
      flip(good, 22), // sm2 OID changed
      flip(good, 25), // unused-bits octet
      flip(good, 26, 0x06), // 04 → 02: claims compressed with 64 bytes
      flip(good, 26, 0x02), // 04 → 06: hybrid form
      spkiWithPoint(Buffer.concat([Uint8Array.of(0x02 | ((point[64] ?? 0) & 1)), x])), // genuinely compressed
      spkiWithPoint(Buffer.concat([Uint8Array.of(0x04), new Uint8Array(64)])), // (0, 0)
      spkiWithPoint(Buffer.concat([Uint8Array.of(0x04), bigintToBytes(SM2_CURVE.p), point.subarray(33)])), // x = p
      Buffer.concat([hex("305a"), good.subarray(2), Uint8Array.of(0)]),
      p256,
    ];
    for (const spki of bad) {
      expect(thrown(() => sm2PublicKeyFromSpki(spki))).toBeInstanceOf(AsymmetricInputError);
      expect(thrown(() => createSm2Verifier(spki))).toBeInstanceOf(AsymmetricInputError);
      expect(thrown(() => createSm2Encrypter(spki))).toBeInstanceOf(AsymmetricInputError);
    }
  });

  it("rejects malformed private keys, out-of-range d and a mismatched public key", () => {
    const pair = generateSm2KeyPair();
    const other = sm2PublicKeyFromSpki(generateSm2KeyPair().publicKeySpki);
    const d = bigintToBytes(sm2PrivateKeyFromPkcs8(pair.privateKey).d);
    const p256 = generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ format: "der", type: "pkcs8" });
    const dummyPoint = encodeUncompressed(sm2PublicKeyFromSpki(pair.publicKeySpki).point);
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      pair.privateKey.subarray(0, 137),
      Buffer.concat([pair.privateKey, Uint8Array.of(0)]),
      flip(pair.privateKey, 5), // outer version 1
      flip(pair.privateKey, 25), // sm2 OID changed
      flip(pair.privateKey, 30), // ECPrivateKey length
      flip(pair.privateKey, 45), // d changed: embedded public key no longer matches
      encodeSm2Pkcs8(d, other.uncompressed),
      encodeSm2Pkcs8(new Uint8Array(32), dummyPoint),
      encodeSm2Pkcs8(bigintToBytes(N - 1n), dummyPoint),
      encodeSm2Pkcs8(bigintToBytes(N), dummyPoint),
      encodeSm2Pkcs8(new Uint8Array(32).fill(0xff), dummyPoint),
      encodeSm2Pkcs8(d.subarray(1), dummyPoint), // 31-byte key
      p256,
    ];
    for (const pkcs8 of bad) {
      expect(thrown(() => sm2PrivateKeyFromPkcs8(pkcs8))).toBeInstanceOf(AsymmetricInputError);
      expect(thrown(() => createSm2Signer(pkcs8))).toBeInstanceOf(AsymmetricInputError);
      expect(thrown(() => createSm2Decrypter(pkcs8))).toBeInstanceOf(AsymmetricInputError);
    }
    expect(sm2PrivateKeyFromPkcs8(encodeSm2Pkcs8(bigintToBytes(N - 2n), encodeUncompressed(secretScalar(N - 2n).base))).d).toBe(N - 2n);
  });

  it("accepts an ECPrivateKey without [1] or with [0] sm2 parameters", () => {
    const pair = generateSm2KeyPair();
    const d = bigintToBytes(sm2PrivateKeyFromPkcs8(pair.privateKey).d);
    const wrap = (...inner: Uint8Array[]) =>
      derTlv(
        0x30,
        hex("020100"),
        hex("301306072a8648ce3d020106082a811ccf5501822d"),
        derTlv(0x04, derTlv(0x30, hex("020101"), derTlv(0x04, d), ...inner)),
      );
    const point = pair.publicKeySpki.subarray(26);
    const params = hex("a00a06082a811ccf5501822d");
    const withPublic = derTlv(0xa1, derTlv(0x03, Uint8Array.of(0), point));
    expect(wrap(withPublic)).toEqual(pair.privateKey);
    for (const variant of [wrap(), wrap(params), wrap(params, withPublic)]) {
      expect(deriveSm2PublicKeySpki(variant)).toEqual(pair.publicKeySpki);
    }
    // Wrong order, or foreign parameters, are not DER of this structure.
    expect(thrown(() => sm2PrivateKeyFromPkcs8(wrap(withPublic, params)))).toBeInstanceOf(AsymmetricInputError);
    expect(thrown(() => sm2PrivateKeyFromPkcs8(wrap(hex("a00a06082a8648ce3d030107"))))).toBeInstanceOf(AsymmetricInputError);
  });
});

describe("SM2 signatures", () => {
  let pair: GeneratedKeyPair;
  let stranger: GeneratedKeyPair;
  beforeAll(() => {
    pair = generateSm2KeyPair();
    stranger = generateSm2KeyPair();
  });
  const message = utf8("an SM2 signed message");

  it("round-trips RAW and DIGEST; DIGEST is e = SM3(Z_A || M)", () => {
    const signer = createSm2Signer(pair.privateKey);
    const verifier = createSm2Verifier(pair.publicKeySpki);
    const e = sm3(computeZa(SM2_CURVE, utf8(SM2_DEFAULT_USER_ID), sm2PublicKeyFromSpki(pair.publicKeySpki).point), message);
    for (let i = 0; i < 5; i++) {
      const raw = signer.sign(message, "RAW");
      const digest = signer.sign(e, "DIGEST");
      expect(raw.length).toBeLessThanOrEqual(72);
      for (const signature of [raw, digest]) {
        expect(verifier.verify(message, signature, "RAW")).toBe(true);
        expect(verifier.verify(e, signature, "DIGEST")).toBe(true);
      }
    }
    expect(sm2Verify(pair.publicKeySpki, message, sm2Sign(pair.privateKey, message, "RAW"), "RAW")).toBe(true);
    expect(sm2Verify(pair.publicKeySpki, message, sm2Sign(pair.privateKey, message, "RAW", "alice"), "RAW", "alice")).toBe(true);
    // Signatures are randomised.
    expect(signer.sign(message, "RAW")).not.toEqual(signer.sign(message, "RAW"));
  });

  it("rejects a changed message, signature, user ID or key", () => {
    const signature = sm2Sign(pair.privateKey, message, "RAW");
    const verifier = createSm2Verifier(pair.publicKeySpki);
    for (let i = 0; i < message.length; i += 5) expect(verifier.verify(flip(message, i), signature, "RAW")).toBe(false);
    for (let i = 0; i < signature.length; i++) expect(verifier.verify(message, flip(signature, i), "RAW")).toBe(false);
    expect(createSm2Verifier(pair.publicKeySpki, "1234567812345679").verify(message, signature, "RAW")).toBe(false);
    expect(createSm2Verifier(pair.publicKeySpki, "").verify(message, signature, "RAW")).toBe(false);
    expect(createSm2Verifier(stranger.publicKeySpki).verify(message, signature, "RAW")).toBe(false);
    expect(verifier.verify(message, sm2Sign(stranger.privateKey, message, "RAW"), "RAW")).toBe(false);
    expect(verifier.verify(message, sm2Sign(pair.privateKey, message, "RAW", "alice"), "RAW")).toBe(false);
  });

  it("returns false, never throws, for malformed or out-of-range signatures", () => {
    const verifier = createSm2Verifier(pair.publicKeySpki);
    const good = sm2Sign(pair.privateKey, message, "RAW");
    const { r, s } = decodeSm2Signature(good) ?? { r: 0n, s: 0n };
    const integer = (value: bigint) => derUnsignedInteger(value);
    const bad: Uint8Array[] = [
      new Uint8Array(0),
      good.subarray(0, good.length - 1),
      Buffer.concat([good, Uint8Array.of(0)]),
      encodeSm2Signature(s, r),
      encodeSm2Signature(r, N - s),
      encodeSm2Signature(0n, s),
      encodeSm2Signature(r, 0n),
      encodeSm2Signature(r + N, s),
      encodeSm2Signature(r, s + N),
      encodeSm2Signature(N - s, s), // t = r + s = n
      derTlv(0x30, integer(r)),
      derTlv(0x30, integer(r), integer(s), integer(1n)),
      derTlv(0x30, derTlv(0x02, Buffer.concat([Uint8Array.of(0, 0), bigintToBytes(r)])), integer(s)), // non-minimal
      Buffer.concat([Uint8Array.of(0x30, 0x81, good.length - 2), good.subarray(2)]), // long-form short length
      Buffer.concat([Uint8Array.of(0x31), good.subarray(1)]), // SET, not SEQUENCE
      Buffer.concat([bigintToBytes(r), bigintToBytes(s)]), // raw r || s
      utf8("not a signature"),
    ];
    for (const signature of bad) {
      expect(verifier.verify(message, signature, "RAW")).toBe(false);
    }
    expect(verifier.verify(message, good, "RAW")).toBe(true);
  });

  it("requires a 32-byte DIGEST and a user ID ENTL can express", () => {
    const signer = createSm2Signer(pair.privateKey);
    const verifier = createSm2Verifier(pair.publicKeySpki);
    const signature = signer.sign(new Uint8Array(32), "DIGEST");
    for (const length of [0, 20, 31, 33, 64]) {
      expect(thrown(() => signer.sign(new Uint8Array(length), "DIGEST"))).toBeInstanceOf(AsymmetricInputError);
      expect(thrown(() => verifier.verify(new Uint8Array(length), signature, "DIGEST"))).toBeInstanceOf(AsymmetricInputError);
    }
    expect(createSm2Signer(pair.privateKey, "x".repeat(8191))).toBeDefined();
    expect(thrown(() => createSm2Signer(pair.privateKey, "x".repeat(8192)))).toBeInstanceOf(AsymmetricInputError);
  });
});

describe("SM2 encryption", () => {
  let pair: GeneratedKeyPair;
  let stranger: GeneratedKeyPair;
  beforeAll(() => {
    pair = generateSm2KeyPair();
    stranger = generateSm2KeyPair();
  });
  const formats: Sm2CiphertextFormat[] = ["C1C3C2", "C1C3C2_ASN1"];

  it.each(formats)("%s round-trips 1 byte to 1000 bytes", (format) => {
    const encrypter = createSm2Encrypter(pair.publicKeySpki);
    const decrypter = createSm2Decrypter(pair.privateKey);
    for (const length of [1, 31, 32, 33, 100, 1000]) {
      const plaintext = sm3(utf8(`${length}`)).subarray(0, Math.min(32, length));
      const message = Buffer.alloc(length, plaintext);
      const ciphertext = encrypter.encrypt(message, format);
      if (format === "C1C3C2") {
        expect(ciphertext.length).toBe(97 + length);
        expect(ciphertext[0]).toBe(0x04);
      }
      expect(Buffer.from(decrypter.decrypt(ciphertext, format))).toEqual(message);
    }
    expect(encrypter.encrypt(utf8("same"), format)).not.toEqual(encrypter.encrypt(utf8("same"), format));
  });

  it("rejects an empty plaintext", () => {
    const encrypter = createSm2Encrypter(pair.publicKeySpki);
    for (const format of formats) expect(thrown(() => encrypter.encrypt(new Uint8Array(0), format))).toBeInstanceOf(AsymmetricInputError);
  });

  it("fails every tampered ciphertext with the same error", () => {
    const decrypter = createSm2Decrypter(pair.privateKey);
    const encrypter = createSm2Encrypter(pair.publicKeySpki);
    const message = utf8("tamper with me, please");
    const raw = encrypter.encrypt(message, "C1C3C2");
    const c1 = sm2PublicKeyFromSpki(encodeSm2Spki(raw.subarray(0, 65))).point;
    const rest = raw.subarray(65);
    const negatedC1 = encodeUncompressed({ x: c1.x, y: SM2_CURVE.p - c1.y });
    const otherPoint = encodeUncompressed(sm2PublicKeyFromSpki(stranger.publicKeySpki).point);
    const asn1 = (x: bigint, y: bigint, hash: Uint8Array, ciphertext: Uint8Array) => encodeSm2CiphertextAsn1({ x, y, hash, ciphertext });
    const c3 = raw.subarray(65, 97);
    const c2 = raw.subarray(97);
    const badRaw: Uint8Array[] = [
      flip(raw, 0, 0x06), // 04 → 02
      flip(raw, 10), // C1.x: off the curve
      flip(raw, 64), // C1.y: off the curve
      Buffer.concat([negatedC1, rest]), // −C1: on the curve, wrong point
      Buffer.concat([otherPoint, rest]),
      flip(raw, 65), // C3
      flip(raw, 96),
      flip(raw, 97), // C2
      flip(raw, raw.length - 1),
      raw.subarray(0, 97), // no C2
      raw.subarray(0, raw.length - 1),
      Buffer.concat([raw, Uint8Array.of(0)]),
      Buffer.concat([Uint8Array.of(0x04), new Uint8Array(64), rest]), // (0, 0)
      new Uint8Array(0),
    ];
    const badAsn1: Uint8Array[] = [
      asn1(c1.x, c1.y, c3, c2).subarray(1),
      asn1(c1.x ^ 1n, c1.y, c3, c2),
      asn1(c1.x, SM2_CURVE.p - c1.y, c3, c2),
      asn1(c1.x + SM2_CURVE.p, c1.y, c3, c2), // not reduced
      asn1(c1.x, c1.y, flip(c3, 0), c2),
      asn1(c1.x, c1.y, c3, flip(c2, 3)),
      asn1(c1.x, c1.y, c3.subarray(1), c2), // 31-byte hash
      asn1(c1.x, c1.y, c3, new Uint8Array(0)),
      derTlv(0x30, derUnsignedInteger(c1.x), derUnsignedInteger(c1.y), derTlv(0x04, c2), derTlv(0x04, c3)), // C1C2C3 order
      Buffer.concat([asn1(c1.x, c1.y, c3, c2), Uint8Array.of(0)]),
      raw, // raw given as ASN.1
    ];
    const cases: [Uint8Array, Sm2CiphertextFormat][] = [
      ...badRaw.map((c): [Uint8Array, Sm2CiphertextFormat] => [c, "C1C3C2"]),
      ...badAsn1.map((c): [Uint8Array, Sm2CiphertextFormat] => [c, "C1C3C2_ASN1"]),
      [asn1(c1.x, c1.y, c3, c2), "C1C3C2"], // ASN.1 given as raw
    ];
    for (const [ciphertext, format] of cases) {
      const err = thrown(() => decrypter.decrypt(ciphertext, format));
      expect(err).toBeInstanceOf(AsymmetricInputError);
      expect((err as Error).message).toBe("decryption failed");
    }
    // The untampered forms still decrypt, and not with another key.
    expect(Buffer.from(decrypter.decrypt(raw, "C1C3C2"))).toEqual(message);
    expect(Buffer.from(decrypter.decrypt(asn1(c1.x, c1.y, c3, c2), "C1C3C2_ASN1"))).toEqual(message);
    expect(thrown(() => createSm2Decrypter(stranger.privateKey).decrypt(raw, "C1C3C2"))).toBeInstanceOf(AsymmetricInputError);
  });

  it("decrypts the C1 = ±G corner (k = 1 and k = n − 1), which skips the second ladder", () => {
    const privateKey = sm2PrivateKeyFromPkcs8(pair.privateKey);
    const decrypter = createSm2Decrypter(pair.privateKey);
    const message = utf8("corner case");
    for (const k of [1n, N - 1n]) {
      const c1 = Sm2Point.BASE.multiply(k).toAffine();
      const shared = Sm2Point.BASE.multiply((privateKey.d * k) % N).toAffine();
      const x2 = bigintToBytes(shared.x);
      const y2 = bigintToBytes(shared.y);
      const c2 = xorBytes(message, kdf(Buffer.concat([x2, y2]), message.length));
      const raw = Buffer.concat([encodeUncompressed(c1), sm3(x2, message, y2), c2]);
      expect(Buffer.from(decrypter.decrypt(raw, "C1C3C2"))).toEqual(message);
    }
  });

  it("an encrypter for a public key equal to ±G still works (no second ladder)", () => {
    const pkcs8 = pkcs8For(1n); // P = G
    const ciphertext = createSm2Encrypter(deriveSm2PublicKeySpki(pkcs8)).encrypt(utf8("d = 1"), "C1C3C2");
    expect(Buffer.from(createSm2Decrypter(pkcs8).decrypt(ciphertext, "C1C3C2")).toString()).toBe("d = 1");
    // P = −G would need d = n − 1, which is no valid key; check by hand that k·P = −C1 was used.
    const message = utf8("d = -1");
    const raw = createSm2Encrypter(spkiFor(Sm2Point.BASE.negate().toAffine())).encrypt(message, "C1C3C2");
    const c1 = Sm2Point.fromBytes(raw.subarray(0, 65)).negate().toAffine();
    const x2 = bigintToBytes(c1.x);
    const y2 = bigintToBytes(c1.y);
    expect(Buffer.from(xorBytes(raw.subarray(97), kdf(Buffer.concat([x2, y2]), message.length)))).toEqual(message);
    expect(toHex(raw.subarray(65, 97))).toBe(toHex(sm3(x2, message, y2)));
  });
});

// ---------------------------------------------------------------------------
// sm-crypto-v2 interop
// ---------------------------------------------------------------------------

describe("SM2 interop with sm-crypto-v2", () => {
  let pair: GeneratedKeyPair;
  let privateHex: string;
  let publicHex: string;
  beforeAll(() => {
    pair = generateSm2KeyPair();
    const key = sm2PrivateKeyFromPkcs8(pair.privateKey);
    privateHex = key.d.toString(16).padStart(64, "0");
    publicHex = toHex(key.publicKey.uncompressed);
  });
  const message = utf8("cross-library message");

  it.each([SM2_DEFAULT_USER_ID, "ALICE123@YAHOO.COM"])("signatures verify both ways (user ID %s)", (userId) => {
    const ours = sm2Sign(pair.privateKey, message, "RAW", userId);
    expect(smCrypto.doVerifySignature(message, toHex(ours), publicHex, { der: true, hash: true, userId })).toBe(true);
    expect(smCrypto.doVerifySignature(message, toHex(ours), publicHex, { der: true, hash: true, userId: "other" })).toBe(false);
    const theirs = hex(smCrypto.doSignature(message, privateHex, { der: true, hash: true, publicKey: publicHex, userId }));
    expect(sm2Verify(pair.publicKeySpki, message, theirs, "RAW", userId)).toBe(true);
    expect(sm2Verify(pair.publicKeySpki, flip(message, 0), theirs, "RAW", userId)).toBe(false);
  });

  it("C1C3C2 ciphertexts decrypt both ways (sm-crypto-v2 cipherMode 1 omits the 04 prefix)", () => {
    const ours = createSm2Encrypter(pair.publicKeySpki).encrypt(message, "C1C3C2");
    expect(ours[0]).toBe(0x04);
    expect(Buffer.from(smCrypto.doDecrypt(toHex(ours.subarray(1)), privateHex, 1, { output: "array" }))).toEqual(message);
    const theirs = smCrypto.doEncrypt(message, publicHex, 1);
    expect(Buffer.from(createSm2Decrypter(pair.privateKey).decrypt(hex(`04${theirs}`), "C1C3C2"))).toEqual(message);
  });

  it("C1C3C2_ASN1 ciphertexts decrypt both ways", () => {
    const ours = createSm2Encrypter(pair.publicKeySpki).encrypt(message, "C1C3C2_ASN1");
    expect(Buffer.from(smCrypto.doDecrypt(toHex(ours), privateHex, 1, { output: "array", asn1: true }))).toEqual(message);
    // Several, so that x and y of various DER lengths (with and without a 0x00 pad) occur.
    const decrypter = createSm2Decrypter(pair.privateKey);
    for (let i = 0; i < 8; i++) {
      const theirs = hex(smCrypto.doEncrypt(message, publicHex, 1, { asn1: true }));
      expect(Buffer.from(decrypter.decrypt(theirs, "C1C3C2_ASN1"))).toEqual(message);
    }
  });
});

// ---------------------------------------------------------------------------
// OpenSSL 3 interop
// ---------------------------------------------------------------------------

/** True when the local openssl can generate SM2 keys (OpenSSL 3 built with SM2). */
function opensslHasSm2(): boolean {
  try {
    return execFileSync("openssl", ["genpkey", "-algorithm", "SM2"], { stdio: ["ignore", "pipe", "ignore"] }).toString().includes("PRIVATE KEY");
  } catch {
    return false;
  }
}

const HAVE_OPENSSL_SM2 = opensslHasSm2();

describe.skipIf(!HAVE_OPENSSL_SM2)("SM2 interop with OpenSSL 3 (openssl CLI)", () => {
  let dir: string;
  let pair: GeneratedKeyPair;
  const message = utf8("interop message for openssl\n");
  const distid = `distid:${SM2_DEFAULT_USER_ID}`;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "sm2-test-"));
    pair = generateSm2KeyPair();
    writeFileSync(join(dir, "priv.pem"), pem(pair.privateKey, "PRIVATE KEY"));
    writeFileSync(join(dir, "pub.pem"), pem(pair.publicKeySpki, "PUBLIC KEY"));
    writeFileSync(join(dir, "msg.bin"), message);
    writeFileSync(join(dir, "bad.bin"), flip(message, 3));
  });

  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes `files` into the temp dir and runs openssl there; throws when openssl exits non-zero. */
  function openssl(args: string[], files: Record<string, string | Uint8Array> = {}): Buffer {
    for (const [name, content] of Object.entries(files)) writeFileSync(join(dir, name), content);
    return execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  }

  const verifyArgs = (input: string, sigfile: string, id = distid) =>
    ["pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin", "-inkey", "pub.pem", "-in", input, "-sigfile", sigfile, "-pkeyopt", id];

  it("reads our keys, and its DER of them is byte-identical", () => {
    expect(openssl(["pkey", "-in", "priv.pem", "-check", "-noout"]).toString()).toContain("valid");
    expect(openssl(["pkey", "-pubin", "-in", "pub.pem", "-outform", "DER"])).toEqual(Buffer.from(pair.publicKeySpki));
    expect(openssl(["pkey", "-in", "priv.pem", "-pubout", "-outform", "DER"])).toEqual(Buffer.from(pair.publicKeySpki));
    expect(openssl(["pkcs8", "-topk8", "-nocrypt", "-in", "priv.pem", "-outform", "DER"])).toEqual(Buffer.from(pair.privateKey));
  });

  it("we read OpenSSL's keys (genpkey -algorithm SM2), and write them back identically", () => {
    openssl(["genpkey", "-algorithm", "SM2", "-out", "theirs.pem"]);
    const pkcs8 = openssl(["pkcs8", "-topk8", "-nocrypt", "-in", "theirs.pem", "-outform", "DER"]);
    const spki = openssl(["pkey", "-in", "theirs.pem", "-pubout", "-outform", "DER"]);
    expect(deriveSm2PublicKeySpki(pkcs8)).toEqual(new Uint8Array(spki));
    const key = sm2PrivateKeyFromPkcs8(pkcs8);
    expect(encodeSm2Pkcs8(bigintToBytes(key.d), key.publicKey.uncompressed)).toEqual(new Uint8Array(pkcs8));
  });

  it("(a) our signature verifies with openssl pkeyutl -rawin -digest sm3 -pkeyopt distid:…; tampering fails", () => {
    writeFileSync(join(dir, "sig.der"), sm2Sign(pair.privateKey, message, "RAW"));
    expect(openssl(verifyArgs("msg.bin", "sig.der")).toString()).toContain("Signature Verified Successfully");
    // The same through openssl dgst with -sigopt.
    expect(openssl(["dgst", "-sm3", "-verify", "pub.pem", "-sigopt", distid, "-signature", "sig.der", "msg.bin"]).toString()).toContain("Verified OK");
    expect(() => openssl(verifyArgs("bad.bin", "sig.der"))).toThrow();
    expect(() => openssl(verifyArgs("msg.bin", "sig.der", "distid:1234567812345679"))).toThrow();
    // OpenSSL 3's own default ID is empty, which is why the distid has to be given.
    expect(() => openssl(["pkeyutl", "-verify", "-rawin", "-digest", "sm3", "-pubin", "-inkey", "pub.pem", "-in", "msg.bin", "-sigfile", "sig.der"])).toThrow();
    writeFileSync(join(dir, "sig-bad.der"), flip(readFileSync(join(dir, "sig.der")), 10));
    expect(() => openssl(verifyArgs("msg.bin", "sig-bad.der"))).toThrow();
  });

  it("(a') a custom user ID carries over too", () => {
    writeFileSync(join(dir, "sig-alice.der"), sm2Sign(pair.privateKey, message, "RAW", "ALICE123@YAHOO.COM"));
    expect(openssl(verifyArgs("msg.bin", "sig-alice.der", "distid:ALICE123@YAHOO.COM")).toString()).toContain("Signature Verified Successfully");
    expect(() => openssl(verifyArgs("msg.bin", "sig-alice.der"))).toThrow();
  });

  it("(b) an openssl pkeyutl -sign signature with the same distid verifies with ours", () => {
    const signature = openssl(["pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", "priv.pem", "-in", "msg.bin", "-pkeyopt", distid]);
    const verifier = createSm2Verifier(pair.publicKeySpki);
    expect(verifier.verify(message, signature, "RAW")).toBe(true);
    expect(verifier.verify(flip(message, 3), signature, "RAW")).toBe(false);
    const noId = openssl(["pkeyutl", "-sign", "-rawin", "-digest", "sm3", "-inkey", "priv.pem", "-in", "msg.bin"]);
    expect(verifier.verify(message, noId, "RAW")).toBe(false);
    expect(createSm2Verifier(pair.publicKeySpki, "").verify(message, noId, "RAW")).toBe(true);
  });

  it("(c) openssl pkeyutl -encrypt output decrypts with our C1C3C2_ASN1 decrypter", () => {
    const decrypter = createSm2Decrypter(pair.privateKey);
    for (const plaintext of [message, Buffer.alloc(300, 0xa5)]) {
      writeFileSync(join(dir, "pt.bin"), plaintext);
      const ciphertext = openssl(["pkeyutl", "-encrypt", "-pubin", "-inkey", "pub.pem", "-in", "pt.bin"]);
      expect(Buffer.from(decrypter.decrypt(ciphertext, "C1C3C2_ASN1"))).toEqual(plaintext);
      expect(thrown(() => decrypter.decrypt(flip(ciphertext, ciphertext.length - 1), "C1C3C2_ASN1"))).toBeInstanceOf(AsymmetricInputError);
    }
  });

  it("(d) our C1C3C2_ASN1 ciphertext decrypts with openssl pkeyutl -decrypt; a tampered one does not", () => {
    const encrypter = createSm2Encrypter(pair.publicKeySpki);
    for (const plaintext of [message, Buffer.alloc(300, 0x5a)]) {
      const ciphertext = encrypter.encrypt(plaintext, "C1C3C2_ASN1");
      const out = openssl(["pkeyutl", "-decrypt", "-inkey", "priv.pem", "-in", "ct.der"], { "ct.der": ciphertext });
      expect(out).toEqual(plaintext);
      expect(() => openssl(["pkeyutl", "-decrypt", "-inkey", "priv.pem", "-in", "ct-bad.der"], { "ct-bad.der": flip(ciphertext, ciphertext.length - 1) })).toThrow();
    }
  });
});
