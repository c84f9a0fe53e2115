/**
 * Every command group of `kms`, in the order `kms --help` lists them. A new
 * family's commands are one file exporting a CommandGroup, added here (one
 * import and one line).
 */
import type { CommandGroup } from "../cli.js";
import { accessKeys } from "./access-keys.js";
import { accounts } from "./accounts.js";
import { asymmetric } from "./asymmetric.js";
import { audit } from "./audit.js";
import { backup } from "./backup.js";
import { batch } from "./batch.js";
import { configure } from "./configure.js";
import { dataKeys } from "./data-keys.js";
import { files } from "./files.js";
import { health } from "./health.js";
import { hostedDataKeys } from "./hosted-data-keys.js";
import { keyring } from "./keyring.js";
import { keys } from "./keys.js";
import { policies } from "./policies.js";
import { postQuantum } from "./post-quantum.js";
import { principals } from "./principals.js";
import { random } from "./random.js";
import { secrets } from "./secrets.js";
import { service } from "./service.js";
import { tokens } from "./tokens.js";
import { unseal } from "./unseal.js";
import { versions } from "./versions.js";
import { whitebox } from "./whitebox.js";

export const COMMAND_GROUPS: readonly CommandGroup[] = [
  configure,
  keys,
  versions,
  files,
  dataKeys,
  hostedDataKeys,
  batch,
  random,
  asymmetric,
  postQuantum,
  secrets,
  whitebox,
  principals,
  policies,
  tokens,
  accessKeys,
  accounts,
  audit,
  service,
  keyring,
  unseal,
  backup,
  health,
];
