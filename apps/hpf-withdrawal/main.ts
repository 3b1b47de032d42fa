// The housing-fund loan-repayment withdrawal app (apps/hpf-withdrawal): listens and prints its URL.
import { listen } from "../../platform/http/createGraphQLHttpServer.ts";
import { readHpfAppConfig } from "./config.ts";
import { createHpfWithdrawalApp } from "./createHpfWithdrawalApp.ts";

const config = readHpfAppConfig();
const app = await createHpfWithdrawalApp(config);
const url = await listen(app.server, config.port, config.host, "/");
console.log(`hpf-withdrawal ready at ${url}`);
const stop = () => app.server.close(() => process.exit(0));
process.on("SIGINT", stop);
process.on("SIGTERM", stop);
