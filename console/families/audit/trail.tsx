/**
 * The audit trail: QueryAuditEvents with every filter, a page at a time in
 * chain order, and VerifyAuditLog, which says where the chain breaks (with a
 * link to the events there).
 */
import { useState } from "preact/hooks";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { QueryAuditEventsRequestSchema } from "../../../gen/kms/v1/admin_pb.js";
import type { RouteContext } from "../../core/family.js";
import { count, parseUtcInput, timeMs } from "../../core/format.js";
import { navigate } from "../../core/router.js";
import { Failure, Field, Form, Loading, Select, useAction, useLoad } from "../../core/ui.js";
import type { VerifyAuditLogResponse } from "../../../gen/kms/v1/admin_pb.js";

interface Filters {
  from: string;
  to: string;
  principal: string;
  action: string;
  keyId: string;
  result: string;
  limit: string;
}

const EMPTY: Filters = { from: "", to: "", principal: "", action: "", keyId: "", result: "", limit: "50" };

function request(f: Filters, afterSeq: bigint): MessageInitShape<typeof QueryAuditEventsRequestSchema> {
  return {
    fromTimeMs: BigInt(parseUtcInput(f.from)),
    toTimeMs: BigInt(parseUtcInput(f.to)),
    principalUin: /^\d{1,20}$/.test(f.principal.trim()) ? BigInt(f.principal.trim()) : 0n,
    action: f.action.trim(),
    keyId: f.keyId.trim(),
    result: f.result.trim(),
    afterSeq,
    limit: Number(f.limit),
  };
}

function filtersFromQuery(q: URLSearchParams): Filters {
  return { ...EMPTY, keyId: q.get("keyId") ?? "", action: q.get("action") ?? "", result: q.get("result") ?? "" };
}

function Verify({ api }: Pick<RouteContext, "api">) {
  const [report, setReport] = useState<VerifyAuditLogResponse | undefined>();
  const action = useAction();
  return (
    <section aria-labelledby="verify-h" class="verify">
      <h2 id="verify-h">Integrity</h2>
      <p>Recomputes the HMAC chain over every event: an edited, deleted or reordered event breaks it where it happened.</p>
      <button type="button" aria-busy={action.busy ? "true" : undefined} onClick={() => action.run(async () => setReport(await api.admin.verifyAuditLog({})))}>
        Verify the chain
      </button>
      <Failure failure={action.failure} />
      {report ? (
        report.ok ? (
          <p role="status" class="verdict ok">
            Intact: {count(report.checked)} events checked, head at #{String(report.headSeq)}.
          </p>
        ) : (
          <div role="alert" class="verdict bad">
            <p>
              <strong>The chain breaks at event #{String(report.failureSeq)}</strong>: {report.failureReason}
              {report.failureDetail ? ` (${report.failureDetail})` : ""}. {count(report.checked)} events checked before it; head at #{String(report.headSeq)}.
            </p>
            <p>
              <a href={`#/audit?afterSeq=${(report.failureSeq > 1n ? report.failureSeq - 2n : 0n).toString()}`}>Show the events around #{String(report.failureSeq)}</a>
            </p>
          </div>
        )
      ) : null}
    </section>
  );
}

export function AuditTrail({ api, query }: RouteContext) {
  const start = /^\d+$/.test(query.get("afterSeq") ?? "") ? BigInt(query.get("afterSeq") ?? "0") : 0n;
  const [draft, setDraft] = useState<Filters>(() => filtersFromQuery(query));
  const [filters, setFilters] = useState<Filters>(draft);
  // The after_seq of each page seen so far, so Previous can go back.
  const [trail, setTrail] = useState<bigint[]>([start]);
  const afterSeq = trail[trail.length - 1] ?? 0n;
  const page = useLoad(() => api.admin.queryAuditEvents(request(filters, afterSeq)), [JSON.stringify(filters), afterSeq.toString()]);
  const set = (k: keyof Filters) => (v: string) => setDraft({ ...draft, [k]: v });
  const next = page.data?.nextAfterSeq ?? 0n;

  return (
    <>
      <h1>Audit trail</h1>
      <p>Every call, allowed or denied, in chain order. No plaintext, key material, secret or signature is ever recorded.</p>
      <Form
        label="Audit filters"
        class="filters"
        onSubmit={() => {
          setFilters(draft);
          setTrail([0n]);
          if (start !== 0n) navigate("#/audit");
        }}
      >
        <div class="grid">
          <Field label="From (UTC)" type="datetime-local" value={draft.from} onValue={set("from")} />
          <Field label="To (UTC)" type="datetime-local" value={draft.to} onValue={set("to")} />
          <Field label="Principal UIN" inputMode="numeric" value={draft.principal} onValue={set("principal")} />
        </div>
        <div class="grid">
          <Field label="Action" value={draft.action} onValue={set("action")} placeholder="kms:Decrypt" />
          <Field label="Key ID" value={draft.keyId} onValue={set("keyId")} />
          <Field label="Result" value={draft.result} onValue={set("result")} placeholder="Success or an error code" />
          <Select label="Events per page" value={draft.limit} onValue={set("limit")} options={["20", "50", "100", "500"].map((v) => ({ value: v, label: v }))} />
        </div>
        <div class="row">
          <button type="submit">Apply filters</button>
          <button
            type="button"
            class="secondary outline"
            onClick={() => {
              setDraft(EMPTY);
              setFilters(EMPTY);
              setTrail([0n]);
            }}
          >
            Reset
          </button>
        </div>
      </Form>
      <Failure failure={page.failure} />
      {page.loading && !page.data ? <Loading what="events" /> : null}
      {page.data ? (
        <>
          <p role="status">
            {page.data.events.length === 0 ? "No matching events" : `Events #${String(page.data.events[0]?.seq)} to #${String(page.data.events.at(-1)?.seq)}`}
            {afterSeq > 0n ? ` after #${afterSeq.toString()}` : ""}
            {next !== 0n ? "; more follow." : "; end of the log."}
          </p>
          <div class="table-wrap">
            <table class="striped audit" aria-busy={page.loading ? "true" : undefined}>
              <caption class="visually-hidden">Audit events</caption>
              <thead>
                <tr>
                  <th scope="col">#</th>
                  <th scope="col">Time</th>
                  <th scope="col">Principal</th>
                  <th scope="col">Action</th>
                  <th scope="col">Keys</th>
                  <th scope="col">Result</th>
                  <th scope="col">Transport</th>
                  <th scope="col">Source</th>
                  <th scope="col">Latency</th>
                  <th scope="col">RequestId</th>
                </tr>
              </thead>
              <tbody>
                {page.data.events.map((e) => (
                  <tr key={String(e.seq)}>
                    <td>{String(e.seq)}</td>
                    <td>{timeMs(e.timeMs)}</td>
                    <td>{e.principalName ? `${e.principalName} (${String(e.principalUin)})` : "unauthenticated"}</td>
                    <td>{e.action}</td>
                    <td>
                      {e.keyIds.map((k) => (
                        <a key={k} href={`#/keys/${encodeURIComponent(k)}`}>
                          <code>{k.slice(0, 8)}…</code>
                        </a>
                      ))}
                    </td>
                    <td class={e.result === "Success" ? "" : "result-error"}>{e.result}</td>
                    <td>{e.transport}</td>
                    <td>{e.source}</td>
                    <td>{e.latencyMs.toFixed(1)} ms</td>
                    <td>
                      <code>{e.requestId}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Audit pages">
            <button type="button" class="secondary outline" disabled={trail.length <= 1} onClick={() => setTrail(trail.slice(0, -1))}>
              Previous
            </button>
            <button type="button" class="secondary outline" disabled={next === 0n} onClick={() => setTrail([...trail, next])}>
              Next
            </button>
          </nav>
        </>
      ) : null}
      <Verify api={api} />
    </>
  );
}
