import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetPublicKeyRequest, GetPublicKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { spkiToPem } from "../../crypto/asymmetric/pem.js";
import type { CallContext } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { resolveKey } from "../resolver.js";

/** GetPublicKey: DER SubjectPublicKeyInfo and its PEM (base64 of the DER, once). */
export async function getPublicKey(deps: KmsDeps, req: GetPublicKeyRequest, call: CallContext): Promise<MessageInitShape<typeof GetPublicKeyResponseSchema>> {
  const { key, publicKey } = await resolveKey(deps, call, "public-key", req.keyId);
  return { keyId: key.keyId, publicKey, publicKeyPem: spkiToPem(publicKey) };
}
