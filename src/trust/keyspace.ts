/** Store keys of the root of trust, in its own space. */
import { SCHEMA } from "../store/keyspace.js";

export const trustKeyspace = {
  /** The keyring, wrapped by the root of trust, with the root's public parameters. */
  keyring: `${SCHEMA}/trust/keyring`,
  /** Progress of a keyring rotation (absent when none runs). */
  rotation: `${SCHEMA}/trust/rotation`,
} as const;
