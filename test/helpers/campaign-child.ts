/**
 * A candidate in its own process, for the election tests: opens the etcd
 * store named by argv (endpoints, prefix), campaigns for "jobs" with a TTL,
 * and prints "leading <ms>" / "lost <ms>" (wall clock) as that changes.
 * Killed with -9 or frozen with SIGSTOP by the test.
 */
import { openEtcdStore } from "../../src/store/etcd-store.js";
import { coordinationOf } from "../../src/store/open.js";

const [endpoints = "", prefix = "", name = "child", ttl = "2"] = process.argv.slice(2);
const store = await openEtcdStore({ endpoints: endpoints.split(","), prefix });
coordinationOf(store).campaign("jobs", name, Number(ttl), (leading) => process.stdout.write(`${leading ? "leading" : "lost"} ${Date.now()}\n`));
process.stdout.write("campaigning\n");
setInterval(() => undefined, 1_000);
