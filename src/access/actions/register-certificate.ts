import type { MessageInitShape } from "@bufbuild/protobuf";
import type { RegisterCertificateRequest, RegisterCertificateResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import { parseCertificatePem } from "../../crypto/certificate.js";
import type { AdminDeps } from "../deps.js";
import { certificateMessage } from "../present.js";
import { assertDescription, targetPrincipal } from "./common.js";

/**
 * RegisterCertificate: binds a client certificate to a sub-user (the caller by default) by its SHA-256
 * fingerprint; from then on that sub-user authenticates over mutual TLS with its registered certificates only.
 */
export async function registerCertificate(deps: AdminDeps, req: RegisterCertificateRequest, call: CallContext): Promise<MessageInitShape<typeof RegisterCertificateResponseSchema>> {
  assertDescription(req.description);
  const directory = deps.directory.in(call.uin);
  const uin = targetPrincipal(directory, req.principalUin, call);
  const now = deps.clock.now();
  const cert = parseCertificatePem(req.certificatePem, now);
  return { certificate: certificateMessage(await directory.registerCertificate(uin, cert, req.description, now, call.journal)) };
}
