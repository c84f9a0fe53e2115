/**
 * kms keys import: bring your own key material into an EXTERNAL key
 * (created with `kms keys create --external`). Either in two steps, wrapping
 * with your own tools (`parameters`, then `material`), or in one
 * (`from-file`): the CLI asks for a wrapping key, wraps the material locally
 * with RSAES_OAEP_SHA_256 and imports it; the material never leaves in clear.
 */
import { constants, createPublicKey, publicEncrypt } from "node:crypto";
import { GetParametersForImportResponseSchema } from "../../../../gen/kms/v1/kms_pb.js";
import { choiceArg, readBytesInput, readSmallFile, timeArg, type BytesInput } from "../args.js";
import { act, writeBytes, type Cli, type SubGroup } from "../cli.js";

const WRAPPING_ALGORITHMS = ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"] as const;

/** An SPKI DER public key as PEM, for openssl. */
function spkiPem(der: Uint8Array): string {
  return createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" }).export({ type: "spki", format: "pem" }).toString();
}

const validToSeconds = (ms: number | undefined): bigint => (ms === undefined ? 0n : BigInt(Math.floor(ms / 1000)));

export const keyImport: SubGroup = (keys, cli) => {
  const group = keys.command("import").description("import your own key material into an EXTERNAL key");

  group
    .command("parameters")
    .description("get a wrapping public key and a single-use import token, valid 24 h (GetParametersForImport)")
    .argument("<key-id>")
    .option("--algorithm <name>", `wrapping algorithm: ${WRAPPING_ALGORITHMS.join(", ")} (default RSAES_OAEP_SHA_256)`, choiceArg(WRAPPING_ALGORITHMS))
    .option("--public-key-out <file>", "also write the wrapping public key there as PEM")
    .action(
      act<{ algorithm?: string; publicKeyOut?: string }>(async ([keyId], o) => {
        const res = await (await cli.kms()).getParametersForImport({ keyId: keyId!, wrappingAlgorithm: o.algorithm ?? "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" });
        if (o.publicKeyOut) await writeBytes(cli, o.publicKeyOut, Buffer.from(spkiPem(res.publicKey)), false);
        await cli.print(GetParametersForImportResponseSchema, res);
      }),
    );

  group
    .command("material")
    .description("import material you wrapped yourself (ImportKeyMaterial)")
    .argument("<key-id>")
    .requiredOption("--import-token <token>", "the ImportToken from 'kms keys import parameters'")
    .option("--in <file>", "the wrapped material, raw bytes (- for stdin)")
    .option("--base64 <b64>", "the wrapped material, base64")
    .option("--valid-to <time>", "when the material expires and is deleted (ISO 8601 or Unix seconds; default never)", timeArg)
    .action(
      act<BytesInput & { importToken: string; validTo?: number }>(async ([keyId], o) => {
        const encryptedKeyMaterial = await readBytesInput({ in: o.in, base64: o.base64 }, "wrapped material", cli.io.stdin);
        await (await cli.kms()).importKeyMaterial({ keyId: keyId!, importToken: o.importToken, encryptedKeyMaterial, validTo: validToSeconds(o.validTo) });
        await cli.printEmpty();
      }),
    );

  group
    .command("from-file")
    .description("wrap raw material locally (RSAES_OAEP_SHA_256) and import it: parameters + material in one step")
    .argument("<key-id>")
    .requiredOption("--material <file>", "the raw key material: 32 bytes (FIPS keys) or 16 (GM keys); - for stdin")
    .option("--valid-to <time>", "when the material expires and is deleted (ISO 8601 or Unix seconds; default never)", timeArg)
    .action(act<{ material: string; validTo?: number }>(async ([keyId], o) => importFromFile(cli, keyId!, o.material, o.validTo)));

  group
    .command("delete-material")
    .description("delete imported material; the key returns to PendingImport (DeleteImportedKeyMaterial)")
    .argument("<key-id>")
    .action(
      act(async ([keyId]) => {
        await (await cli.kms()).deleteImportedKeyMaterial({ keyId: keyId! });
        await cli.printEmpty();
      }),
    );
};

async function importFromFile(cli: Cli, keyId: string, path: string, validTo: number | undefined): Promise<void> {
  const material = await readSmallFile(path, "key material", cli.io.stdin);
  try {
    const kms = await cli.kms();
    const params = await kms.getParametersForImport({ keyId, wrappingAlgorithm: "RSAES_OAEP_SHA_256", wrappingKeySpec: "RSA_2048" });
    const wrapped = publicEncrypt(
      { key: createPublicKey({ key: Buffer.from(params.publicKey), format: "der", type: "spki" }), padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: "sha256" },
      material,
    );
    await kms.importKeyMaterial({ keyId, importToken: params.importToken, encryptedKeyMaterial: wrapped, validTo: validToSeconds(validTo) });
  } finally {
    material.fill(0);
  }
  await cli.printEmpty();
}
