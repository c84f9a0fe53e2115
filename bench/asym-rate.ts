/**
 * Operations per second on one core for the RSA-2048 and ECDSA modules, next
 * to `openssl speed` for the same primitives. Not a test; run by hand:
 *   npx tsx bench/asym-rate.ts
 */
import { execFileSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { createEcdsaSigner, createEcdsaVerifier, generateEcKeyPair, type EcCurve } from "../src/crypto/asymmetric/ecdsa.js";
import { createRsaDecrypter, createRsaEncrypter, createRsaSigner, createRsaVerifier, generateRsa2048 } from "../src/crypto/asymmetric/rsa.js";
import { opsPerSecond } from "./rate.js";

const SECONDS = 2;

const rate = (op: () => unknown): number => opsPerSecond(op, SECONDS);

function report(name: string, op: () => unknown): void {
  console.log(`${name.padEnd(44)} ${rate(op).toFixed(0).padStart(8)} ops/s`);
}

const message = randomBytes(64);
const sha256 = createHash("sha256").update(message).digest();

const rsa = await generateRsa2048();
const signer = createRsaSigner(rsa.privateKey);
const verifier = createRsaVerifier(rsa.publicKeySpki);
const encrypter = createRsaEncrypter(rsa.publicKeySpki);
const decrypter = createRsaDecrypter(rsa.privateKey);
const pssSig = signer.sign(message, "RAW", "RSA_PSS_SHA_256");
const pkcs1Sig = signer.sign(message, "RAW", "RSA_PKCS1_SHA_256");
const oaepCt = encrypter.encrypt(randomBytes(32), "RSAES_OAEP_SHA_256");
const pkcs1Ct = encrypter.encrypt(randomBytes(32), "RSAES_PKCS1_V1_5");
const badCt = Buffer.concat([Buffer.of(0), randomBytes(255)]);

console.log(`Node ${process.version}, OpenSSL ${process.versions.openssl}, ${SECONDS} s per operation, one core\n`);
report("RSA-2048 PSS sign (RAW)", () => signer.sign(message, "RAW", "RSA_PSS_SHA_256"));
report("RSA-2048 PSS sign (DIGEST)", () => signer.sign(sha256, "DIGEST", "RSA_PSS_SHA_256"));
report("RSA-2048 PKCS1 sign (RAW)", () => signer.sign(message, "RAW", "RSA_PKCS1_SHA_256"));
report("RSA-2048 PKCS1 sign (DIGEST)", () => signer.sign(sha256, "DIGEST", "RSA_PKCS1_SHA_256"));
report("RSA-2048 PSS verify (RAW)", () => verifier.verify(message, pssSig, "RAW", "RSA_PSS_SHA_256"));
report("RSA-2048 PSS verify (DIGEST)", () => verifier.verify(sha256, pssSig, "DIGEST", "RSA_PSS_SHA_256"));
report("RSA-2048 PKCS1 verify (RAW)", () => verifier.verify(message, pkcs1Sig, "RAW", "RSA_PKCS1_SHA_256"));
report("RSA-2048 OAEP-SHA256 encrypt", () => encrypter.encrypt(sha256, "RSAES_OAEP_SHA_256"));
report("RSA-2048 OAEP-SHA256 decrypt", () => decrypter.decrypt(oaepCt, "RSAES_OAEP_SHA_256"));
report("RSA-2048 PKCS1 v1.5 decrypt (valid)", () => decrypter.decrypt(pkcs1Ct, "RSAES_PKCS1_V1_5"));
report("RSA-2048 PKCS1 v1.5 decrypt (implicit reject)", () => decrypter.decrypt(badCt, "RSAES_PKCS1_V1_5"));

for (const curve of ["P-256", "P-384"] as EcCurve[]) {
  const pair = await generateEcKeyPair(curve);
  const ecSigner = createEcdsaSigner(pair.privateKey, curve);
  const ecVerifier = createEcdsaVerifier(pair.publicKeySpki, curve);
  const digest = createHash(curve === "P-256" ? "sha256" : "sha384").update(message).digest();
  const signature = ecSigner.sign(message, "RAW");
  report(`ECDSA ${curve} sign (RAW, OpenSSL)`, () => ecSigner.sign(message, "RAW"));
  report(`ECDSA ${curve} sign (DIGEST, noble)`, () => ecSigner.sign(digest, "DIGEST"));
  report(`ECDSA ${curve} verify (RAW, OpenSSL)`, () => ecVerifier.verify(message, signature, "RAW"));
  report(`ECDSA ${curve} verify (DIGEST, noble)`, () => ecVerifier.verify(digest, signature, "DIGEST"));
}

console.log(`\nopenssl speed -seconds ${SECONDS} rsa2048 ecdsap256 ecdsap384`);
const speed = execFileSync("openssl", ["speed", "-seconds", String(SECONDS), "rsa2048", "ecdsap256", "ecdsap384"], { stdio: ["ignore", "pipe", "ignore"] });
console.log(speed.toString().split("\n").filter((line) => /sign|rsa|ecdsa/i.test(line)).join("\n"));
