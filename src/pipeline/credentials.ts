/**
 * Credentials as transports read them off the wire, and the identity they
 * prove. Transports only parse (a header, a certificate, a signature); which
 * principal that is, and whether it may still call, the directory says here.
 */
import type { Directory } from "../access/directory.js";
import type { Identity } from "../call.js";
import { KmsError } from "../errors.js";

export type Credentials =
  /** "authorization: Bearer <token>" on gRPC, gRPC-Web and Connect. */
  | { kind: "token"; token: string }
  /** A TLS client certificate the listener verified against KMS_TLS_CLIENT_CA (and KMS_TLS_CRL); notBefore in ms. */
  | { kind: "certificate"; cn: string; fingerprint: string; notBefore: number }
  /**
   * An API 3.0 signature: `verify` checks it with the secret key of the
   * SecretId it names (looked up through `secretKeyOf`) and returns that
   * SecretId, or throws the signature's AuthFailure.
   */
  | { kind: "signature"; verify: (secretKeyOf: (secretId: string) => string | undefined) => string }
  | { kind: "none" };

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
