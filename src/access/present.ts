import type { MessageInitShape } from "@bufbuild/protobuf";
import { AccessKeyStatus, type AccessKeySchema } from "../../gen/kms/v1/admin_pb.js";
import { seconds } from "../keys/present.js";
import type { AccessKeyRecord } from "./access-key.js";

export function accessKeyMessage(r: AccessKeyRecord): MessageInitShape<typeof AccessKeySchema> {
  return {
    secretId: r.secretId,
    status: r.status === "Enabled" ? AccessKeyStatus.ENABLED : AccessKeyStatus.DISABLED,
    createTime: seconds(r.createTime),
    description: r.description,
    uin: BigInt(r.uin),
  };
}
