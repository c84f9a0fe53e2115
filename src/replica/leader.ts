/**
 * Scheduled jobs run on one elected leader among the replicas. Wraps any
 * runner with start/stop (the keys scheduler today, the job runner of
 * src/jobs.ts when it lands): started when this replica is elected, stopped
 * when it loses the role (its lease could not be renewed in time) or shuts
 * down. A dead leader holds the role for at most its lease (KMS_LEADER_TTL_S).
 *
 * The election saves work; it is not what makes a job run once. Every job is
 * idempotent by its guarded batch (a key's purge or rotation is refused by
 * the store when the record it read has changed, and the re-read finds the
 * entry stale), so even two replicas that both believe they lead, for the
 * moments around a failover, do each job once.
 */
import type { Logger } from "../log.js";
import type { Coordination } from "../store/coordination.js";

/** What the leader runs: a first pass at start, then passes on its own timer until stopped. */
export interface JobRunner {
  start(): Promise<unknown>;
  stop(): Promise<void>;
}

export const JOBS_ROLE = "jobs";

export interface Leadership {
  readonly leading: boolean;
  /** Leaderships gained so far (figures for the tests and the log). */
  readonly terms: number;
  /** Resolves once this replica has led and run its first pass (on LevelDB: at once). */
  readonly firstPass: Promise<void>;
  /** Resigns (another replica takes over at once) and stops the runner. */
  stop(): Promise<void>;
}

export function runWhileLeading(coordination: Coordination, candidate: string, ttlS: number, runner: JobRunner, log: Logger): Leadership {
  let transitions: Promise<void> = Promise.resolve();
  let terms = 0;
  let running = false;
  let firstPassDone!: () => void;
  const firstPass = new Promise<void>((resolve) => (firstPassDone = resolve));
  const campaign = coordination.campaign(JOBS_ROLE, candidate, ttlS, (leading) => {
    transitions = transitions.then(async () => {
      if (leading && !running) {
        terms++;
        running = true;
        log.info(`kms: replica ${candidate} leads; it runs the scheduled jobs`);
        await runner.start().catch((err: unknown) => log.error("kms: the first pass of the scheduled jobs failed", err));
        firstPassDone();
      } else if (!leading && running) {
        running = false;
        log.warn(`kms: replica ${candidate} no longer leads; its scheduled jobs stop`);
        await runner.stop();
      }
    });
  });
  return {
    get leading() {
      return campaign.leading;
    },
    get terms() {
      return terms;
    },
    firstPass,
    async stop() {
      await campaign.resign();
      await transitions;
      if (running) {
        running = false;
        await runner.stop();
      }
    },
  };
}
