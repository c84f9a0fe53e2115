/** A secret value as the API takes it: text (SecretString), or bytes (SecretBinary) typed as base64 or read from a file. */
import { useId, useState } from "preact/hooks";
import { fromBase64 } from "../../core/bytes.js";
import { TextArea } from "../../core/ui.js";

export type ValueKind = "text" | "base64" | "file";

export interface ValueInput {
  kind: ValueKind;
  text: string;
  file: Uint8Array | undefined;
}

export const EMPTY_VALUE: ValueInput = { kind: "text", text: "", file: undefined };

/** The request fields of the value: exactly one of secretString and secretBinary. */
export function valueFields(v: ValueInput): { secretString: string } | { secretBinary: Uint8Array } {
  if (v.kind === "text") return { secretString: v.text };
  if (v.kind === "base64") return { secretBinary: fromBase64(v.text, "The value") };
  if (!v.file) throw new Error("choose the file that holds the value");
  return { secretBinary: v.file };
}

export function SecretValueInput({ value, onValue, label = "Secret value" }: { value: ValueInput; onValue: (v: ValueInput) => void; label?: string }) {
  const name = useId();
  const [fileName, setFileName] = useState("");
  const kinds: [ValueKind, string][] = [
    ["text", "text (SecretString)"],
    ["base64", "binary, as base64 (SecretBinary)"],
    ["file", "binary, from a file (SecretBinary)"],
  ];
  return (
    <>
      <fieldset class="inline">
        <legend>{label} is</legend>
        {kinds.map(([k, l]) => (
          <label key={k}>
            <input type="radio" name={name} checked={value.kind === k} onChange={() => onValue({ ...value, kind: k })} />
            {l}
          </label>
        ))}
      </fieldset>
      {value.kind === "file" ? (
        <label>
          {label} file
          <input
            type="file"
            onChange={async (e) => {
              const file = e.currentTarget.files?.[0];
              setFileName(file?.name ?? "");
              onValue({ ...value, file: file ? new Uint8Array(await file.arrayBuffer()) : undefined });
            }}
          />
          <small>{value.file ? `${fileName}: ${value.file.length} bytes (1 to 32768)` : "1 to 32768 bytes."}</small>
        </label>
      ) : (
        <TextArea label={label} value={value.text} onValue={(text) => onValue({ ...value, text })} rows={3} hint={value.kind === "text" ? "1 to 32768 bytes of UTF-8." : "Base64 of 1 to 32768 bytes."} />
      )}
    </>
  );
}
