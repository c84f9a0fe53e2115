import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetPublicKeyRequest, GetPublicKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { spkiToPem } from "../../crypto/asymmetric/pem.js";
import { asymmetricMaterial } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { loadKey } from "../resolve.js";
import { assertTransition } from "../state.js";
import { asymmetricUsageOf } from "../usages.js";

/** GetPublicKey: DER SubjectPublicKeyInfo and its PEM (base64 of the DER, once). */
export async function getPublicKey(deps: KmsDeps, req: GetPublicKeyRequest, _call: CallContext): Promise<MessageInitShape<typeof GetPublicKeyResponseSchema>> {
  const key = await loadKey(deps, req.keyId);
  asymmetricUsageOf(key);
  assertTransition(key, "Decrypt");
  const { publicKey } = await asymmetricMaterial(deps, key);
  return { keyId: key.keyId, publicKey, publicKeyPem: spkiToPem(publicKey) };
}
