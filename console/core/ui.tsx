/** Building blocks every family's pages share: loading, failures, confirmations, fields, paging. */
import type { ComponentChildren, InputHTMLAttributes } from "preact";
import { useCallback, useEffect, useId, useRef, useState } from "preact/hooks";
import { failureOf, type ApiFailure } from "./api.js";

/** A call's failure as the API stated it: its code, its message, and the request id to find it in the audit trail. */
export function Failure({ failure, label }: { failure: ApiFailure | undefined; label?: string }) {
  if (!failure) return null;
  return (
    <div role="alert" class="failure" data-code={failure.code}>
      {label ? <span>{label}: </span> : null}
      <strong class="code">{failure.code}</strong> <span class="message">{failure.message}</span>
      {failure.requestId ? <small class="request-id"> (RequestId {failure.requestId})</small> : null}
    </div>
  );
}

/** A short confirmation that something was done. */
export function Done({ children }: { children: ComponentChildren }) {
  return (
    <p role="status" class="done">
      {children}
    </p>
  );
}

export interface Loaded<T> {
  data: T | undefined;
  failure: ApiFailure | undefined;
  loading: boolean;
  reload(): void;
}

/** Runs `load` when `deps` change (and on reload()); keeps the last answer while the next one loads. */
export function useLoad<T>(load: () => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<{ data?: T; failure?: ApiFailure; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => live && setState({ data, loading: false }),
      (err: unknown) => live && setState({ failure: failureOf(err), loading: false }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { data: state.data, failure: state.failure, loading: state.loading, reload };
}

export interface Action {
  busy: boolean;
  failure: ApiFailure | undefined;
  /** Runs `fn`; a thrown error becomes `failure` (API errors keep their code). Resolves true on success. */
  run(fn: () => Promise<unknown>): Promise<boolean>;
  clear(): void;
}

export function useAction(): Action {
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiFailure | undefined>();
  const run = useCallback(async (fn: () => Promise<unknown>) => {
    setBusy(true);
    setFailure(undefined);
    try {
      await fn();
      return true;
    } catch (err) {
      setFailure(err instanceof Error && !("code" in err) ? { code: "InvalidInput", message: err.message, requestId: "" } : failureOf(err));
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  return { busy, failure, run, clear: () => setFailure(undefined) };
}

/** A form that never submits by itself (CSP form-action 'none'): Enter and the submit button call onSubmit. */
export function Form({ onSubmit, children, label, class: cls }: { onSubmit: () => void; children: ComponentChildren; label?: string; class?: string }) {
  return (
    <form
      aria-label={label}
      class={cls}
      onSubmit={(e) => {
        e.preventDefault();
        onSubmit();
      }}
    >
      {children}
    </form>
  );
}

/** The input attributes the console uses. */
interface InputAttributes {
  type?: "text" | "search" | "number" | "password" | "datetime-local";
  required?: boolean;
  maxLength?: number;
  min?: number;
  max?: number;
  placeholder?: string;
  autocomplete?: string;
  inputMode?: "numeric" | "text";
  /** Id of a <datalist> of suggestions. */
  list?: string;
  readOnly?: boolean;
}

type InputProps = InputAttributes & {
  label: string;
  value: string;
  onValue: (v: string) => void;
  hint?: string;
  invalid?: string | undefined;
};

/** A labelled input; `hint` and `invalid` are tied to it with aria-describedby. */
export function Field({ label, value, onValue, hint, invalid, ...rest }: InputProps) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", invalid ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <label>
      {label}
      {/* Preact types inputs as a union per type; the attributes above are valid for each type the console uses. */}
      <input {...(rest as InputHTMLAttributes<HTMLInputElement>)} value={value} onInput={(e) => onValue(e.currentTarget.value)} aria-describedby={described} aria-invalid={invalid ? "true" : undefined} />
      {hint ? <small id={`${id}-hint`}>{hint}</small> : null}
      {invalid ? (
        <small id={`${id}-err`} class="invalid">
          {invalid}
        </small>
      ) : null}
    </label>
  );
}

export function TextArea({ label, value, onValue, rows = 4, hint, invalid, ...rest }: { required?: boolean; class?: string } & { label: string; value: string; onValue: (v: string) => void; rows?: number; hint?: string; invalid?: string | undefined }) {
  const id = useId();
  const described = [hint ? `${id}-hint` : "", invalid ? `${id}-err` : ""].filter(Boolean).join(" ") || undefined;
  return (
    <label>
      {label}
      <textarea {...rest} rows={rows} value={value} onInput={(e) => onValue(e.currentTarget.value)} aria-describedby={described} aria-invalid={invalid ? "true" : undefined} spellcheck={false} />
      {hint ? <small id={`${id}-hint`}>{hint}</small> : null}
      {invalid ? (
        <small id={`${id}-err`} class="invalid" role="alert">
          {invalid}
        </small>
      ) : null}
    </label>
  );
}

export interface Option {
  value: string;
  label: string;
}

export function Select({ label, value, onValue, options, hint }: { label: string; value: string; onValue: (v: string) => void; options: readonly (Option | { group: string; options: readonly Option[] })[]; hint?: string }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onValue(e.currentTarget.value)}>
        {options.map((o) =>
          "group" in o ? (
            <optgroup key={o.group} label={o.group}>
              {o.options.map((x) => (
                <option key={x.value} value={x.value}>
                  {x.label}
                </option>
              ))}
            </optgroup>
          ) : (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ),
        )}
      </select>
      {hint ? <small>{hint}</small> : null}
    </label>
  );
}

/**
 * A button that asks first: it opens a modal dialog (native <dialog>: focus
 * moves in, Escape cancels) naming what will happen, and runs `onConfirm` only
 * on the dialog's confirm button. The dialog shows the call's failure, if any.
 */
export function ConfirmButton({
  label,
  title,
  children,
  confirmLabel,
  onConfirm,
  danger,
  disabled,
}: {
  label: string;
  title: string;
  children?: ComponentChildren;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
  danger?: boolean;
  disabled?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const action = useAction();
  const titleId = useId();
  const close = () => {
    action.clear();
    ref.current?.close();
  };
  return (
    <>
      <button type="button" class={danger ? "secondary danger" : "secondary"} disabled={disabled} onClick={() => ref.current?.showModal()}>
        {label}
      </button>
      <dialog ref={ref} aria-labelledby={titleId} onClose={() => action.clear()}>
        <article>
          <h2 id={titleId}>{title}</h2>
          {children}
          <Failure failure={action.failure} />
          <footer>
            <button type="button" class="secondary" onClick={close}>
              Cancel
            </button>
            <button
              type="button"
              class={danger ? "danger" : undefined}
              aria-busy={action.busy ? "true" : undefined}
              disabled={action.busy}
              onClick={async () => {
                if (await action.run(onConfirm)) ref.current?.close();
              }}
            >
              {confirmLabel ?? label}
            </button>
          </footer>
        </article>
      </dialog>
    </>
  );
}

/** A secret the API returns once: shown until dismissed, with a warning that it cannot be shown again. */
export function SecretOnce({ label, value, onDismiss }: { label: string; value: string; onDismiss: () => void }) {
  const id = useId();
  return (
    <section class="secret-once" aria-labelledby={id}>
      <h3 id={id}>{label}</h3>
      <p>
        <strong>Shown once.</strong> Copy it now: the service keeps only a hash or a sealed copy and will never show it again.
      </p>
      <pre class="secret" tabIndex={0} aria-label={label}>
        {value}
      </pre>
      <div class="row">
        <CopyButton text={value} />
        <button type="button" class="secondary" onClick={onDismiss}>
          I have stored it
        </button>
      </div>
    </section>
  );
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      class="secondary outline"
      onClick={() =>
        navigator.clipboard?.writeText(text).then(
          () => setCopied(true),
          () => setCopied(false),
        )
      }
    >
      {copied ? "Copied" : label}
    </button>
  );
}

/** "1–20 of 100,000" with previous/next; `offset` and `limit` are the API's. */
export function Pager({ offset, limit, total, onOffset, label }: { offset: number; limit: number; total: number; onOffset: (o: number) => void; label: string }) {
  const last = Math.max(0, Math.floor((total - 1) / limit) * limit);
  return (
    <nav class="pager" aria-label={label}>
      <span role="status">
        {total === 0 ? "No results" : `${(offset + 1).toLocaleString("en-US")}–${Math.min(offset + limit, total).toLocaleString("en-US")} of ${total.toLocaleString("en-US")}`}
      </span>
      <button type="button" class="secondary outline" disabled={offset === 0} onClick={() => onOffset(0)}>
        First
      </button>
      <button type="button" class="secondary outline" disabled={offset === 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        Previous
      </button>
      <button type="button" class="secondary outline" disabled={offset + limit >= total} onClick={() => onOffset(offset + limit)}>
        Next
      </button>
      <button type="button" class="secondary outline" disabled={offset >= last} onClick={() => onOffset(last)}>
        Last
      </button>
    </nav>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p aria-busy="true" class="loading">
      Loading {what}…
    </p>
  );
}
