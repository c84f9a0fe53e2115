/**
 * Every command group of `kms`, in the order `kms --help` lists them. A new
 * family's commands (secrets, hosted data keys, white-box keys) are one file
 * exporting a CommandGroup, added here.
 */
import type { CommandGroup } from "../cli.js";
import { accessKeys } from "./access-keys.js";
import { asymmetric } from "./asymmetric.js";
import { audit } from "./audit.js";
import { configure } from "./configure.js";
import { dataKeys } from "./data-keys.js";
import { files } from "./files.js";
import { keys } from "./keys.js";
import { policies } from "./policies.js";
import { postQuantum } from "./post-quantum.js";
import { principals } from "./principals.js";
import { random } from "./random.js";
import { service } from "./service.js";
import { tokens } from "./tokens.js";
import { versions } from "./versions.js";

export const COMMAND_GROUPS: readonly CommandGroup[] = [configure, keys, versions, files, dataKeys, random, asymmetric, postQuantum, principals, policies, tokens, accessKeys, audit, service];
