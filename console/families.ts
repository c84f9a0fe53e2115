/**
 * The console's families, in navigation order (routes are matched in this
 * order too). Adding a family is adding its folder under families/ and one
 * line here.
 */
import type { ConsoleFamily } from "./core/family.js";
import { dashboard } from "./families/dashboard/index.js";
import { keys } from "./families/keys/index.js";
import { secrets } from "./families/secrets/index.js";
import { whitebox } from "./families/whitebox/index.js";
import { datakeys } from "./families/datakeys/index.js";
import { databases } from "./families/databases/index.js";
import { accounts } from "./families/accounts/index.js";
import { access } from "./families/access/index.js";
import { audit } from "./families/audit/index.js";
import { keyring } from "./families/keyring/index.js";

export const families: readonly ConsoleFamily[] = [dashboard, keys, datakeys, secrets, databases, whitebox, access, audit, keyring, accounts];
