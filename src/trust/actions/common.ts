/** What the UnsealService and TrustService actions are given, and shared answers. */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { SealStatusSchema } from "../../../gen/kms/v1/unseal_pb.js";
import type { KeyringRotationSchema } from "../../../gen/kms/v1/trust_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { SealMode } from "../root.js";
import type { RotationProgress } from "../rotation.js";
import type { Trust } from "../trust.js";
import type { Unsealer } from "../unsealer.js";

/** UnsealService: the Shamir unsealer (absent for pkcs11 and dev, which never start sealed). */
export interface UnsealDeps {
  mode: SealMode;
  unsealer: Unsealer | undefined;
}

/** TrustService: the running root of trust. */
export interface TrustServiceDeps {
  trust: Trust;
}

export function sealStatus(deps: UnsealDeps): MessageInitShape<typeof SealStatusSchema> {
  if (!deps.unsealer) return { sealed: false, initialized: true, sealType: deps.mode };
  const s = deps.unsealer.status();
  return { sealed: s.sealed, initialized: s.initialized, threshold: s.threshold, shares: s.shares, progress: s.progress, setId: s.setId, sealType: deps.mode };
}

export function requireUnsealer(deps: UnsealDeps): Unsealer {
  if (!deps.unsealer) throw new KmsError("UnsupportedOperation", `the keyring is wrapped by ${deps.mode === "pkcs11" ? "an HSM key" : "the development key"}, not by Shamir shares: there is nothing to unseal`);
  return deps.unsealer;
}

/**
 * Keyring administration is the operator's alone (the default account's
 * root), whatever a sub-user's policies say: the keyring seals every
 * account's keys.
 */
export function assertRoot(call: CallContext): void {
  if (!call.principal.operator) throw new KmsError("UnauthorizedOperation", "only the account root may manage the keyring and the root of trust (the root of the default account: the keyring serves every account)");
}

export function rotationMessage(p: RotationProgress): MessageInitShape<typeof KeyringRotationSchema> {
  return { targetVersion: p.target, pass: p.pass, rewrapped: BigInt(p.rewrapped), unreadable: BigInt(p.unreadable), kind: p.kind ?? "", startTime: BigInt(Math.floor(p.startTime / 1000)) };
}
