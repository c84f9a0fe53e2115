/**
 * An SSH key pair secret's keys. GetSSHKeyPairValue answers the public and
 * the private key together, so even the public key is fetched only when
 * asked; the private key is kept only when revealed, and forgotten when
 * hidden or when the page is left.
 */
import { useState } from "preact/hooks";
import type { ApiFailure } from "../../core/api.js";
import { failureOf } from "../../core/api.js";
import { download } from "../../core/bytes.js";
import { CopyButton, Failure } from "../../core/ui.js";
import type { SecretTabProps } from "./secret-page.js";

interface PublicPart {
  sshKeyId: string;
  name: string;
  publicKey: string;
}

const decoder = new TextDecoder();

export function SshKey({ api, secret }: SecretTabProps) {
  const [pub, setPub] = useState<PublicPart | undefined>();
  const [privateKey, setPrivateKey] = useState<string | undefined>();
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const [busy, setBusy] = useState(false);
  const name = secret.secretName;
  const fetchPair = async (keepPrivate: boolean) => {
    setBusy(true);
    setFailure(undefined);
    try {
      const r = await api.ssm.getSSHKeyPairValue({ secretName: name });
      setPub({ sshKeyId: r.sshKeyId, name: r.sshKeyName, publicKey: decoder.decode(r.publicKey).trim() });
      // The private key leaves the response here unless it was asked for.
      setPrivateKey(keepPrivate ? decoder.decode(r.privateKey) : undefined);
    } catch (err) {
      setFailure(failureOf(err));
    } finally {
      setBusy(false);
    }
  };
  const fileName = pub?.name || name;
  return (
    <>
      <h2>Key pair</h2>
      <p>
        {secret.resourceName ? (
          <>
            Key pair <code>{secret.resourceName}</code>.{" "}
          </>
        ) : null}
        The private key is sealed by the secret's KMS key. The service answers both keys together, so nothing is fetched until you ask.
      </p>
      <div class="row">
        <button type="button" aria-busy={busy ? "true" : undefined} disabled={busy} onClick={() => void fetchPair(privateKey !== undefined)}>
          Show public key
        </button>
        {privateKey === undefined ? (
          <button type="button" class="secondary danger" disabled={busy} onClick={() => void fetchPair(true)}>
            Reveal private key
          </button>
        ) : (
          <button type="button" class="secondary" onClick={() => setPrivateKey(undefined)}>
            Hide private key
          </button>
        )}
      </div>
      <Failure failure={failure} />
      {pub ? (
        <section class="output" aria-label="Public key">
          <h3>Public key</h3>
          <p>
            Key pair id <code>{pub.sshKeyId}</code>, OpenSSH format (for <code>authorized_keys</code>).
          </p>
          <pre class="pem" tabIndex={0} aria-label="Public key (OpenSSH)">
            {pub.publicKey}
          </pre>
          <div class="row">
            <CopyButton text={pub.publicKey} label="Copy public key" />
            <button type="button" class="secondary" onClick={() => download(`${fileName}.pub`, `${pub.publicKey}\n`, "text/plain")}>
              Download public key
            </button>
          </div>
        </section>
      ) : null}
      {privateKey !== undefined ? (
        <section class="output" aria-label="Private key">
          <h3>Private key</h3>
          <pre class="secret" tabIndex={0} aria-label="Private key (OpenSSH)">
            {privateKey}
          </pre>
          <div class="row">
            <button type="button" class="secondary" onClick={() => download(`id_${fileName}`, privateKey, "application/x-pem-file")}>
              Download private key
            </button>
          </div>
        </section>
      ) : null}
    </>
  );
}
