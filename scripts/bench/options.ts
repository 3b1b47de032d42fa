/** The bench's command-line options (`npm run bench -- --help`). */
import { FEATURE_NAMES } from "./features.ts";

export type GatewayKey = "apollo" | "hive" | "this";
export const GATEWAY_KEYS: readonly GatewayKey[] = ["apollo", "hive", "this"];
export const WORKLOAD_NAMES = ["one-stop", "batch-50", "verify"] as const;
/** The workloads the per-feature rows run (verify: the only one that spends verification budget). */
export const FEATURE_WORKLOADS = ["one-stop", "verify"];

export interface BenchOptions {
  citizens: number;
  durationS: number;
  rounds: number;
  connections: number;
  warmupS: number;
  memoryRequests: number;
  json: boolean;
  profile: boolean;
  workloads: string[];
  gateways: GatewayKey[];
  scaleSizes: number[];
  keepData: boolean;
  maxMinutes: number;
  /** Features to measure one this-gateway row each with that feature off. */
  features: string[];
}

export const USAGE = `npm run bench -- [options]
  --citizens N          generated citizens to seed (10000)
  --duration S          seconds per measurement (10)
  --warmup S            seconds of unmeasured load before each measurement, same run (5)
  --rounds N            rounds of A B C per workload; medians are reported (3)
  --connections N       concurrent connections (64)
  --workloads LIST      comma-separated, of ${WORKLOAD_NAMES.join(", ")} (all); "none" for none
  --gateways LIST       comma-separated, of ${GATEWAY_KEYS.join(", ")} (all)
  --scale LIST          ids per request for the SQL-statement and throughput scale test (10,50,100); "none" to skip
  --memory-requests N   requests of the memory test on this gateway (100000); 0 to skip
  --features LIST       features to measure one row each with that feature off, on ${FEATURE_WORKLOADS.join(" and ")}: of ${FEATURE_NAMES.join(", ")} (all); "none" for none
  --profile             also profile this gateway (node --cpu-prof) under one-stop for --duration
  --json                print one JSON line of the results at the end
  --keep-data           keep the run's data (PGlite DATA_DIR, or the bench_* databases)
  --max-minutes N       stop everything and fail after this long (180)
Results are saved under scripts/bench/results/. DATABASE_URL set: seeds databases bench_<agency> on that server.
Other benches: --audit (the audit log at scale), --replicas (one gateway replica and two behind nginx; --replicas --help).`;

function list(value: string, allowed: readonly string[], name: string): string[] {
  if (value === "none") return [];
  const items = value.split(",").map((s) => s.trim()).filter(Boolean);
  for (const item of items) if (!allowed.includes(item)) throw new Error(`--${name}: unknown ${JSON.stringify(item)} (known: ${allowed.join(", ")})`);
  return items;
}

/** @throws Error naming the bad option */
export function parseOptions(argv: readonly string[]): BenchOptions | "help" {
  const options: BenchOptions = {
    citizens: 10_000,
    durationS: 10,
    rounds: 3,
    connections: 64,
    warmupS: 5,
    memoryRequests: 100_000,
    json: false,
    profile: false,
    workloads: [...WORKLOAD_NAMES],
    gateways: [...GATEWAY_KEYS],
    scaleSizes: [10, 50, 100],
    keepData: false,
    maxMinutes: 180,
    features: [...FEATURE_NAMES],
  };
  const number = (name: string, raw: string | undefined, min: number, max: number, integer = true): number => {
    const value = Number(raw);
    if (raw === undefined || !Number.isFinite(value) || value < min || value > max || (integer && !Number.isInteger(value))) {
      throw new Error(`--${name} must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}`);
    }
    return value;
  };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case "--help":
      case "-h":
        return "help";
      case "--citizens":
        options.citizens = number("citizens", value(), 200, 1_000_000);
        break;
      case "--duration":
        options.durationS = number("duration", value(), 1, 600, false);
        break;
      case "--warmup":
        options.warmupS = number("warmup", value(), 0, 120, false);
        break;
      case "--rounds":
        options.rounds = number("rounds", value(), 1, 20);
        break;
      case "--connections":
        options.connections = number("connections", value(), 1, 1024);
        break;
      case "--memory-requests":
        options.memoryRequests = number("memory-requests", value(), 0, 10_000_000);
        break;
      case "--workloads":
        options.workloads = list(value() ?? "", WORKLOAD_NAMES, "workloads");
        break;
      case "--gateways":
        options.gateways = list(value() ?? "", GATEWAY_KEYS, "gateways") as GatewayKey[];
        break;
      case "--scale": {
        const sizes = value() ?? "";
        options.scaleSizes = sizes === "none" ? [] : sizes.split(",").map((s) => number("scale", s, 1, 100));
        break;
      }
      case "--max-minutes":
        options.maxMinutes = number("max-minutes", value(), 1, 600);
        break;
      case "--features":
        options.features = list(value() ?? "", FEATURE_NAMES, "features");
        break;
      case "--json":
        options.json = true;
        break;
      case "--profile":
        options.profile = true;
        break;
      case "--keep-data":
        options.keepData = true;
        break;
      default:
        throw new Error(`unknown option ${flag}\n${USAGE}`);
    }
  }
  return options;
}
