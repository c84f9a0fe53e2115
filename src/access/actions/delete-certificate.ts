import type { MessageInitShape } from "@bufbuild/protobuf";
import type { DeleteCertificateRequest, DeleteCertificateResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";

/** DeleteCertificate: the certificate stops authenticating at once (the TLS session it opened included: each call is checked). */
export async function deleteCertificate(deps: AdminDeps, req: DeleteCertificateRequest, call: CallContext): Promise<MessageInitShape<typeof DeleteCertificateResponseSchema>> {
  await deps.directory.in(call.uin).deleteCertificate(req.fingerprint, call.journal);
  return {};
}
