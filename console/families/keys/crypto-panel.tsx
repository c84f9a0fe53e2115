/**
 * Using a key from the console, by usage: encrypt and decrypt (with an
 * encryption context), sign and verify, asymmetric RSA and SM2 decryption,
 * post-quantum encryption and signatures. Inputs are text or base64; outputs
 * are shown as base64 and, when they are UTF-8, as text.
 */
import { useId, useState } from "preact/hooks";
import { MessageType } from "../../../gen/kms/v1/kms_pb.js";
import { decodeInput, fromBase64, text, toBase64, type Encoding } from "../../core/bytes.js";
import { CopyButton, Failure, Field, Form, Select, TextArea, useAction } from "../../core/ui.js";
import { STATE_NAMES, usageInfo } from "./enums.js";
import { usable, type KeyTabProps } from "./key-page.js";

function DataInput({ label, value, onValue, encoding, onEncoding }: { label: string; value: string; onValue: (v: string) => void; encoding: Encoding; onEncoding: (e: Encoding) => void }) {
  const name = useId();
  return (
    <>
      <TextArea label={label} value={value} onValue={onValue} rows={3} />
      <fieldset class="inline">
        <legend>{label} is</legend>
        <label>
          <input type="radio" name={name} checked={encoding === "text"} onChange={() => onEncoding("text")} />
          text (UTF-8)
        </label>
        <label>
          <input type="radio" name={name} checked={encoding === "base64"} onChange={() => onEncoding("base64")} />
          base64
        </label>
      </fieldset>
    </>
  );
}

/** Bytes the service returned: base64 always, text when they are UTF-8. */
function BytesOutput({ label, bytes }: { label: string; bytes: Uint8Array | undefined }) {
  const id = useId();
  if (!bytes) return null;
  const b64 = toBase64(bytes);
  const asText = text(bytes);
  return (
    <section class="output" aria-labelledby={id}>
      <h4 id={id}>{label}</h4>
      {asText !== undefined ? (
        <p>
          Text: <output class="as-text">{asText}</output>
        </p>
      ) : null}
      <label>
        Base64
        <textarea readOnly rows={3} value={b64} class="as-base64" />
      </label>
      <CopyButton text={b64} label="Copy base64" />
    </section>
  );
}

function EncryptDecrypt({ api, meta }: KeyTabProps) {
  const [plain, setPlain] = useState("");
  const [enc, setEnc] = useState<Encoding>("text");
  const [context, setContext] = useState("");
  const [blob, setBlob] = useState<Uint8Array | undefined>();
  const [blobIn, setBlobIn] = useState("");
  const [decContext, setDecContext] = useState("");
  const [plainOut, setPlainOut] = useState<Uint8Array | undefined>();
  const encrypt = useAction();
  const decrypt = useAction();
  return (
    <div class="grid">
      <Form
        label="Encrypt"
        onSubmit={() =>
          encrypt.run(async () => {
            const r = await api.kms.encrypt({ keyId: meta.keyId, plaintext: decodeInput(plain, enc, "Plaintext"), encryptionContext: context });
            setBlob(r.ciphertextBlob);
            setBlobIn(toBase64(r.ciphertextBlob));
            setDecContext(context);
          })
        }
      >
        <h3>Encrypt</h3>
        <DataInput label="Plaintext" value={plain} onValue={setPlain} encoding={enc} onEncoding={setEnc} />
        <Field label="Encryption context (JSON, optional)" value={context} onValue={setContext} placeholder='{"app":"orders"}' />
        <Failure failure={encrypt.failure} />
        <button type="submit" aria-busy={encrypt.busy ? "true" : undefined}>
          Encrypt
        </button>
        <BytesOutput label="Ciphertext blob" bytes={blob} />
      </Form>
      <Form
        label="Decrypt"
        onSubmit={() =>
          decrypt.run(async () => {
            const r = await api.kms.decrypt({ ciphertextBlob: fromBase64(blobIn, "CiphertextBlob"), encryptionContext: decContext });
            setPlainOut(r.plaintext);
          })
        }
      >
        <h3>Decrypt</h3>
        <TextArea label="Ciphertext blob (base64)" value={blobIn} onValue={setBlobIn} rows={3} hint="The key is named inside the blob." />
        <Field label="Encryption context (JSON, as given to Encrypt)" value={decContext} onValue={setDecContext} />
        <Failure failure={decrypt.failure} />
        <button type="submit" aria-busy={decrypt.busy ? "true" : undefined}>
          Decrypt
        </button>
        <BytesOutput label="Plaintext" bytes={plainOut} />
      </Form>
    </div>
  );
}

function SignVerify({ api, meta, pq }: KeyTabProps & { pq: boolean }) {
  const algorithms = usageInfo(meta.keyUsage).signAlgorithms ?? ["ML_DSA_65"];
  const [algorithm, setAlgorithm] = useState(algorithms[0] ?? "");
  const [messageType, setMessageType] = useState(String(MessageType.RAW));
  const [message, setMessage] = useState("");
  const [enc, setEnc] = useState<Encoding>("text");
  const [signature, setSignature] = useState<Uint8Array | undefined>();
  const [sigIn, setSigIn] = useState("");
  const [valid, setValid] = useState<boolean | undefined>();
  const sign = useAction();
  const verify = useAction();
  const msg = () => decodeInput(message, enc, "Message");
  return (
    <>
      <fieldset>
        <legend>Message to sign or verify</legend>
        <div class="grid">
          {pq ? null : <Select label="Algorithm" value={algorithm} onValue={setAlgorithm} options={algorithms.map((a) => ({ value: a, label: a }))} />}
          {pq ? null : (
            <Select
              label="Message type"
              value={messageType}
              onValue={setMessageType}
              options={[
                { value: String(MessageType.RAW), label: "RAW: the message (the service hashes it)" },
                { value: String(MessageType.DIGEST), label: "DIGEST: its hash, computed by you" },
              ]}
            />
          )}
        </div>
        <DataInput label="Message" value={message} onValue={setMessage} encoding={enc} onEncoding={setEnc} />
      </fieldset>
      <div class="grid">
        <Form
          label="Sign"
          onSubmit={() =>
            sign.run(async () => {
              const r = pq
                ? await api.kms.postQuantumCryptoSign({ keyId: meta.keyId, message: msg() })
                : await api.kms.signByAsymmetricKey({ keyId: meta.keyId, algorithm, message: msg(), messageType: Number(messageType) as MessageType });
              setSignature(r.signature);
              setSigIn(toBase64(r.signature));
              setValid(undefined);
            })
          }
        >
          <h3>Sign</h3>
          <Failure failure={sign.failure} />
          <button type="submit" aria-busy={sign.busy ? "true" : undefined}>
            Sign
          </button>
          <BytesOutput label="Signature" bytes={signature} />
        </Form>
        <Form
          label="Verify"
          onSubmit={() =>
            verify.run(async () => {
              const signatureValue = fromBase64(sigIn, "Signature");
              const r = pq
                ? await api.kms.postQuantumCryptoVerify({ keyId: meta.keyId, message: msg(), signatureValue })
                : await api.kms.verifyByAsymmetricKey({ keyId: meta.keyId, algorithm, message: msg(), signatureValue, messageType: Number(messageType) as MessageType });
              setValid(r.signatureValid);
            })
          }
        >
          <h3>Verify</h3>
          <TextArea label="Signature (base64)" value={sigIn} onValue={setSigIn} rows={3} />
          <Failure failure={verify.failure} />
          <button type="submit" aria-busy={verify.busy ? "true" : undefined}>
            Verify
          </button>
          {valid === undefined ? null : (
            <p role="status" class={valid ? "verdict ok" : "verdict bad"}>
              {valid ? "The signature is valid." : "The signature is NOT valid."}
            </p>
          )}
        </Form>
      </div>
    </>
  );
}

const RSA_ALGORITHMS = ["RSAES_OAEP_SHA_256", "RSAES_OAEP_SHA_1", "RSAES_PKCS1_V1_5"];

function AsymmetricDecrypt({ api, meta, sm2 }: KeyTabProps & { sm2: boolean }) {
  const [ciphertext, setCiphertext] = useState("");
  const [algorithm, setAlgorithm] = useState(RSA_ALGORITHMS[0] ?? "");
  const [plain, setPlain] = useState<Uint8Array | undefined>();
  const action = useAction();
  return (
    <Form
      label="Asymmetric decryption"
      onSubmit={() =>
        action.run(async () => {
          const bytes = fromBase64(ciphertext, "Ciphertext");
          const r = sm2 ? await api.kms.asymmetricSm2Decrypt({ keyId: meta.keyId, ciphertext: bytes }) : await api.kms.asymmetricRsaDecrypt({ keyId: meta.keyId, ciphertext: bytes, algorithm });
          setPlain(r.plaintext);
        })
      }
    >
      <h3>Decrypt data encrypted to this key's public key</h3>
      <p>Encrypt with the public key (Public key tab) outside the service, e.g. with OpenSSL, then paste the ciphertext here.</p>
      <TextArea label="Ciphertext (base64)" value={ciphertext} onValue={setCiphertext} rows={4} hint={sm2 ? "SM2 C1C3C2 in ASN.1, as openssl pkeyutl writes it; at most 256 bytes." : "256 bytes."} />
      {sm2 ? null : <Select label="Algorithm" value={algorithm} onValue={setAlgorithm} options={RSA_ALGORITHMS.map((a) => ({ value: a, label: a }))} />}
      <Failure failure={action.failure} />
      <button type="submit" aria-busy={action.busy ? "true" : undefined}>
        Decrypt
      </button>
      <BytesOutput label="Plaintext" bytes={plain} />
    </Form>
  );
}

function PostQuantumEncrypt({ api, meta }: KeyTabProps) {
  const [plain, setPlain] = useState("");
  const [enc, setEnc] = useState<Encoding>("text");
  const [blob, setBlob] = useState<Uint8Array | undefined>();
  const [blobIn, setBlobIn] = useState("");
  const [out, setOut] = useState<Uint8Array | undefined>();
  const encrypt = useAction();
  const decrypt = useAction();
  return (
    <div class="grid">
      <Form
        label="Post-quantum encrypt"
        onSubmit={() =>
          encrypt.run(async () => {
            const r = await api.kms.postQuantumCryptoEncrypt({ keyId: meta.keyId, plainText: decodeInput(plain, enc, "Plaintext") });
            setBlob(r.ciphertextBlob);
            setBlobIn(toBase64(r.ciphertextBlob));
          })
        }
      >
        <h3>Encrypt (ML-KEM-768 + AES-256-GCM)</h3>
        <DataInput label="Plaintext" value={plain} onValue={setPlain} encoding={enc} onEncoding={setEnc} />
        <Failure failure={encrypt.failure} />
        <button type="submit" aria-busy={encrypt.busy ? "true" : undefined}>
          Encrypt
        </button>
        <BytesOutput label="Ciphertext blob" bytes={blob} />
      </Form>
      <Form
        label="Post-quantum decrypt"
        onSubmit={() =>
          decrypt.run(async () => {
            const r = await api.kms.postQuantumCryptoDecrypt({ ciphertextBlob: fromBase64(blobIn, "CiphertextBlob") });
            setOut(r.plainText);
          })
        }
      >
        <h3>Decrypt</h3>
        <TextArea label="Ciphertext blob (base64)" value={blobIn} onValue={setBlobIn} rows={3} />
        <Failure failure={decrypt.failure} />
        <button type="submit" aria-busy={decrypt.busy ? "true" : undefined}>
          Decrypt
        </button>
        <BytesOutput label="Plaintext" bytes={out} />
      </Form>
    </div>
  );
}

export function CryptoPanel(props: KeyTabProps) {
  const { meta } = props;
  const info = usageInfo(meta.keyUsage);
  return (
    <>
      <h2>Use the key</h2>
      {usable(meta) ? null : (
        <p class="notice">
          This key is {STATE_NAMES[meta.keyState]}: the service will refuse these operations with its error code.
        </p>
      )}
      {info.capability === "encrypt" ? <EncryptDecrypt {...props} /> : null}
      {info.capability === "sign" ? <SignVerify {...props} pq={false} /> : null}
      {info.capability === "pq-sign" ? <SignVerify {...props} pq /> : null}
      {info.capability === "rsa-decrypt" ? <AsymmetricDecrypt {...props} sm2={false} /> : null}
      {info.capability === "sm2-decrypt" ? <AsymmetricDecrypt {...props} sm2 /> : null}
      {info.capability === "pq-encrypt" ? <PostQuantumEncrypt {...props} /> : null}
    </>
  );
}
