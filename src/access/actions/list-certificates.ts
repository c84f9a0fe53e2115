import type { MessageInitShape } from "@bufbuild/protobuf";
import type { ListCertificatesRequest, ListCertificatesResponseSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { certificateMessage } from "../present.js";

/** ListCertificates: the account's registered certificates (or one principal's), oldest first. */
export async function listCertificates(deps: AdminDeps, req: ListCertificatesRequest, call: CallContext): Promise<MessageInitShape<typeof ListCertificatesResponseSchema>> {
  return { certificates: deps.directory.in(call.uin).listCertificates(req.principalUin === 0n ? undefined : req.principalUin).map(certificateMessage) };
}
