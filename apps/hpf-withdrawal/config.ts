/**
 * The withdrawal app's configuration, read once from the environment. Every
 * bad variable is named in one error.
 *
 * - `HPF_APP_HOST` (127.0.0.1), `HPF_APP_PORT` (4100): where the app listens
 * - `GATEWAY_URL` (http://127.0.0.1:4000/graphql): the gateway it asks
 * - `HPF_TOKEN_KEY` (`DATA_DIR/keys/dev-issuer.private.jwk.json`): the
 *   development identity provider's key its citizen-bound tokens are signed
 *   with (in production the identity provider issues them on consent)
 * - `TOKEN_ISSUER`, `TOKEN_AUDIENCE`: as the gateway expects
 */
import { resolve } from "node:path";
import { EnvReader } from "../../platform/EnvReader.ts";
import { devKeyPaths } from "../../platform/security/keys.ts";

/** The app's registered id and its purpose code. */
export const HPF_APP_ID = "app:hpf-withdrawal";
export const HPF_PURPOSE = "HPF_WITHDRAWAL_LOAN_REPAYMENT";

export interface HpfAppConfig {
  host: string;
  port: number;
  gatewayUrl: string;
  tokenKeyPath: string;
  tokenIssuer: string;
  tokenAudience: string;
}

/** @throws ConfigError naming every bad variable */
export function readHpfAppConfig(env: NodeJS.ProcessEnv = process.env): Readonly<HpfAppConfig> {
  const reader = new EnvReader(env);
  const keys = devKeyPaths(resolve(reader.string("DATA_DIR", ".data")));
  const config: HpfAppConfig = {
    host: reader.string("HPF_APP_HOST", "127.0.0.1"),
    port: reader.port("HPF_APP_PORT", 4100),
    gatewayUrl: reader.httpUrl("GATEWAY_URL", "http://127.0.0.1:4000/graphql"),
    tokenKeyPath: resolve(reader.string("HPF_TOKEN_KEY", keys.issuerPrivate)),
    tokenIssuer: reader.string("TOKEN_ISSUER", "urn:gov-data-gateway:dev-issuer"),
    tokenAudience: reader.string("TOKEN_AUDIENCE", "urn:gov-data-gateway"),
  };
  reader.finish("hpf-withdrawal");
  return Object.freeze(config);
}
