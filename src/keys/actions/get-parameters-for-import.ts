import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetParametersForImportRequest, GetParametersForImportResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { generateRsa2048 } from "../../crypto/asymmetric/rsa.js";
import { randomBytes } from "../../crypto/random.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import type { ImportTokenRecord, KeyRecord, WrappingAlgorithm } from "../key.js";
import { seconds } from "../present.js";
import { loadKey } from "../resolve.js";

const TOKEN_TTL_MS = 24 * 3_600_000;
const WRAPPING_ALGORITHMS: readonly WrappingAlgorithm[] = ["RSAES_PKCS1_V1_5", "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256"];

export const importTokenLabel = (token: string) => `kms/v1/import-token/${token}`;

/** Import applies to EXTERNAL keys that are not pending deletion. */
export function assertImportable(key: KeyRecord): void {
  if (key.origin !== "EXTERNAL") throw new KmsError("UnsupportedOperation.NotExternalCmk", `key ${key.keyId} is not an EXTERNAL key`);
  if (key.keyState === "PendingDelete") throw new KmsError("ResourceUnavailable.CmkStateNotSupport", `key ${key.keyId} is pending deletion`);
}

function wrappingAlgorithmOf(name: string): WrappingAlgorithm {
  const alg = WRAPPING_ALGORITHMS.find((a) => a === name);
  if (!alg) throw new KmsError("InvalidParameterValue", "WrappingAlgorithm must be RSAES_PKCS1_V1_5, RSAES_OAEP_SHA_1 or RSAES_OAEP_SHA_256");
  return alg;
}

/** GetParametersForImport: a fresh RSA-2048 wrapping key (generated off the event loop) and a single-use token, valid 24 h. */
export async function getParametersForImport(
  deps: KmsDeps,
  req: GetParametersForImportRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof GetParametersForImportResponseSchema>> {
  const wrappingAlgorithm = wrappingAlgorithmOf(req.wrappingAlgorithm);
  if (req.wrappingKeySpec !== "RSA_2048") throw new KmsError("InvalidParameterValue", "WrappingKeySpec must be RSA_2048");
  assertImportable(await loadKey(deps, req.keyId));
  const pair = await generateRsa2048();
  const token = Buffer.from(randomBytes(32)).toString("base64url");
  const validTo = deps.clock.now() + TOKEN_TTL_MS;
  const record: ImportTokenRecord = {
    token,
    keyId: req.keyId,
    wrappingAlgorithm,
    sealedPrivateKey: Buffer.from(deps.rootKey.seal(pair.privateKey, importTokenLabel(token))).toString("base64"),
    validTo,
  };
  pair.privateKey.fill(0);
  await deps.repo.commit([deps.repo.putImportToken(record), deps.repo.putSchedule("import-token-expiry", validTo, `${req.keyId}/${token}`)], call.journal);
  return { keyId: req.keyId, importToken: token, publicKey: pair.publicKeySpki, parametersValidTo: seconds(validTo) };
}
