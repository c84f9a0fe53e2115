/**
 * A private SoftHSM2 token store in a temp dir (Debian's softhsm2; .ci/run
 * installs it). Tests that need it skip with a message when it is missing,
 * unless CI is set: there a missing softhsm2 is a failure.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, mkdir, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

const LIBRARIES = ["/usr/lib/softhsm/libsofthsm2.so", "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so", "/usr/lib/aarch64-linux-gnu/softhsm/libsofthsm2.so"];

export const softhsmLibrary: string | undefined = LIBRARIES.find((p) => existsSync(p));
const util = ["/usr/bin/softhsm2-util", "/usr/local/bin/softhsm2-util"].find((p) => existsSync(p));

/** Why the SoftHSM2 tests cannot run here, or undefined when they can. */
export function softhsmMissing(): string | undefined {
  if (softhsmLibrary && util) return undefined;
  const why = "softhsm2 is not installed (apt-get install softhsm2): skipping the PKCS#11 tests";
  if (process.env.CI) throw new Error(`${why.split(":")[0]}, and CI is set: .ci/run must install it`);
  console.warn(why);
  return why;
}

export interface SoftHsm {
  dir: string;
  library: string;
  /** Initialises a token in a free slot. */
  initToken(label: string, pin: string, soPin?: string): void;
  cleanup(): Promise<void>;
}

/** A token directory of its own; SOFTHSM2_CONF points this process (and its children) at it. */
export async function createSoftHsm(): Promise<SoftHsm> {
  const dir = await mkdtemp(join(tmpdir(), "kms-softhsm-"));
  await mkdir(join(dir, "tokens"));
  const conf = join(dir, "softhsm2.conf");
  await writeFile(conf, `directories.tokendir = ${join(dir, "tokens")}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  process.env.SOFTHSM2_CONF = conf;
  return {
    dir,
    library: softhsmLibrary as string,
    initToken(label, pin, soPin = "12345678") {
      execFileSync(util as string, ["--init-token", "--free", "--label", label, "--so-pin", soPin, "--pin", pin], { env: { ...process.env, SOFTHSM2_CONF: conf }, stdio: "pipe" });
    },
    async cleanup() {
      await rm(dir, { recursive: true, force: true });
    },
  };
}
