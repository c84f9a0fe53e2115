/** One key: its metadata and a section per concern, each a tab of its own address (#/keys/<id>/<tab>). */
import type { ComponentChild } from "preact";
import { KeyState, KeyUsage, Origin, type KeyMetadata } from "../../../gen/kms/v1/kms_pb.js";
import type { Api } from "../../core/api.js";
import type { RouteContext } from "../../core/family.js";
import { href } from "../../core/router.js";
import { Failure, Loading, useLoad } from "../../core/ui.js";
import { Bindings } from "./bindings.js";
import { CryptoPanel } from "./crypto-panel.js";
import { STATE_NAMES, isAsymmetric } from "./enums.js";
import { ImportMaterial } from "./import.js";
import { Overview } from "./overview.js";
import { PublicKey } from "./public-key.js";
import { Rotation } from "./rotation.js";
import { Versions } from "./versions.js";

export interface KeyTabProps {
  api: Api;
  meta: KeyMetadata;
  /** Reads the key again after a change. */
  reload(): void;
}

interface Tab {
  id: string;
  label: string;
  /** Whether the key has this section at all. */
  applies(meta: KeyMetadata): boolean;
  render(props: KeyTabProps): ComponentChild;
}

const symmetric = (m: KeyMetadata) => !isAsymmetric(m.keyUsage);

export const TABS: readonly Tab[] = [
  { id: "overview", label: "Overview", applies: () => true, render: (p) => <Overview {...p} /> },
  { id: "versions", label: "Versions", applies: () => true, render: (p) => <Versions {...p} /> },
  { id: "rotation", label: "Rotation", applies: (m) => symmetric(m), render: (p) => <Rotation {...p} /> },
  { id: "crypto", label: "Use the key", applies: () => true, render: (p) => <CryptoPanel {...p} /> },
  { id: "public-key", label: "Public key", applies: (m) => isAsymmetric(m.keyUsage), render: (p) => <PublicKey {...p} /> },
  { id: "import", label: "Import material", applies: (m) => m.origin === Origin.EXTERNAL, render: (p) => <ImportMaterial {...p} /> },
  { id: "bindings", label: "Bindings", applies: () => true, render: (p) => <Bindings {...p} /> },
];

export function KeyPage({ api, params }: RouteContext) {
  const keyId = params.keyId ?? "";
  const tabId = params.tab ?? "overview";
  // Read again on every section change, so a section never acts on a state changed elsewhere.
  const key = useLoad(() => api.kms.describeKey({ keyId }), [keyId, tabId]);
  const meta = key.data?.keyMetadata;
  const tabs = meta ? TABS.filter((t) => t.applies(meta)) : [];
  const tab = tabs.find((t) => t.id === tabId);

  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <a href="#/keys">Keys</a>
          </li>
          <li>{meta?.alias || keyId}</li>
        </ul>
      </nav>
      <hgroup>
        <h1>{meta ? meta.alias : "Key"}</h1>
        <p>
          <code>{keyId}</code>
          {meta ? (
            <>
              {" "}
              · <span class={`state state-${STATE_NAMES[meta.keyState]}`}>{STATE_NAMES[meta.keyState]}</span>
            </>
          ) : null}
        </p>
      </hgroup>
      <Failure failure={key.failure} />
      {key.loading && !meta ? <Loading what="the key" /> : null}
      {meta ? (
        <>
          <nav aria-label="Key sections" class="tabs">
            <ul>
              {tabs.map((t) => (
                <li key={t.id}>
                  <a href={href("keys", keyId, t.id)} aria-current={t.id === tab?.id ? "page" : undefined}>
                    {t.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <section aria-label={tab?.label ?? "Section"}>{tab ? tab.render({ api, meta, reload: key.reload }) : <p>This key has no such section.</p>}</section>
        </>
      ) : null}
    </>
  );
}

/** The key is usable for cryptography (else panels explain why not). */
export function usable(meta: KeyMetadata): boolean {
  return meta.keyState === KeyState.ENABLED || (meta.keyState === KeyState.ARCHIVED && meta.keyUsage === KeyUsage.ENCRYPT_DECRYPT);
}
