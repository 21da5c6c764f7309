// Talks to the wallet service over HTTP the way an operator and Stripe do: secrets for a
// throwaway service, app tokens, and top-ups delivered as signed Checkout Session events.

import {
  checkoutSessionEvent,
  mintAppToken,
  newSecrets,
  nowSeconds,
  stripeBody,
  stripeSignature,
} from "../../tests/workerd/fixtures.mjs";

export { newSecrets };

/** The app the benchmark identifies and reads balances as, over HTTP. */
const BENCH_APP = "bench";

/** Returns the secrets as an env file for `wrangler dev --env-file`. */
export function envFileText(secrets) {
  return Object.entries(secrets).map(([name, value]) => `${name}=${value}\n`).join("");
}

/** The wallet service as the benchmark's operator sees it. */
export class WalletAdmin {
  constructor(url, secrets) {
    this.url = url;
    this.secrets = secrets;
    this.token = mintAppToken(secrets.APP_TOKEN_SECRET, { sub: BENCH_APP, iat: nowSeconds() });
  }

  async call(path, body) {
    const response = await fetch(this.url + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", Authorization: `Bearer ${this.token}` },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status !== 200) {
      throw new Error(`${path} answered ${response.status}: ${text.slice(0, 300)}`);
    }
    return JSON.parse(text);
  }

  /** Opens a new wallet; returns identify's answer (user_token, client_reference_id, …). */
  newWallet() {
    return this.call("/v1/identify", { user_token: null });
  }

  /** Returns the wallet's balance in cents. */
  async balance(userToken) {
    return (await this.call("/v1/balance", { user_token: userToken })).balance;
  }

  /** Credits `amount` cents to `wallet` through a signed `checkout.session.completed`. */
  async topUp(wallet, amount) {
    const event = checkoutSessionEvent({
      clientReferenceId: wallet.client_reference_id,
      amountTotal: amount,
      currency: wallet.currency,
    });
    const body = stripeBody(event);
    const signature = stripeSignature(body, this.secrets.STRIPE_WEBHOOK_SIGNING_SECRET, nowSeconds());
    const response = await fetch(`${this.url}/stripe-webhook`, {
      method: "POST",
      headers: { "Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature },
      body,
    });
    const text = await response.text();
    if (response.status !== 200 || JSON.parse(text).action !== "credited") {
      throw new Error(`a top-up was not credited: ${response.status} ${text.slice(0, 300)}`);
    }
  }
}
