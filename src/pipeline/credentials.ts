/**
 * Credentials as transports read them off the wire, and the identity they
 * prove. Transports only parse (a header, a certificate, a signature); which
 * principal that is, and whether it may still call, the directory says here.
 */
import { timingSafeEqual } from "node:crypto";
import type { Directory } from "../access/directory.js";
import type { Identity } from "../call.js";
import { KmsError } from "../errors.js";

export type Credentials =
  /**
   * "authorization: Bearer <token>" on gRPC, gRPC-Web and Connect; `session`:
   * the HTTP/2 session it came on, where the verified token is remembered.
   */
  | { kind: "token"; token: string; session?: object | undefined }
  /** A TLS client certificate the listener verified against KMS_TLS_CLIENT_CA (and KMS_TLS_CRL); notBefore in ms. */
  | { kind: "certificate"; cn: string; fingerprint: string; notBefore: number }
  /**
   * An API 3.0 signature: `verify` checks it with the secret key of the
   * SecretId it names (looked up through `secretKeyOf`) and returns that
   * SecretId, or throws the signature's AuthFailure.
   */
  | { kind: "signature"; verify: (secretKeyOf: (secretId: string) => string | undefined) => string }
  | { kind: "none" };

/** A token verified on one HTTP/2 session, with the identity it proved and the directory's generation then. */
interface RememberedToken {
  directory: Directory;
  token: Buffer;
  identity: Identity;
  generation: number;
}

/**
 * The last token verified on each HTTP/2 session. A call that sends the same
 * token again (checked in constant time) gets the same identity without the
 * hash and the lookups, as long as the directory has not changed since: any
 * change (a token deleted, a principal deleted, an account disabled, anything
 * else) moves its generation and the next call verifies afresh. A session
 * that is gone takes its entry with it (WeakMap).
 */
export class TokenMemory {
  private readonly sessions = new WeakMap<object, RememberedToken>();

  identify(directory: Directory, credentials: Credentials): Identity {
    if (credentials.kind !== "token" || credentials.session === undefined) return identify(directory, credentials);
    const presented = Buffer.from(credentials.token, "utf8");
    const known = this.sessions.get(credentials.session);
    if (known && known.directory === directory && known.generation === directory.generation && known.token.length === presented.length && timingSafeEqual(known.token, presented)) return known.identity;
    const generation = directory.generation;
    const identity = identify(directory, credentials);
    // Shared by the calls that follow: frozen, so none can change what another sees.
    this.sessions.set(credentials.session, { directory, token: presented, identity: Object.freeze(identity), generation });
    return identity;
  }
}

export function identify(directory: Directory, credentials: Credentials): Identity {
  switch (credentials.kind) {
    case "token": {
      const identity = directory.identityOfToken(credentials.token);
      if (!identity) throw new KmsError("AuthFailure.TokenFailure", "the bearer token is not valid (unknown, revoked, its principal deleted, or its account disabled)");
      return identity;
    }
    case "certificate": {
      const identity = directory.identityOfCertificate(credentials, `cert:${credentials.fingerprint.slice(0, 16)}`);
      if (!identity)
        throw new KmsError(
          "AuthFailure.InvalidAuthorization",
          "the client certificate proves no sub-user: it is not registered, and its CN names no sub-user of the default account that accepts it (the root authenticates with tokens only)",
        );
      return identity;
    }
    case "signature": {
      let found: ReturnType<Directory["accessKey"]>;
      credentials.verify((secretId) => (found = directory.accessKey(secretId))?.secretKey);
      if (!found) throw new KmsError("AuthFailure.SecretIdNotFound", "SecretId not found");
      return found.identity;
    }
    case "none":
      throw new KmsError("AuthFailure.InvalidAuthorization", "no credentials: send authorization: Bearer <token>, or a client certificate over TLS");
  }
}
