/**
 * Cloud resource bindings: which product resources use a key. A bound key
 * cannot be scheduled for deletion or archived, as Tencent documents.
 */
import { KmsError } from "../errors.js";
import type { CallContext } from "../call.js";
import type { KmsDeps } from "./deps.js";
import type { CloudBinding, KeyRecord } from "./key.js";
import { changeKeys } from "./change.js";
import { resolveKey } from "./resolver.js";
import { assertKeyId } from "./validate.js";

/** At most this many bindings per key: a record stays small. */
export const MAX_BINDINGS = 100;

const PRINTABLE = /^[\x21-\x7e]+$/;

export function assertBinding(productId: string, resourceId: string): void {
  if (productId.length === 0 || productId.length > 64 || !PRINTABLE.test(productId))
    throw new KmsError("InvalidParameter", "ProductId must be 1 to 64 printable ASCII characters");
  if (resourceId.length === 0 || resourceId.length > 256 || !PRINTABLE.test(resourceId))
    throw new KmsError("InvalidParameter", "ResourceId must be 1 to 256 printable ASCII characters");
}

/** The binding a Bind/Unbind request names, checked. */
export interface BindingRequest {
  keyId: string;
  productId: string;
  resourceId: string;
}

/**
 * Validates the request, resolves the key under its lock for `purpose` (bind:
 * the state table's BindCloudResource row; unbind: any state), and writes the
 * binding list `change` returns (undefined: nothing to write), in one batch.
 */
export async function changeBindings(
  deps: KmsDeps,
  req: BindingRequest,
  call: CallContext,
  purpose: "bind" | "describe",
  change: (key: KeyRecord, binding: CloudBinding) => CloudBinding[] | undefined,
): Promise<void> {
  assertKeyId(req.keyId);
  assertBinding(req.productId, req.resourceId);
  const binding = { productId: req.productId, resourceId: req.resourceId };
  await changeKeys(deps, [req.keyId], async () => {
    const key = await resolveKey(deps, call, purpose, req.keyId);
    const bindings = change(key, binding);
    if (!bindings) return;
    const after: KeyRecord = { ...key, bindings };
    if (bindings.length === 0) delete after.bindings;
    await deps.repo.commit([deps.repo.putKey(after)], call.journal, [deps.repo.guardOf(key)]);
  });
}

export function hasBinding(key: KeyRecord, b: CloudBinding): boolean {
  return (key.bindings ?? []).some((x) => x.productId === b.productId && x.resourceId === b.resourceId);
}
