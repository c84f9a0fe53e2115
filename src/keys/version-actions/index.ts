/** The KeyVersionService actions table, typed against its descriptor. */
import type { KeyVersionService } from "../../../gen/kms/v1/versions_pb.js";
import type { ActionTable } from "../../call.js";
import type { KmsDeps } from "../deps.js";
import { cancelKeyVersionDeletion } from "./cancel-key-version-deletion.js";
import { describeKeyVersion } from "./describe-key-version.js";
import { disableKeyVersion } from "./disable-key-version.js";
import { enableKeyVersion } from "./enable-key-version.js";
import { listKeyVersions } from "./list-key-versions.js";
import { scheduleKeyVersionDeletion } from "./schedule-key-version-deletion.js";

export const versionActions: ActionTable<typeof KeyVersionService, KmsDeps> = {
  listKeyVersions,
  describeKeyVersion,
  enableKeyVersion,
  disableKeyVersion,
  scheduleKeyVersionDeletion,
  cancelKeyVersionDeletion,
};
