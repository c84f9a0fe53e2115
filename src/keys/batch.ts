/**
 * BatchCryptoService: many Encrypt, Decrypt, GenerateDataKey or ReEncrypt
 * operations in one call. A batch action is the single action it stands for,
 * applied item by item through the pipeline (CallContext.invoke: each item
 * authorised, run and audited as if sent alone), so the table below is the
 * whole of it: which single method each batch method repeats.
 */
import type { DescMethod, MessageInitShape, MessageShape } from "@bufbuild/protobuf";
import type { BatchCryptoService } from "../../gen/kms/v1/batch_pb.js";
import { KeyManagementService } from "../../gen/kms/v1/kms_pb.js";
import type { ActionTable, CallContext } from "../call.js";
import { KmsError } from "../errors.js";
import type { KmsDeps } from "./deps.js";

/** Most items one batch call carries. */
export const MAX_BATCH_ITEMS = 1000;

/** A result as the Batch*Result messages' `result` oneof holds it. */
type ItemOutcome<M extends DescMethod> = { result: { case: "ok"; value: MessageInitShape<M["output"]> } | { case: "error"; value: { code: string; message: string } } };

/** The batch action that repeats `method` over `req.items`, in order. */
function batchOf<M extends DescMethod>(method: M) {
  return async (_deps: KmsDeps, req: { items: MessageShape<M["input"]>[] }, call: CallContext): Promise<{ results: ItemOutcome<M>[] }> => {
    const { items } = req;
    if (items.length === 0 || items.length > MAX_BATCH_ITEMS) throw new KmsError("InvalidParameterValue", `items must hold 1 to ${MAX_BATCH_ITEMS} requests`);
    const invoke = call.invoke;
    if (!invoke) throw new Error("batch actions run on a route registered with authorizesPerItem");
    const results: ItemOutcome<M>[] = [];
    for (let i = 0; i < items.length; i++) {
      const r = await invoke(method, items[i] as MessageShape<M["input"]>, i);
      results.push({ result: r.ok ? { case: "ok", value: r.output } : { case: "error", value: { code: r.code, message: r.message } } });
    }
    return { results };
  };
}

export const batchActions: ActionTable<typeof BatchCryptoService, KmsDeps> = {
  batchEncrypt: batchOf(KeyManagementService.method.encrypt),
  batchDecrypt: batchOf(KeyManagementService.method.decrypt),
  batchGenerateDataKey: batchOf(KeyManagementService.method.generateDataKey),
  batchReEncrypt: batchOf(KeyManagementService.method.reEncrypt),
};
