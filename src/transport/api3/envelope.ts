/** API 3.0 answers: {"Response": {..., "RequestId"}}. Errors too are HTTP 200 (the SDKs read codes only then). */
import type { Outcome } from "../../pipeline/outcome.js";
import type { JsonValue } from "./translate.js";

/** Exactly this: the Python SDK ignores errors under any other content type. */
export const CONTENT_TYPE = "application/json";

export function successBody(fields: Record<string, JsonValue>, requestId: string): string {
  return JSON.stringify({ Response: { ...fields, RequestId: requestId } });
}

export function errorBody(outcome: Outcome, requestId: string): string {
  return JSON.stringify({ Response: { Error: { Code: outcome.code, Message: outcome.message }, RequestId: requestId } });
}
