/** One secret: its details and a section per concern, each a tab of its own address (#/secrets/s/<name>/<tab>). */
import type { ComponentChild } from "preact";
import type { DescribeSecretResponse } from "../../../gen/ssm/v1/ssm_pb.js";
import type { Api } from "../../core/api.js";
import type { RouteContext } from "../../core/family.js";
import { Failure, Loading, useLoad } from "../../core/ui.js";
import { STATUS_NAMES, typeName } from "./enums.js";
import { ExportSecret } from "./export.js";
import { SecretOverview } from "./overview.js";
import { secretHref } from "./paths.js";
import { Rotation } from "./rotation.js";
import { SshKey } from "./ssh-key.js";
import { Versions } from "./versions.js";

export interface SecretTabProps {
  api: Api;
  secret: DescribeSecretResponse;
  /** Reads the secret again after a change. */
  reload(): void;
}

interface Tab {
  id: string;
  label: string;
  /** The secret types (0 user-defined, 1 database, 2 SSH key pair) that have this section. */
  types: readonly number[];
  render(props: SecretTabProps): ComponentChild;
}

export const TABS: readonly Tab[] = [
  { id: "overview", label: "Overview", types: [0, 1, 2, 3, 4], render: (p) => <SecretOverview {...p} /> },
  { id: "versions", label: "Versions", types: [0, 1], render: (p) => <Versions {...p} /> },
  { id: "ssh-key", label: "Key pair", types: [2], render: (p) => <SshKey {...p} /> },
  { id: "rotation", label: "Rotation", types: [1], render: (p) => <Rotation {...p} /> },
  { id: "export", label: "Export", types: [0, 2], render: (p) => <ExportSecret {...p} /> },
];

export function SecretPage({ api, params }: RouteContext) {
  const name = params.name ?? "";
  const tabId = params.tab ?? "overview";
  // Read again on every section change, so a section never acts on a state changed elsewhere.
  const secret = useLoad(() => api.ssm.describeSecret({ secretName: name }), [name, tabId]);
  const s = secret.data;
  const tabs = s ? TABS.filter((t) => t.types.includes(s.secretType)) : [];
  const tab = tabs.find((t) => t.id === tabId);
  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <a href="#/secrets">Secrets</a>
          </li>
          <li>{name}</li>
        </ul>
      </nav>
      <hgroup>
        <h1>{name}</h1>
        <p>
          {s ? (
            <>
              {typeName(s.secretType)} secret · <span class={`state state-${STATUS_NAMES[s.status]}`}>{STATUS_NAMES[s.status]}</span>
            </>
          ) : (
            "Secret"
          )}
        </p>
      </hgroup>
      <Failure failure={secret.failure} />
      {secret.loading && !s ? <Loading what="the secret" /> : null}
      {s ? (
        <>
          <nav aria-label="Secret sections" class="tabs">
            <ul>
              {tabs.map((t) => (
                <li key={t.id}>
                  <a href={secretHref(name, t.id)} aria-current={t.id === tab?.id ? "page" : undefined}>
                    {t.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <section aria-label={tab?.label ?? "Section"}>{tab ? tab.render({ api, secret: s, reload: secret.reload }) : <p>This secret has no such section.</p>}</section>
        </>
      ) : null}
    </>
  );
}
