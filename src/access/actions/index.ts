/** The admin actions table, typed against AdminService like keys/actions/index.ts. */
import type { MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { AdminService } from "../../../gen/kms/v1/admin_pb.js";
import type { CallContext } from "../../keys/deps.js";
import type { AdminDeps } from "../deps.js";
import { createAccessKey } from "./create-access-key.js";
import { deleteAccessKey } from "./delete-access-key.js";
import { disableAccessKey } from "./disable-access-key.js";
import { enableAccessKey } from "./enable-access-key.js";
import { listAccessKeys } from "./list-access-keys.js";

type Methods = (typeof AdminService)["method"];

export type AdminActionTable = {
  [K in keyof Methods]: (deps: AdminDeps, req: MessageShape<Methods[K]["input"]>, call: CallContext) => Promise<MessageInitShape<Methods[K]["output"]>>;
};

export const adminActions: AdminActionTable = { createAccessKey, listAccessKeys, enableAccessKey, disableAccessKey, deleteAccessKey };
