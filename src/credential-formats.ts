/**
 * What credentials look like, shared by the configuration (operator-supplied
 * root credentials) and the directory (issued ones), so neither imports the other.
 */

/** An API 3.0 SecretId: AKID and 32 letters and digits. */
export const SECRET_ID_RE = /^AKID[A-Za-z0-9]{32}$/;
/** Secrets supplied by operators (KMS_ROOT_SECRET_KEY) may be any printable ASCII of reasonable length. */
export const SECRET_KEY_RE = /^[\x21-\x7e]{16,128}$/;
/** Tokens supplied by operators (KMS_ROOT_TOKEN) may be any printable ASCII of reasonable length. */
export const TOKEN_RE = /^[\x21-\x7e]{32,256}$/;
