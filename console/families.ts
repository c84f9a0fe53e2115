/**
 * The console's families, in navigation order. Adding a family (secrets, hosted
 * data keys, white-box keys, metrics) is adding its folder under families/ and
 * one line here.
 */
import type { ConsoleFamily } from "./core/family.js";
import { dashboard } from "./families/dashboard/index.js";
import { keys } from "./families/keys/index.js";
import { access } from "./families/access/index.js";
import { audit } from "./families/audit/index.js";

export const families: readonly ConsoleFamily[] = [dashboard, keys, access, audit];
