/** EncryptByWhiteBox: AES-256-CBC or SM4-CBC with PKCS#7 padding under the key, with a given or a generated IV. */
import { useState } from "preact/hooks";
import { WhiteBoxKeyStatus } from "../../../gen/kms/v1/whitebox_pb.js";
import { decodeInput, fromBase64, toBase64, type Encoding } from "../../core/bytes.js";
import { CopyButton, Failure, Field, Form, TextArea, useAction } from "../../core/ui.js";
import type { WhiteBoxTabProps } from "./key-page.js";

export function EncryptPanel({ api, info }: WhiteBoxTabProps) {
  const [plain, setPlain] = useState("");
  const [enc, setEnc] = useState<Encoding>("text");
  const [iv, setIv] = useState("");
  const [out, setOut] = useState<{ iv: string; cipherText: string } | undefined>();
  const action = useAction();
  return (
    <>
      <h2>Encrypt</h2>
      {info.status === WhiteBoxKeyStatus.ENABLED ? null : <p class="notice">This key is Disabled: the service will refuse to encrypt (ResourceUnavailable.KeyDisabled).</p>}
      <Form
        label="Encrypt by white-box"
        onSubmit={() =>
          action.run(async () => {
            const r = await api.whitebox.encryptByWhiteBox({ keyId: info.keyId, plainText: decodeInput(plain, enc, "Plaintext"), initializationVector: iv.trim() ? fromBase64(iv, "Initialization vector") : new Uint8Array(0) });
            setOut({ iv: toBase64(r.initializationVector), cipherText: toBase64(r.cipherText) });
          })
        }
      >
        <TextArea label="Plaintext" value={plain} onValue={setPlain} rows={3} hint="1 to 4096 bytes." />
        <fieldset class="inline">
          <legend>Plaintext is</legend>
          <label>
            <input type="radio" name="wb-plain" checked={enc === "text"} onChange={() => setEnc("text")} />
            text (UTF-8)
          </label>
          <label>
            <input type="radio" name="wb-plain" checked={enc === "base64"} onChange={() => setEnc("base64")} />
            base64
          </label>
        </fieldset>
        <Field label="Initialization vector (base64, optional)" value={iv} onValue={setIv} hint="16 bytes. Empty: the service draws a random one and returns it." />
        <Failure failure={action.failure} />
        <button type="submit" aria-busy={action.busy ? "true" : undefined}>
          Encrypt
        </button>
      </Form>
      {out ? (
        <section class="output" aria-label="White-box ciphertext">
          <label>
            Initialization vector (base64)
            <textarea readOnly rows={1} value={out.iv} class="wb-iv" />
          </label>
          <label>
            Ciphertext (base64)
            <textarea readOnly rows={3} value={out.cipherText} class="wb-ciphertext" />
          </label>
          <div class="row">
            <CopyButton text={out.cipherText} label="Copy ciphertext" />
            <CopyButton text={out.iv} label="Copy IV" />
          </div>
          <p>
            On a device: <code>node client/whitebox/cli.mjs decrypt --tables {info.alias}-dec.b64 --iv {out.iv} --in ct.b64</code>
          </p>
        </section>
      ) : null}
    </>
  );
}
