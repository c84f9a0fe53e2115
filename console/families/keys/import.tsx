/**
 * Bring your own key: get a wrapping public key and a single-use token
 * (GetParametersForImport), wrap your material with it outside the service,
 * and upload the result (ImportKeyMaterial); or delete imported material.
 */
import { useState } from "preact/hooks";
import { KeyState, type GetParametersForImportResponse } from "../../../gen/kms/v1/kms_pb.js";
import { download, fromBase64, pem } from "../../core/bytes.js";
import { parseUtcInput, time } from "../../core/format.js";
import { ConfirmButton, CopyButton, Done, Failure, Field, Form, Select, TextArea, useAction } from "../../core/ui.js";
import type { KeyTabProps } from "./key-page.js";

const WRAPPING = ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"];

export function ImportMaterial({ api, meta, reload }: KeyTabProps) {
  const keyId = meta.keyId;
  const [algorithm, setAlgorithm] = useState(WRAPPING[0] ?? "");
  const [params, setParams] = useState<GetParametersForImportResponse | undefined>();
  const [token, setToken] = useState("");
  const [material, setMaterial] = useState<Uint8Array | undefined>();
  const [materialB64, setMaterialB64] = useState("");
  const [validTo, setValidTo] = useState("");
  const [done, setDone] = useState("");
  const get = useAction();
  const upload = useAction();
  const name = meta.alias || keyId;
  const hasMaterial = meta.keyState !== KeyState.PENDING_IMPORT && meta.versionCount > 0;

  return (
    <>
      <h2>Import key material</h2>
      <p>
        {meta.keyState === KeyState.PENDING_IMPORT ? "This key has no material yet: import 32 random bytes (FIPS, AES-256) or 16 (GM, SM4)." : "This key has imported material. Importing again accepts only the same material."}
        {meta.validTo ? ` The material expires ${time(meta.validTo)}.` : ""}
      </p>
      {done ? <Done>{done}</Done> : null}
      <Form
        label="Get wrapping parameters"
        onSubmit={() =>
          get.run(async () => {
            const r = await api.kms.getParametersForImport({ keyId, wrappingAlgorithm: algorithm, wrappingKeySpec: "RSA_2048" });
            setParams(r);
            setToken(r.importToken);
          })
        }
      >
        <h3>1. Download the wrapping key and token</h3>
        <Select label="Wrapping algorithm" value={algorithm} onValue={setAlgorithm} options={WRAPPING.map((a) => ({ value: a, label: a }))} hint="The wrapping key is RSA-2048; the token is single-use and valid 24 hours." />
        <Failure failure={get.failure} />
        <button type="submit" aria-busy={get.busy ? "true" : undefined}>
          Get wrapping key and token
        </button>
      </Form>
      {params ? (
        <section aria-label="Wrapping parameters" class="output">
          <p>
            Valid until {time(params.parametersValidTo)}. Wrap your material with {algorithm}, e.g.{" "}
            <code>openssl pkeyutl -encrypt -pubin -inkey wrapping-key.pem -in material.bin -out wrapped.bin -pkeyopt rsa_padding_mode:oaep -pkeyopt rsa_oaep_md:sha256</code>
          </p>
          <label>
            Import token
            <textarea readOnly rows={2} value={params.importToken} class="import-token" />
          </label>
          <div class="row">
            <button type="button" onClick={() => download(`${name}-wrapping-key.pem`, pem(params.publicKey, "PUBLIC KEY"), "application/x-pem-file")}>
              Download wrapping key (PEM)
            </button>
            <button type="button" class="secondary" onClick={() => download(`${name}-wrapping-key.der`, params.publicKey)}>
              Download wrapping key (DER)
            </button>
            <button type="button" class="secondary" onClick={() => download(`${name}-import-token.txt`, params.importToken, "text/plain")}>
              Download token
            </button>
            <CopyButton text={params.importToken} label="Copy token" />
          </div>
        </section>
      ) : null}

      <Form
        label="Upload wrapped material"
        onSubmit={() =>
          upload.run(async () => {
            const encryptedKeyMaterial = material ?? fromBase64(materialB64, "Wrapped material");
            const validToMs = parseUtcInput(validTo);
            await api.kms.importKeyMaterial({ keyId, importToken: token.trim(), encryptedKeyMaterial, validTo: BigInt(Math.floor(validToMs / 1000)) });
            setDone("Material imported.");
            setParams(undefined);
            reload();
          })
        }
      >
        <h3>2. Upload the wrapped material</h3>
        <label>
          Wrapped material file
          <input
            type="file"
            onChange={async (e) => {
              const file = e.currentTarget.files?.[0];
              setMaterial(file ? new Uint8Array(await file.arrayBuffer()) : undefined);
            }}
          />
        </label>
        <TextArea label="or wrapped material as base64" value={materialB64} onValue={setMaterialB64} rows={3} />
        <TextArea label="Import token" value={token} onValue={setToken} rows={2} required />
        <Field label="Material expires (UTC, optional)" type="datetime-local" value={validTo} onValue={setValidTo} hint="Empty: never. After it, the material is deleted and the key returns to PendingImport." />
        <Failure failure={upload.failure} />
        <button type="submit" aria-busy={upload.busy ? "true" : undefined}>
          Import material
        </button>
      </Form>

      {hasMaterial ? (
        <>
          <h3>Delete imported material</h3>
          <ConfirmButton
            label="Delete imported material"
            danger
            title={`Delete the material of ${name}?`}
            onConfirm={() =>
              api.kms.deleteImportedKeyMaterial({ keyId }).then(() => {
                setDone("Material deleted: the key is PendingImport.");
                reload();
              })
            }
          >
            <p>The key returns to PendingImport and decrypts nothing until the same material is imported again.</p>
          </ConfirmButton>
        </>
      ) : null}
    </>
  );
}
