/** MetricsService's actions table, typed against the service like keys/actions/index.ts. */
import type { MetricsService } from "../../../gen/kms/v1/metrics_pb.js";
import type { ActionTable } from "../../call.js";
import type { Metrics } from "../metrics.js";
import { getMetrics } from "./get-metrics.js";

/** What GetMetrics reads: the server's registry, undefined when KMS_METRICS_ADDR is unset. */
export interface MetricsDeps {
  metrics: Metrics | undefined;
}

export const metricsActions: ActionTable<typeof MetricsService, MetricsDeps> = {
  getMetrics,
};
