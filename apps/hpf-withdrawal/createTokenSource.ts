/**
 * The app's citizen-bound tokens: app `app:hpf-withdrawal`, purpose
 * HPF_WITHDRAWAL_LOAN_REPAYMENT, bound to exactly the citizens who consented,
 * with only the scopes the rule needs, for five minutes. In development the
 * dev identity provider's key signs them; in production the identity
 * provider would issue them when the citizens consent.
 */
import { loadSigningKey } from "../../platform/security/keys.ts";
import { signDevToken } from "../../platform/security/signDevToken.ts";
import { HPF_APP_ID, HPF_PURPOSE, type HpfAppConfig } from "./config.ts";

/** What the rule reads (verification scope for the dishonest-debtor check). */
export const DECISION_SCOPES = ["civil-affairs:marriage", "housing-fund:account", "housing-fund:balance", "housing-fund:loan", "credit:verify"] as const;
/** What the citizen's own access-log view reads. */
export const ACCESS_LOG_SCOPES = ["self:access-log"] as const;

export interface TokenSource {
  tokenFor(citizens: readonly string[], scopes: readonly string[]): Promise<string>;
}

export async function createTokenSource(config: Pick<HpfAppConfig, "tokenKeyPath" | "tokenIssuer" | "tokenAudience">): Promise<TokenSource> {
  const key = await loadSigningKey(config.tokenKeyPath);
  return {
    tokenFor: (citizens, scopes) =>
      signDevToken({ key, issuer: config.tokenIssuer, audience: config.tokenAudience, subject: HPF_APP_ID, scopes, purpose: HPF_PURPOSE, citizens, ttlSeconds: 300 }),
  };
}
