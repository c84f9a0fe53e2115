/** Results of the scenarios: checks (pass/fail), figures for the table, findings about the service. */

export interface Check {
  name: string;
  ok: boolean;
  detail?: string;
}

export type Figure = number | string | boolean;

export interface ScenarioResult {
  scenario: string;
  ok: boolean;
  durationMs: number;
  figures: Record<string, Figure>;
  checks: Check[];
  /** Defects or notable behaviour of the service, each with how to reproduce. */
  findings: string[];
  /** Extra data for the JSON file (RSS samples, error tallies...). */
  data?: Record<string, unknown>;
}

export class Recorder {
  readonly checks: Check[] = [];
  readonly findings: string[] = [];
  readonly figures: Record<string, Figure> = {};
  readonly data: Record<string, unknown> = {};
  private readonly started = Date.now();

  constructor(readonly scenario: string) {}

  check(name: string, ok: boolean, detail?: string): boolean {
    // Keep the report readable: the same failing check is listed once, with a count.
    const existing = this.checks.find((c) => c.name === name);
    if (existing) {
      if (!ok) {
        existing.ok = false;
        const n = Number(/\(x(\d+)\)$/.exec(existing.detail ?? "")?.[1] ?? 1) + 1;
        existing.detail = `${(detail ?? existing.detail ?? "").replace(/ \(x\d+\)$/, "")} (x${n})`;
      }
      return ok;
    }
    this.checks.push({ name, ok, ...(detail !== undefined ? { detail } : {}) });
    return ok;
  }

  finding(text: string): void {
    if (!this.findings.includes(text)) this.findings.push(text);
  }

  figure(name: string, value: Figure): void {
    this.figures[name] = value;
  }

  result(): ScenarioResult {
    return {
      scenario: this.scenario,
      ok: this.checks.every((c) => c.ok),
      durationMs: Date.now() - this.started,
      figures: this.figures,
      checks: this.checks,
      findings: this.findings,
      data: this.data,
    };
  }
}

/** A scenario that threw: one failed check carrying the error. */
export function crashed(scenario: string, err: unknown, started: number): ScenarioResult {
  return {
    scenario,
    ok: false,
    durationMs: Date.now() - started,
    figures: {},
    checks: [{ name: "scenario ran to completion", ok: false, detail: err instanceof Error ? (err.stack ?? err.message) : String(err) }],
    findings: [],
  };
}

/** Collects distinct error codes with counts. */
export class Tally {
  readonly counts = new Map<string, number>();
  add(key: string, n = 1): void {
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
  total(): number {
    let t = 0;
    for (const v of this.counts.values()) t += v;
    return t;
  }
  toObject(): Record<string, number> {
    return Object.fromEntries([...this.counts.entries()].sort((a, b) => b[1] - a[1]));
  }
}
