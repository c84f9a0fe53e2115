/**
 * One-off throughput measurement for the post-quantum modules (not a test).
 * Run: npx tsx bench/pq-rate.ts
 * Node runs this on one thread, so the figures are per core.
 */
import { createMlDsaSigner, createMlDsaVerifier, generateMlDsa65 } from "../src/crypto/asymmetric/ml-dsa.js";
import { createMlKemDecrypter, createMlKemEncrypter, generateMlKem768 } from "../src/crypto/asymmetric/ml-kem.js";
import { opsPerSecond } from "./rate.js";

const RUN_MS = 3000;

const rate = (op: () => unknown): number => opsPerSecond(op, RUN_MS / 1000);

function report(name: string, opsPerSecond: number): void {
  console.log(`${name.padEnd(28)} ${Math.round(opsPerSecond).toLocaleString("en-US").padStart(8)} ops/s`);
}

const aad = new TextEncoder().encode("key-id|version");
const small = new Uint8Array(32).fill(1);
const large = new Uint8Array(4096).fill(2);

const kem = generateMlKem768();
const encrypter = createMlKemEncrypter(kem.publicKeySpki);
const decrypter = createMlKemDecrypter(kem.privateKey);
const blobSmall = encrypter.encrypt(small, aad);
const blobLarge = encrypter.encrypt(large, aad);

const dsa = generateMlDsa65();
const signer = createMlDsaSigner(dsa.privateKey);
const verifier = createMlDsaVerifier(dsa.publicKeySpki);
const signature = signer.sign(small);

console.log(`node ${process.version}, ${new Date().toISOString()}`);
report("ML-KEM-768 keygen", rate(generateMlKem768));
report("ML-KEM-768 encrypt 32 B", rate(() => encrypter.encrypt(small, aad)));
report("ML-KEM-768 encrypt 4 KiB", rate(() => encrypter.encrypt(large, aad)));
report("ML-KEM-768 decrypt 32 B", rate(() => decrypter.decrypt(blobSmall, aad)));
report("ML-KEM-768 decrypt 4 KiB", rate(() => decrypter.decrypt(blobLarge, aad)));
report("ML-KEM-768 new decrypter", rate(() => createMlKemDecrypter(kem.privateKey)));
report("ML-DSA-65 keygen", rate(generateMlDsa65));
report("ML-DSA-65 sign 32 B", rate(() => signer.sign(small)));
report("ML-DSA-65 verify 32 B", rate(() => verifier.verify(small, signature)));
report("ML-DSA-65 new signer", rate(() => createMlDsaSigner(dsa.privateKey)));
