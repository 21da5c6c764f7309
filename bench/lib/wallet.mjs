// Talks to the wallet service over HTTP the way an operator and Stripe do: secrets for a
// throwaway service, app tokens, and top-ups delivered as signed Checkout Session events.

import { createHmac, randomBytes } from "node:crypto";

/** The app the benchmark identifies and reads balances as, over HTTP. */
const BENCH_APP = "bench";

/** The Payment Link the throwaway service hands out; nothing ever opens it. */
const PAYMENT_LINK = "https://buy.stripe.com/test_bench000000000";

/** Returns fresh secrets of the shape the real ones have. */
export function newSecrets() {
  return {
    STRIPE_SECRET: `sk_test_${randomToken(48)}`,
    STRIPE_WEBHOOK_SIGNING_SECRET: `whsec_${randomToken(32)}`,
    STRIPE_PAYMENT_LINK: PAYMENT_LINK,
    APP_TOKEN_SECRET: randomBytes(32).toString("hex"),
    CLIENT_REFERENCE_SECRET: randomBytes(32).toString("hex"),
  };
}

/** Returns the secrets as an env file for `wrangler dev --env-file`. */
export function envFileText(secrets) {
  return Object.entries(secrets).map(([name, value]) => `${name}=${value}\n`).join("");
}

function randomToken(length) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join("");
}

function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/** Returns an app token (a JWT signed with HS256) for `app`. */
function appToken(secret, app) {
  const encode = (value) => Buffer.from(JSON.stringify(value)).toString("base64url");
  const signingInput = `${encode({ alg: "HS256", typ: "JWT" })}.${encode({
    sub: app,
    iat: nowSeconds(),
  })}`;
  const signature = createHmac("sha256", secret).update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
}

/**
 * Returns a Checkout Session event as Stripe sends it for a Payment Link paid in full, with
 * the fields the service reads and the ones around them.
 */
function checkoutSessionCompleted({ clientReferenceId, amountTotal, currency }) {
  const created = nowSeconds();
  return {
    id: `evt_1${randomToken(23)}`,
    object: "event",
    api_version: "2024-06-20",
    created,
    data: {
      object: {
        id: `cs_test_a1${randomToken(56)}`,
        object: "checkout.session",
        amount_subtotal: amountTotal,
        amount_total: amountTotal,
        client_reference_id: clientReferenceId,
        created: created - 30,
        currency,
        customer_details: { email: "bench@example.com", name: "Bench Visitor" },
        livemode: false,
        metadata: {},
        mode: "payment",
        payment_intent: `pi_3${randomToken(23)}`,
        payment_link: "plink_1PzRt2Fb3dGhJkLmNoPqRsTu",
        payment_status: "paid",
        status: "complete",
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type: "checkout.session.completed",
  };
}

/** The wallet service as the benchmark's operator sees it. */
export class WalletAdmin {
  constructor(url, secrets) {
    this.url = url;
    this.secrets = secrets;
    this.token = appToken(secrets.APP_TOKEN_SECRET, BENCH_APP);
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
    const event = checkoutSessionCompleted({
      clientReferenceId: wallet.client_reference_id,
      amountTotal: amount,
      currency: wallet.currency,
    });
    // Stripe sends the event indented by two spaces and signs exactly those bytes.
    const body = JSON.stringify(event, null, 2);
    const timestamp = nowSeconds();
    const signature = createHmac("sha256", this.secrets.STRIPE_WEBHOOK_SIGNING_SECRET)
      .update(`${timestamp}.${body}`)
      .digest("hex");
    const response = await fetch(`${this.url}/stripe-webhook`, {
      method: "POST",
      headers: {
        "Content-Type": "application/json; charset=utf-8",
        "Stripe-Signature": `t=${timestamp},v1=${signature}`,
      },
      body,
    });
    const text = await response.text();
    if (response.status !== 200 || JSON.parse(text).action !== "credited") {
      throw new Error(`a top-up was not credited: ${response.status} ${text.slice(0, 300)}`);
    }
  }
}
