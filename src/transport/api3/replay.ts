/**
 * Replay and repurposing of captured API 3.0 signatures. The official SDKs
 * sign only `content-type;host`, the body and the timestamp: the action,
 * region and version travel in unsigned headers, so one signature fits any
 * action with the same body, for five minutes either side of its timestamp.
 *
 * The ledger remembers each signature's first use for as long as it can be
 * valid: its action, version, region, source address, and whether it changed
 * anything. From another source address, it then refuses the signature for
 * any other action, region or version (repurposing) and any second use of a
 * state-changing call (replay). From the same source address every use is
 * accepted: a client making two calls with the same body in one second (say
 * DisableKey then EnableKey) signs both identically, and the SDKs open a new
 * connection per call, so the source address is what tells it from an
 * attacker elsewhere. What this does not stop: a replay from the client's
 * own address (a proxy or NAT shared with the attacker), and a replayed
 * read-only call (a captured Decrypt answers again); TLS on the HTTP/1.1
 * listener (KMS_HTTP_TLS_CERT) is what keeps requests from being captured.
 */
import { KmsError } from "../../errors.js";
import { MAX_CLOCK_SKEW_SECONDS } from "./tc3-signature.js";

export interface SignatureUse {
  /** The signature as sent (TC3 hex, or v1 base64). */
  signature: string;
  action: string;
  version: string;
  region: string;
  source: string;
  /** The call may change state (its method is not NO_SIDE_EFFECTS). */
  mutating: boolean;
}

interface FirstUse {
  /** action, version and region, joined. */
  what: string;
  source: string;
  mutating: boolean;
}

/** A signature stays valid at most this long after its first use (timestamp window both ways). */
const GENERATION_MS = 2 * MAX_CLOCK_SKEW_SECONDS * 1000;

function refused(message: string): KmsError {
  return new KmsError("AuthFailure.SignatureFailure", message);
}

export class SignatureLedger {
  /** Two generations, each as long as a signature's validity: an entry lives between one and two of them. */
  private current = new Map<string, FirstUse>();
  private previous = new Map<string, FirstUse>();
  private rotatedAt: number;

  /**
   * @param maxEntries most signatures remembered; past it the older generation is dropped early (logged by the caller)
   */
  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly maxEntries = 1_000_000,
  ) {
    this.rotatedAt = now();
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  /** Accepts this use of a verified signature, or throws AuthFailure.SignatureFailure. */
  admit(use: SignatureUse): void {
    this.rotate();
    // 16 bytes of a signature tell it apart as well as all of it, in a third of the memory.
    const key = use.signature.slice(0, 32);
    const what = `${use.action}\u0000${use.version}\u0000${use.region}`;
    const first = this.current.get(key) ?? this.previous.get(key);
    if (!first) {
      this.current.set(key, { what, source: use.source, mutating: use.mutating });
      return;
    }
    if (first.source === use.source) return;
    if (first.what !== what) throw refused("this signature was already used for another action, region or version");
    if (use.mutating || first.mutating) throw refused("this signed request was already used; sign it again to repeat a change");
  }

  private rotate(): void {
    const t = this.now();
    if (t - this.rotatedAt >= GENERATION_MS || this.current.size >= this.maxEntries) {
      this.previous = this.current;
      this.current = new Map();
      this.rotatedAt = t;
    }
  }
}
