// A wallet service started without a secret in workerd: the routes that need the secret answer
// 500 service_misconfigured naming it (never its value, nor any other), move no money, and
// leave the routes that do not need it working.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  assertError,
  checkoutSessionEvent,
  newSecrets,
  nowSeconds,
  startStack,
  stripeBody,
  stripeSignature,
} from "./harness.mjs";

// Two services, each with its own dev registry and storage, reached over HTTP only.
let withoutStripeSecrets;
let withoutAppSecret;
let weakSecrets;

before(async () => {
  const secrets = newSecrets();
  delete secrets.STRIPE_WEBHOOK_SIGNING_SECRET;
  delete secrets.CLIENT_REFERENCE_SECRET;
  // An empty value is as good as none: an operator's placeholder must not become a key.
  const emptyAppSecret = { ...newSecrets(), APP_TOKEN_SECRET: "" };
  // A signing secret short enough to guess from one token it signed is refused as well.
  const shortSecrets = { ...newSecrets(), APP_TOKEN_SECRET: "x".repeat(31) };
  [withoutStripeSecrets, withoutAppSecret, weakSecrets] = await Promise.all([
    startStack({ caller: false, secrets }),
    startStack({ caller: false, secrets: emptyAppSecret }),
    startStack({ caller: false, secrets: shortSecrets }),
  ]);
}, { timeout: 120_000 });

after(async () => {
  await Promise.all([withoutStripeSecrets?.stop(), withoutAppSecret?.stop(), weakSecrets?.stop()]);
});

// A token of the right shape: the wallet it opens exists without any call to identify.
const USER_TOKEN = `wut_${Buffer.from("misconfigured-test-token").toString("base64url")}`;

function assertMisconfigured(response, secretName, stack) {
  assertError(response, 500, "service_misconfigured");
  assert.match(response.body.error.message, new RegExp(`\\b${secretName}\\b`));
  for (const value of Object.values(stack.secrets).filter((value) => value.length > 0)) {
    assert.ok(!response.text.includes(value), "a secret's value is in the response");
  }
}

test("the webhook answers 500 naming a missing STRIPE_WEBHOOK_SIGNING_SECRET", async () => {
  const event = checkoutSessionEvent({ clientReferenceId: null });
  const rawBody = stripeBody(event);

  const response = await withoutStripeSecrets.deliver(event, {
    rawBody,
    signature: stripeSignature(rawBody, "whsec_the_secret_stripe_holds", nowSeconds()),
  });

  assertMisconfigured(response, "STRIPE_WEBHOOK_SIGNING_SECRET", withoutStripeSecrets);
});

test("identify answers 500 naming a missing CLIENT_REFERENCE_SECRET", async () => {
  const response = await withoutStripeSecrets.api("/v1/identify", { user_token: null });

  assertMisconfigured(response, "CLIENT_REFERENCE_SECRET", withoutStripeSecrets);
});

test("a charge answers 500 naming a missing CLIENT_REFERENCE_SECRET and takes nothing",
  async () => {
    const stack = withoutStripeSecrets;

    const charged = await stack.api("/v1/charge",
      { user_token: USER_TOKEN, amount: 5, allow_negative: true });
    const ledger = await stack.api("/v1/transactions", { user_token: USER_TOKEN });

    assertMisconfigured(charged, "CLIENT_REFERENCE_SECRET", stack);
    assert.equal(ledger.status, 200, ledger.text);
    assert.deepEqual(ledger.body.entries, []);
  });

test("input errors are still reported as such when a secret is missing", async () => {
  const response = await withoutStripeSecrets.api("/v1/charge", { user_token: USER_TOKEN,
    amount: 0 });

  assertError(response, 400, "invalid_amount");
});

test("an app token cannot be checked without APP_TOKEN_SECRET: 500 naming it", async () => {
  const token = withoutAppSecret.appToken("http-app", { secret: "anything" });

  const response = await withoutAppSecret.api("/v1/identify", {}, { auth: `Bearer ${token}` });
  const anonymous = await withoutAppSecret.api("/v1/identify", {}, { auth: null });

  assertMisconfigured(response, "APP_TOKEN_SECRET", withoutAppSecret);
  assertError(anonymous, 401, "app_unauthenticated");
});

test("an APP_TOKEN_SECRET shorter than 32 bytes is refused as misconfigured", async () => {
  const token = weakSecrets.appToken("http-app");

  const response = await weakSecrets.api("/v1/identify", {}, { auth: `Bearer ${token}` });

  assertMisconfigured(response, "APP_TOKEN_SECRET", weakSecrets);
  assert.match(response.body.error.message, /shorter than 32 bytes/);
});

test("health and the OpenAPI document need no secret", async () => {
  const health =
    await withoutStripeSecrets.api("/healthz", undefined, { method: "GET", auth: null });
  const openapi =
    await withoutStripeSecrets.api("/openapi.json", undefined, { method: "GET", auth: null });

  assert.equal(health.status, 200);
  assert.equal(openapi.status, 200);
});

test("the webhook needs no APP_TOKEN_SECRET", async () => {
  const event = checkoutSessionEvent({ clientReferenceId: null });

  const response = await withoutAppSecret.deliver(event);

  assert.equal(response.status, 200, response.text);
  assert.equal(response.body.action, "unmatched");
});
