/** API 3.0 answers: {"Response": {..., "RequestId"}}. Errors too are HTTP 200 (the SDKs read codes only then). */
import { KmsError } from "../errors.js";
import type { JsonValue } from "./translate.js";

/** Exactly this: the Python SDK ignores errors under any other content type. */
export const CONTENT_TYPE = "application/json";

export function successBody(fields: Record<string, JsonValue>, requestId: string): string {
  return JSON.stringify({ Response: { ...fields, RequestId: requestId } });
}

/** A KmsError keeps its code and message; anything else is an InternalError with a fixed message. */
export function errorBody(err: unknown, requestId: string): string {
  const e = err instanceof KmsError ? err : new KmsError("InternalError", "internal error");
  return JSON.stringify({ Response: { Error: { Code: e.code, Message: e.message }, RequestId: requestId } });
}
