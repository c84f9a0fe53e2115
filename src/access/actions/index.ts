/** The admin actions table, typed against AdminService like keys/actions/index.ts. */
import type { AdminService } from "../../../gen/kms/v1/admin_pb.js";
import type { ActionTable } from "../../call.js";
import type { AdminDeps } from "../deps.js";
import { attachPolicy } from "./attach-policy.js";
import { createAccessKey } from "./create-access-key.js";
import { createPolicy } from "./create-policy.js";
import { createPrincipal } from "./create-principal.js";
import { createToken } from "./create-token.js";
import { deleteAccessKey } from "./delete-access-key.js";
import { deleteCertificate } from "./delete-certificate.js";
import { deletePolicy } from "./delete-policy.js";
import { deletePrincipal } from "./delete-principal.js";
import { deleteToken } from "./delete-token.js";
import { detachPolicy } from "./detach-policy.js";
import { disableAccessKey } from "./disable-access-key.js";
import { enableAccessKey } from "./enable-access-key.js";
import { listAccessKeys } from "./list-access-keys.js";
import { listCertificates } from "./list-certificates.js";
import { listPolicies } from "./list-policies.js";
import { listPrincipals } from "./list-principals.js";
import { listTokens } from "./list-tokens.js";
import { queryAuditEvents } from "./query-audit-events.js";
import { registerCertificate } from "./register-certificate.js";
import { updatePolicy } from "./update-policy.js";
import { verifyAuditLog } from "./verify-audit-log.js";

export const adminActions: ActionTable<typeof AdminService, AdminDeps> = {
  createAccessKey,
  listAccessKeys,
  enableAccessKey,
  disableAccessKey,
  deleteAccessKey,
  createPrincipal,
  listPrincipals,
  deletePrincipal,
  createPolicy,
  updatePolicy,
  listPolicies,
  deletePolicy,
  attachPolicy,
  detachPolicy,
  createToken,
  listTokens,
  deleteToken,
  registerCertificate,
  listCertificates,
  deleteCertificate,
  queryAuditEvents,
  verifyAuditLog,
};
