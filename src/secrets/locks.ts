/**
 * Lock names of the secrets family, in one place: the secrets actions and the
 * product-secret flows (products/rotation.ts) change the same secret record,
 * so they must serialise on the same name.
 */

/** Held by every read-modify-write of one secret (its record, values, binding and flows). */
export const secretLockName = (account: string, region: string, name: string) => `secret:${account}/${region}/${name}`;

/** Held by every change that adds a secret, so the per-region limit holds under concurrency. */
export const countLockName = (account: string, region: string) => `secrets:${account}/${region}`;
