/** Short mode (RELIABILITY_SHORT=1 or CI=true) for CI, well under a minute; the full mode by hand. */
export interface Mode {
  short: boolean;
  kills: number;
  fuzzGateway: number;
  fuzzGrpc: number;
  loadSeconds: number;
  loadClients: number;
  raceClients: number;
  raceOpsPerClient: number;
  propertyRuns: number;
}

export function modeFromEnv(env: NodeJS.ProcessEnv = process.env): Mode {
  const short = env.RELIABILITY_SHORT === "1" || env.RELIABILITY_SHORT === "true" || env.CI === "true";
  const num = (name: string, fallback: number) => {
    const v = Number(env[name]);
    return Number.isInteger(v) && v > 0 ? v : fallback;
  };
  return short
    ? { short, kills: 3, fuzzGateway: 300, fuzzGrpc: 300, loadSeconds: 3, loadClients: 64, raceClients: 8, raceOpsPerClient: 15, propertyRuns: 60 }
    : {
        short,
        kills: num("RELIABILITY_KILLS", 24),
        fuzzGateway: num("RELIABILITY_FUZZ", 5000),
        fuzzGrpc: num("RELIABILITY_FUZZ", 5000),
        loadSeconds: num("RELIABILITY_LOAD_SECONDS", 60),
        loadClients: 64,
        raceClients: 32,
        raceOpsPerClient: 60,
        propertyRuns: 500,
      };
}
