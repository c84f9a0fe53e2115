import type { MessageInitShape } from "@bufbuild/protobuf";
import { DataKeySpec, type GenerateDataKeyRequest, type GenerateDataKeyResponseSchema } from "../../../gen/kms/v1/kms_pb.js";
import { KmsError } from "../../errors.js";
import { canonicalContext } from "../../crypto/context.js";
import { replyPlaintext } from "../asymmetric.js";
import type { CallContext } from "../../call.js";
import { sealUnderKey } from "../cmk-blobs.js";
import type { HostedDataKeys, KmsDeps } from "../deps.js";
import type { KeyTag } from "../key.js";
import { resolveKey } from "../resolver.js";
import { assertContextLength, assertHsmClusterId, assertNumberOfBytes } from "../validate.js";

/** The data key length: NumberOfBytes wins over KeySpec, as the API documents; one of them is required. */
function dataKeyLength(req: GenerateDataKeyRequest): number {
  if (req.numberOfBytes !== 0) {
    assertNumberOfBytes(req.numberOfBytes);
    return req.numberOfBytes;
  }
  if (req.keySpec === DataKeySpec.AES_128) return 16;
  if (req.keySpec === DataKeySpec.AES_256) return 32;
  if (req.keySpec === DataKeySpec.UNSPECIFIED) throw new KmsError("InvalidParameter", "KeySpec or NumberOfBytes is required");
  throw new KmsError("InvalidParameterValue", "KeySpec must be AES_128 or AES_256");
}

interface Hosting {
  port: HostedDataKeys;
  name: string;
  description: string;
  tags: KeyTag[];
}

/**
 * IsHostedByKms 1: the data key is also kept by the hosted data keys (a port,
 * wired by app.ts), so its fields are checked before any key work. The
 * hosting fields mean nothing without it, and are refused rather than dropped.
 */
function hostingOf(deps: KmsDeps, req: GenerateDataKeyRequest): Hosting | undefined {
  const tags = req.tags.map((t) => ({ key: t.tagKey, value: t.tagValue }));
  if (req.isHostedByKms === 0) {
    const given = [req.dataKeyName !== "" && "DataKeyName", req.description !== "" && "Description", tags.length > 0 && "Tags"].filter(Boolean);
    if (given.length > 0) throw new KmsError("InvalidParameter", `${given.join(", ")} apply only with IsHostedByKms 1`);
    return undefined;
  }
  if (req.isHostedByKms !== 1) throw new KmsError("InvalidParameterValue", "IsHostedByKms must be 0 or 1");
  const port = deps.hostedDataKeys;
  if (!port) throw new KmsError("UnsupportedOperation", "this service does not host data keys");
  if (req.dataKeyName === "") throw new KmsError("MissingParameter", "DataKeyName is required with IsHostedByKms 1");
  port.assertHostable(req.dataKeyName, req.description, tags);
  return { port, name: req.dataKeyName, description: req.description, tags };
}

/**
 * GenerateDataKey: fresh random bytes, returned in plaintext and encrypted
 * under the CMK; with IsHostedByKms 1 the encrypted data key is kept as a
 * hosted data key too, in the call's one change.
 */
export async function generateDataKey(
  deps: KmsDeps,
  req: GenerateDataKeyRequest,
  call: CallContext,
): Promise<MessageInitShape<typeof GenerateDataKeyResponseSchema>> {
  const length = dataKeyLength(req);
  assertContextLength(req.encryptionContext);
  assertHsmClusterId(deps.settings, req.hsmClusterId);
  const hosting = hostingOf(deps, req);
  const context = canonicalContext(req.encryptionContext);
  const use = await resolveKey(deps, call, "encrypt", req.keyId);
  const plaintext = deps.random(length);
  const ciphertextBlob = sealUnderKey(deps, use, plaintext, context);
  // The reply is made before anything is kept: a bad EncryptionPublicKey then changes nothing.
  const reply = await replyPlaintext(deps, plaintext, req.encryptionPublicKey, req.encryptionAlgorithm);
  if (!hosting) return { keyId: use.keyId, plaintext: reply, ciphertextBlob };
  const dataKeyId = await hosting.port.host(call, {
    keyId: use.keyId,
    ciphertextBlob,
    encryptionContext: req.encryptionContext,
    numberOfBytes: length,
    name: hosting.name,
    description: hosting.description,
    tags: hosting.tags,
  });
  return { keyId: use.keyId, plaintext: reply, ciphertextBlob, dataKeyId, tagCode: 0, tagMsg: "Success" };
}
