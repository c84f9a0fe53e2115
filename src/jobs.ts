/**
 * The job runner: the one place that runs the service's time-driven work.
 * Each family adds its jobs (key purges and rotations, secret purges, product
 * rotations); a pass runs every job once, in the order they were added, and
 * passes run once at start and then every interval. A job that fails is
 * logged and the others still run; two passes never overlap (a pass asked for
 * while one runs waits for it, then runs).
 *
 * One object with start/stop/runOnce, so that where it runs can be decided
 * elsewhere (today: every process; later: an elected leader).
 */

import type { Journal } from "./call.js";

/**
 * How a job writes one change so that the audit trail shows it: a journal
 * that adds a system event naming `action`, the `subjects` and the owning
 * `account` to the change's batch (src/audit/system.ts). Absent: plain batches.
 */
export type SystemJournals = (action: string, subjects: readonly string[], account?: string) => Journal;

/** One piece of work a pass did: its kind ("key-deletion", "secret-purge") and what it was about. */
export interface JobDone {
  kind: string;
  subject: string;
}

export interface Job {
  /** Names the job in the log. */
  name: string;
  /** Does whatever is due now; returns what it did. */
  run(): Promise<readonly JobDone[]>;
}

export class JobRunner {
  private readonly jobs: Job[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly intervalMs: number,
    private readonly log: (msg: string) => void,
  ) {}

  /** Adds a job; it runs from the next pass on. */
  add(job: Job): this {
    if (this.jobs.some((j) => j.name === job.name)) throw new Error(`job ${job.name} added twice`);
    this.jobs.push(job);
    return this;
  }

  /** Runs one pass now (after any pass under way) and returns what every job did. */
  runOnce(): Promise<JobDone[]> {
    const pass = this.running.then(() => this.pass());
    this.running = pass.catch(() => undefined);
    return pass;
  }

  /** Runs a first pass (work that fell due while the service was down happens now), then one every interval. */
  async start(): Promise<JobDone[]> {
    if (this.timer) throw new Error("the job runner is already started");
    this.timer = setInterval(() => {
      this.runOnce().then(
        (done) => done.length > 0 && this.log(`jobs: ${done.map((d) => `${d.kind} ${d.subject}`).join(", ")}`),
        (err: unknown) => this.log(`jobs: pass failed: ${(err as Error).message}`),
      );
    }, this.intervalMs);
    this.timer.unref();
    return this.runOnce();
  }

  /** No new pass starts; resolves once the pass under way (if any) has ended. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private async pass(): Promise<JobDone[]> {
    const done: JobDone[] = [];
    for (const job of this.jobs) {
      try {
        done.push(...(await job.run()));
      } catch (err) {
        this.log(`jobs: ${job.name} failed: ${(err as Error).message}`);
      }
    }
    return done;
  }
}
