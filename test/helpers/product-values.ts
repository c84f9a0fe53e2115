/**
 * A ProductSecretValues over the real store, sealed under the root key, as
 * the secrets family's versions will be (there under the secret's CMK): the
 * current and previous credentials of each product secret, and a version
 * counter. Until the secrets family lands, this is how the rotation tests
 * see what a secret would serve.
 */
import type { RootKey } from "../../src/crypto/seal.js";
import type { BatchOp, KvStore } from "../../src/store/store.js";
import type { ProductCredentials, ProductSecretValues, SecretRef } from "../../src/secrets/products/values.js";

interface Stored {
  current?: string;
  previous?: string;
  versions: number;
  failed?: string;
}

const key = (ref: SecretRef) => `v1/test-product-values/${ref.uin}/${ref.region}/${ref.secretName}`;
const label = (ref: SecretRef, slot: "current" | "previous") => `test/product-values/${ref.uin}/${ref.region}/${ref.secretName}/${slot}`;

export function sealedProductValues(store: KvStore, rootKey: RootKey): ProductSecretValues & { failure(ref: SecretRef): Promise<string | undefined> } {
  const load = async (ref: SecretRef): Promise<Stored> => {
    const bytes = await store.get(key(ref));
    return bytes ? (JSON.parse(Buffer.from(bytes).toString("utf8")) as Stored) : { versions: 0 };
  };
  const open = (ref: SecretRef, slot: "current" | "previous", sealed: string | undefined): ProductCredentials | undefined =>
    sealed === undefined ? undefined : (JSON.parse(Buffer.from(rootKey.unseal(Buffer.from(sealed, "base64"), label(ref, slot))).toString("utf8")) as ProductCredentials);
  const seal = (ref: SecretRef, slot: "current" | "previous", c: ProductCredentials) =>
    Buffer.from(rootKey.seal(Buffer.from(JSON.stringify(c), "utf8"), label(ref, slot))).toString("base64");
  const put = (ref: SecretRef, s: Stored): BatchOp => ({ type: "put", key: key(ref), value: Buffer.from(JSON.stringify(s), "utf8") });

  return {
    async read(ref) {
      const s = await load(ref);
      const current = open(ref, "current", s.current);
      const previous = open(ref, "previous", s.previous);
      return { ...(current ? { current } : {}), ...(previous ? { previous } : {}) };
    },
    async commitOps(ref, next) {
      const s = await load(ref);
      const current = open(ref, "current", s.current);
      const after: Stored = { versions: s.versions + 1, current: seal(ref, "current", next), ...(current ? { previous: seal(ref, "previous", current) } : {}) };
      return { ops: [put(ref, after)], versionId: `v${after.versions}` };
    },
    async assertRotatable() {
      // Every secret of this store may rotate: it has no states of its own.
    },
    async failOps(ref, at) {
      if (at.kind !== "create") return { ops: [] };
      const s = await load(ref);
      return { ops: [put(ref, { ...s, failed: at.reason })] };
    },
    async failure(ref) {
      return (await load(ref)).failed;
    },
  };
}
