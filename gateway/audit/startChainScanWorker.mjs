// The entry of a ChainScanThread's worker (gateway/audit/chainScanThread.ts): plain JavaScript, so that the thread can
// load the TypeScript worker through tsx's loader whatever runs the main thread (tsx, vitest).
import { register } from "tsx/esm/api";

register();
await import("./chainScanWorker.ts");
