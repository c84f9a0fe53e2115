/** What the backup family needs: the store to read, the root key to wrap each backup's key, where to write, and time. */
import type { Clock } from "../clock.js";
import type { RootKey } from "../crypto/seal.js";
import type { KvStore } from "../store/store.js";

export interface BackupDeps {
  store: KvStore;
  rootKey: RootKey;
  /** KMS_BACKUP_DIR; undefined: backups are off. */
  dir: string | undefined;
  clock: Clock;
  /** Set while a backup runs: one at a time. */
  running: { active: boolean };
}
