/**
 * Store keys of product secrets, under their own space:
 *
 *   v1/secrets-products/instances/<uin>/<region>/<instanceId>   registered database instance (admin password sealed)
 *   v1/secrets-products/bindings/<uin>/<region>/<secretName>    a secret's accounts, hosts, privileges, rotation policy
 *   v1/secrets-products/flows/<flowId>                          one create or rotation flow (FlowID), any state
 *   v1/secrets-products/active-flows/<flowId>                   flows not yet Done or Failed (what recovery resumes)
 *   v1/secrets-products/history/<uin>/<region>/<secretName>/<flowId>   a secret's flows, oldest first
 *   v1/secrets-products/schedule/<dateMs>/<uin>/<region>/<secretName>  next automatic rotation, ordered by date
 *
 * Caller-chosen names (instance ids, secret names) never hold "/" (validated),
 * so every key splits back into its parts. Numbers are zero-padded so byte
 * order is numeric order.
 */
import { SCHEMA } from "../../store/keyspace.js";

const SPACE = `${SCHEMA}/secrets-products`;
const id16 = (n: number) => String(n).padStart(16, "0");

export const productKeys = {
  instance: (uin: string, region: string, instanceId: string) => `${SPACE}/instances/${uin}/${region}/${instanceId}`,
  instancesPrefix: (uin: string, region: string) => `${SPACE}/instances/${uin}/${region}/`,
  binding: (uin: string, region: string, secretName: string) => `${SPACE}/bindings/${uin}/${region}/${secretName}`,
  bindingsPrefix: (uin: string, region: string) => `${SPACE}/bindings/${uin}/${region}/`,
  flow: (flowId: number) => `${SPACE}/flows/${id16(flowId)}`,
  flowsPrefix: `${SPACE}/flows/`,
  activeFlow: (flowId: number) => `${SPACE}/active-flows/${id16(flowId)}`,
  activeFlowsPrefix: `${SPACE}/active-flows/`,
  history: (uin: string, region: string, secretName: string, flowId: number) => `${SPACE}/history/${uin}/${region}/${secretName}/${id16(flowId)}`,
  historyPrefix: (uin: string, region: string, secretName: string) => `${SPACE}/history/${uin}/${region}/${secretName}/`,
  schedule: (dateMs: number, uin: string, region: string, secretName: string) =>
    `${SPACE}/schedule/${String(dateMs).padStart(15, "0")}/${uin}/${region}/${secretName}`,
  schedulePrefix: `${SPACE}/schedule/`,
} as const;

/** The flow id at the end of a flows/active-flows/history key. */
export function flowIdOfKey(key: string): number {
  return Number(key.slice(key.lastIndexOf("/") + 1));
}
