/**
 * GetMetrics: the metrics registry's exposition, as the metrics listener
 * serves it, through the authenticated API (policy "kmsadmin:GetMetrics").
 * Metrics off is a state, not an error: enabled false, so a reader such as
 * the console's dashboard can fall back to another source without an error
 * in the audit trail.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { GetMetricsRequest, GetMetricsResponseSchema } from "../../../gen/kms/v1/metrics_pb.js";
import type { CallContext } from "../../call.js";
import { KmsError } from "../../errors.js";
import type { MetricsDeps } from "./index.js";

export async function getMetrics(deps: MetricsDeps, _req: GetMetricsRequest, _call: CallContext): Promise<MessageInitShape<typeof GetMetricsResponseSchema>> {
  if (!deps.metrics) return { enabled: false, text: "" };
  let text: string;
  try {
    text = await deps.metrics.render();
  } catch (err) {
    throw new KmsError("InternalError", "the metrics could not be rendered", err);
  }
  return { enabled: true, text };
}
