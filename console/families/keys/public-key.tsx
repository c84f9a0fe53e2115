/** The public key of an asymmetric or post-quantum key (GetPublicKey), as PEM, to copy or download. */
import { download } from "../../core/bytes.js";
import { CopyButton, Failure, Loading, useLoad } from "../../core/ui.js";
import type { KeyTabProps } from "./key-page.js";

export function PublicKey({ api, meta }: KeyTabProps) {
  const pub = useLoad(() => api.kms.getPublicKey({ keyId: meta.keyId }), [meta.keyId, meta.keyState]);
  const name = meta.alias || meta.keyId;
  return (
    <>
      <h2>Public key</h2>
      <p>SubjectPublicKeyInfo of the primary version. Anyone may hold it: data encrypted to it only this key decrypts, and it verifies this key's signatures (OpenSSL reads it as is).</p>
      <Failure failure={pub.failure} />
      {pub.loading && !pub.data ? <Loading what="the public key" /> : null}
      {pub.data ? (
        <>
          <pre class="pem" tabIndex={0} aria-label="Public key (PEM)">
            {pub.data.publicKeyPem}
          </pre>
          <div class="row">
            <button type="button" onClick={() => pub.data && download(`${name}.pem`, pub.data.publicKeyPem, "application/x-pem-file")}>
              Download PEM
            </button>
            <button type="button" class="secondary" onClick={() => pub.data && download(`${name}.der`, pub.data.publicKey)}>
              Download DER
            </button>
            <CopyButton text={pub.data.publicKeyPem} label="Copy PEM" />
          </div>
        </>
      ) : null}
    </>
  );
}
