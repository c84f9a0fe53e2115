/** One white-box key: details, state and tables; its devices; and EncryptByWhiteBox. Each a tab of its own address (#/whitebox/<id>/<tab>). */
import type { ComponentChild } from "preact";
import type { WhiteboxKeyInfo } from "../../../gen/kms/v1/whitebox_pb.js";
import type { Api } from "../../core/api.js";
import type { RouteContext } from "../../core/family.js";
import { href } from "../../core/router.js";
import { Failure, Loading, useLoad } from "../../core/ui.js";
import { Devices } from "./devices.js";
import { EncryptPanel } from "./encrypt.js";
import { STATUS_NAMES } from "./enums.js";
import { WhiteBoxOverview } from "./overview.js";

export interface WhiteBoxTabProps {
  api: Api;
  info: WhiteboxKeyInfo;
  reload(): void;
}

const TABS: readonly { id: string; label: string; render(p: WhiteBoxTabProps): ComponentChild }[] = [
  { id: "overview", label: "Overview", render: (p) => <WhiteBoxOverview {...p} /> },
  { id: "devices", label: "Devices", render: (p) => <Devices {...p} /> },
  { id: "encrypt", label: "Encrypt", render: (p) => <EncryptPanel {...p} /> },
];

export function WhiteBoxKeyPage({ api, params }: RouteContext) {
  const keyId = params.keyId ?? "";
  const tabId = params.tab ?? "overview";
  const key = useLoad(() => api.whitebox.describeWhiteBoxKey({ keyId }), [keyId, tabId]);
  const info = key.data?.keyInfo;
  const tab = TABS.find((t) => t.id === tabId);
  return (
    <>
      <nav aria-label="Breadcrumb">
        <ul>
          <li>
            <a href="#/whitebox">White-box keys</a>
          </li>
          <li>{info?.alias || keyId}</li>
        </ul>
      </nav>
      <hgroup>
        <h1>{info ? info.alias : "White-box key"}</h1>
        <p>
          <code>{keyId}</code>
          {info ? (
            <>
              {" "}
              · <span class={`state state-${STATUS_NAMES[info.status]}`}>{STATUS_NAMES[info.status]}</span>
            </>
          ) : null}
        </p>
      </hgroup>
      <Failure failure={key.failure} />
      {key.loading && !info ? <Loading what="the white-box key" /> : null}
      {info ? (
        <>
          <nav aria-label="White-box key sections" class="tabs">
            <ul>
              {TABS.map((t) => (
                <li key={t.id}>
                  <a href={href("whitebox", keyId, t.id)} aria-current={t.id === tab?.id ? "page" : undefined}>
                    {t.label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
          <section aria-label={tab?.label ?? "Section"}>{tab ? tab.render({ api, info, reload: key.reload }) : <p>This key has no such section.</p>}</section>
        </>
      ) : null}
    </>
  );
}
