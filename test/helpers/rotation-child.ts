/**
 * A process that rotates one product secret over and over until it is
 * killed (-9) by products-rotation.test.ts. Environment: DIR (the test's
 * store dir), ROOT_KEY (base64), SECRET (the secret's name).
 */
import { join } from "node:path";
import { ManualClock } from "../../src/clock.js";
import { createRootKey } from "../../src/crypto/seal.js";
import { LockSet } from "../../src/keys/locks.js";
import { openLevelStore } from "../../src/store/level-store.js";
import { createProductRegistry } from "../../src/secrets/products/registry.js";
import { RotationEngine } from "../../src/secrets/products/rotation.js";
import { sealedProductValues } from "./product-values.js";
import { SCOPE, testBackend } from "./products-world.js";

const dir = process.env.DIR ?? "";
const rootKey = createRootKey(Buffer.from(process.env.ROOT_KEY ?? "", "base64"));
const store = await openLevelStore(join(dir, "db"), { sync: true });
const engine = new RotationEngine({
  store,
  rootKey,
  clock: new ManualClock(),
  locks: new LockSet(),
  products: createProductRegistry([testBackend()]),
  values: sealedProductValues(store, rootKey),
});
await engine.recover();
process.stdout.write("ready\n");
const ref = { ...SCOPE, secretName: process.env.SECRET ?? "" };
for (;;) {
  const flow = await engine.startRotation(ref);
  const end = await engine.launch(flow.flowId);
  process.stdout.write(`${end.state === "Done" ? "done" : end.state} ${flow.flowId}\n`);
}
