/** The KeyVersionService actions table, typed against its descriptor. */
import type { MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { KeyVersionService } from "../../../gen/kms/v1/versions_pb.js";
import type { CallContext, KmsDeps } from "../deps.js";
import { cancelKeyVersionDeletion } from "./cancel-key-version-deletion.js";
import { describeKeyVersion } from "./describe-key-version.js";
import { disableKeyVersion } from "./disable-key-version.js";
import { enableKeyVersion } from "./enable-key-version.js";
import { listKeyVersions } from "./list-key-versions.js";
import { scheduleKeyVersionDeletion } from "./schedule-key-version-deletion.js";

type Methods = (typeof KeyVersionService)["method"];

export type VersionActionTable = {
  [K in keyof Methods]: (deps: KmsDeps, req: MessageShape<Methods[K]["input"]>, call: CallContext) => Promise<MessageInitShape<Methods[K]["output"]>>;
};

export const versionActions: VersionActionTable = {
  listKeyVersions,
  describeKeyVersion,
  enableKeyVersion,
  disableKeyVersion,
  scheduleKeyVersionDeletion,
  cancelKeyVersionDeletion,
};
