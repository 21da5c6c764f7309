// Fixtures of the wallet service's outside world, shared by the workerd tests and the
// benchmark: secrets of the real shape, app tokens as operators mint them, and Stripe events
// signed exactly as Stripe signs them.

import { createHmac, randomBytes } from "node:crypto";

/** The Payment Link the test services send visitors to. */
export const PAYMENT_LINK = "https://buy.stripe.com/test_7sI5nK0Qq2Zb8ko000";

/**
 * Returns the secrets a wallet service needs, fresh for one test file: random values of the
 * shape the real ones have.
 */
export function newSecrets() {
  return {
    STRIPE_SECRET: `sk_test_${randomToken(48)}`,
    STRIPE_WEBHOOK_SIGNING_SECRET: `whsec_${randomToken(32)}`,
    STRIPE_PAYMENT_LINK: PAYMENT_LINK,
    APP_TOKEN_SECRET: randomBytes(32).toString("hex"),
    CLIENT_REFERENCE_SECRET: randomBytes(32).toString("hex"),
  };
}

/** Returns `length` random letters and digits, as in Stripe's object ids. */
export function randomToken(length) {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  return Array.from(randomBytes(length), (byte) => alphabet[byte % alphabet.length]).join("");
}

/** Returns the current Unix time in seconds, as Stripe timestamps are. */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

function base64url(data) {
  return Buffer.from(data).toString("base64url");
}

/** Returns a JWT signed with HS256 under `secret`, as an operator mints app tokens. */
export function mintAppToken(secret, claims, header = { alg: "HS256", typ: "JWT" }) {
  const signingInput = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(claims))}`;
  const signature = createHmac("sha256", secret).update(signingInput).digest("base64url");
  return `${signingInput}.${signature}`;
}

/** Returns the body Stripe sends for `event`: JSON indented by two spaces. */
export function stripeBody(event) {
  return JSON.stringify(event, null, 2);
}

/**
 * Returns the Stripe-Signature header for `rawBody`: the timestamp and a v1 signature, the
 * hex HMAC-SHA256 of `${timestamp}.${rawBody}` keyed with the endpoint's signing secret.
 */
export function stripeSignature(rawBody, secret, timestamp) {
  const signature = createHmac("sha256", secret).update(`${timestamp}.${rawBody}`).digest("hex");
  return `t=${timestamp},v1=${signature}`;
}

/**
 * Returns a Stripe event reporting a Checkout Session paid through a Payment Link, with the
 * fields Stripe sends (API version 2024-06-20). Every id is new unless given.
 */
export function checkoutSessionEvent({
  type = "checkout.session.completed",
  clientReferenceId,
  amountTotal = 500,
  currency = "usd",
  paymentStatus = "paid",
  sessionId = `cs_test_a1${randomToken(56)}`,
  eventId = `evt_1${randomToken(23)}`,
} = {}) {
  const created = nowSeconds();
  return {
    id: eventId,
    object: "event",
    api_version: "2024-06-20",
    created,
    data: {
      object: {
        id: sessionId,
        object: "checkout.session",
        adaptive_pricing: { enabled: false },
        after_expiration: null,
        allow_promotion_codes: false,
        amount_subtotal: amountTotal,
        amount_total: amountTotal,
        automatic_tax: { enabled: false, liability: null, status: null },
        billing_address_collection: "auto",
        cancel_url: null,
        client_reference_id: clientReferenceId ?? null,
        client_secret: null,
        consent: null,
        consent_collection: { payment_method_reuse_agreement: null, promotions: "none",
          terms_of_service: "none" },
        created: created - 42,
        currency,
        currency_conversion: null,
        custom_fields: [],
        custom_text: { after_submit: null, shipping_address: null, submit: null,
          terms_of_service_acceptance: null },
        customer: null,
        customer_creation: "if_required",
        customer_details: {
          address: { city: null, country: "US", line1: null, line2: null,
            postal_code: "94103", state: null },
          email: "jenny.rosen@example.com",
          name: "Jenny Rosen",
          phone: null,
          tax_exempt: "none",
          tax_ids: [],
        },
        customer_email: null,
        expires_at: created + 86_358,
        invoice: null,
        invoice_creation: { enabled: false, invoice_data: { account_tax_ids: null,
          custom_fields: null, description: null, footer: null, issuer: null,
          metadata: {}, rendering_options: null } },
        livemode: false,
        locale: "auto",
        metadata: {},
        mode: "payment",
        payment_intent: paymentStatus === "paid" ? `pi_3${randomToken(23)}` : null,
        payment_link: "plink_1PzRt2Fb3dGhJkLmNoPqRsTu",
        payment_method_collection: "if_required",
        payment_method_configuration_details: null,
        payment_method_options: { card: { request_three_d_secure: "automatic" } },
        payment_method_types: ["card", "us_bank_account"],
        payment_status: paymentStatus,
        phone_number_collection: { enabled: false },
        recovered_from: null,
        saved_payment_method_options: null,
        setup_intent: null,
        shipping_address_collection: null,
        shipping_cost: null,
        shipping_details: null,
        shipping_options: [],
        status: "complete",
        submit_type: "pay",
        subscription: null,
        success_url: "https://example.com/wallet/thanks",
        total_details: { amount_discount: 0, amount_shipping: 0, amount_tax: 0 },
        ui_mode: "hosted",
        url: null,
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: null, idempotency_key: null },
    type,
  };
}
