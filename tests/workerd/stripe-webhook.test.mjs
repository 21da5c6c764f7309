// The Stripe webhook in workerd: signed Checkout Session events credit wallets exactly once;
// anything unsigned, stale or forged moves nothing; events that cannot be credited are
// acknowledged so that Stripe stops retrying them.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  SIGNATURE_TOLERANCE_SECONDS,
  WEBHOOK_BODY_BYTES_MAX,
  assertBalance,
  assertError,
  checkoutSessionEvent,
  nowSeconds,
  startStack,
  stripeBody,
  stripeSignature,
} from "./harness.mjs";

let stack;

before(async () => {
  stack = await startStack({ caller: false });
}, { timeout: 120_000 });

after(async () => {
  await stack?.stop();
});

function assertLedgerMatchesBalance(wallet, expectedBalance) {
  return assertBalance(stack, wallet, expectedBalance);
}

function assertReceipt(response, action, reason = null) {
  assert.equal(response.status, 200, response.text);
  assert.deepEqual(response.body, { received: true, action, reason });
}

// --- Crediting ---------------------------------------------------------------------------

test("a signed checkout.session.completed credits its wallet", async () => {
  const wallet = await stack.newWallet();
  const event = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
    amountTotal: 1_500 });

  const response = await stack.deliver(event);

  assertReceipt(response, "credited");
  const [entry] = await assertLedgerMatchesBalance(wallet, 1_500);
  assert.equal(entry.kind, "topup");
  assert.equal(entry.amount, 1_500);
  assert.equal(entry.balance_after, 1_500);
  assert.equal(entry.source, event.data.object.id);
  assert.equal(entry.description, null);
});

test("the same event delivered 20 times at once credits once", async () => {
  const wallet = await stack.newWallet();
  const event = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
    amountTotal: 800 });

  const responses = await Promise.all(Array.from({ length: 20 }, () => stack.deliver(event)));

  for (const response of responses) {
    assert.equal(response.status, 200, response.text);
  }
  const actions = responses.map((response) => response.body.action).sort();
  assert.deepEqual(actions, [...Array(19).fill("already_credited"), "credited"]);
  const entries = await assertLedgerMatchesBalance(wallet, 800);
  assert.equal(entries.length, 1);
});

test("an event delivered again later is acknowledged as already credited", async () => {
  const wallet = await stack.newWallet();
  const event = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id });
  await stack.deliver(event);

  // Stripe signs each delivery anew, so a retry has the same body and a newer timestamp.
  const retry = await stack.deliver(event, { timestamp: nowSeconds() + 5 });

  assertReceipt(retry, "already_credited");
  await assertLedgerMatchesBalance(wallet, 500);
});

test("async_payment_succeeded for a session already credited credits nothing more",
  async () => {
    const wallet = await stack.newWallet();
    const completed = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
      amountTotal: 2_000 });
    await stack.deliver(completed);
    const succeeded = checkoutSessionEvent({
      type: "checkout.session.async_payment_succeeded",
      clientReferenceId: wallet.client_reference_id,
      amountTotal: 2_000,
      sessionId: completed.data.object.id,
    });

    const response = await stack.deliver(succeeded);

    assertReceipt(response, "already_credited");
    await assertLedgerMatchesBalance(wallet, 2_000);
  });

test("a second Checkout Session for the same wallet credits it again", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 500);
  const second = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
    amountTotal: 250 });

  const response = await stack.deliver(second);

  assertReceipt(response, "credited");
  const entries = await assertLedgerMatchesBalance(wallet, 750);
  assert.deepEqual(entries.map((entry) => entry.amount), [250, 500]);
});

test("a delayed payment is credited when async_payment_succeeded reports it paid",
  async () => {
    const wallet = await stack.newWallet();
    const completed = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
      amountTotal: 4_200, paymentStatus: "unpaid" });
    const succeeded = checkoutSessionEvent({
      type: "checkout.session.async_payment_succeeded",
      clientReferenceId: wallet.client_reference_id,
      amountTotal: 4_200,
      sessionId: completed.data.object.id,
    });

    const unpaid = await stack.deliver(completed);
    const balanceWhileUnpaid = await stack.balance(wallet.user_token);
    const paid = await stack.deliver(succeeded);

    assertReceipt(unpaid, "ignored", "not_paid");
    assert.equal(balanceWhileUnpaid, 0);
    assertReceipt(paid, "credited");
    await assertLedgerMatchesBalance(wallet, 4_200);
  });

test("a credited wallet can be charged for what was paid in", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 300);

  const charged =
    await stack.api("/v1/charge", { user_token: wallet.user_token, amount: 300 });

  assert.equal(charged.status, 200, charged.text);
  assert.equal(charged.body.balance, 0);
  await assertLedgerMatchesBalance(wallet, 0);
});

// --- Signatures --------------------------------------------------------------------------

/** Returns an event for a fresh wallet, and the wallet. */
async function pendingPayment(amountTotal = 900) {
  const wallet = await stack.newWallet();
  const event = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
    amountTotal });
  return { wallet, event };
}

test("a tampered body is refused with invalid_signature and credits nothing", async () => {
  const { wallet, event } = await pendingPayment(900);
  const timestamp = nowSeconds();
  const signature = stripeSignature(stripeBody(event), stack.secrets.STRIPE_WEBHOOK_SIGNING_SECRET,
    timestamp);
  const tampered = stripeBody(event).replace('"amount_total": 900', '"amount_total": 900000');
  assert.notEqual(tampered, stripeBody(event));

  const response = await stack.deliver(event, { rawBody: tampered, signature });

  assertError(response, 400, "invalid_signature");
  await assertLedgerMatchesBalance(wallet, 0);
});

test("a body signed with another secret is refused with invalid_signature", async () => {
  const { wallet, event } = await pendingPayment();

  const response = await stack.deliver(event, { secret: "whsec_someone_elses_endpoint" });

  assertError(response, 400, "invalid_signature");
  await assertLedgerMatchesBalance(wallet, 0);
});

test("a signature older than the tolerance is refused with invalid_signature", async () => {
  const { wallet, event } = await pendingPayment();

  const stale = await stack.deliver(event,
    { timestamp: nowSeconds() - SIGNATURE_TOLERANCE_SECONDS - 60 });
  const future = await stack.deliver(event,
    { timestamp: nowSeconds() + SIGNATURE_TOLERANCE_SECONDS + 60 });

  assertError(stale, 400, "invalid_signature");
  assertError(future, 400, "invalid_signature");
  await assertLedgerMatchesBalance(wallet, 0);
});

test("a missing or malformed Stripe-Signature header is refused with invalid_signature",
  async () => {
    const { wallet, event } = await pendingPayment();
    const headers = {
      missing: null,
      empty: "",
      "no v1 signature": `t=${nowSeconds()}`,
      "only a v0 signature": `t=${nowSeconds()},v0=${"ab".repeat(32)}`,
      "no timestamp": stripeSignature(stripeBody(event),
        stack.secrets.STRIPE_WEBHOOK_SIGNING_SECRET, nowSeconds()).replace(/^t=\d+,/, ""),
      "a timestamp that is not a number": `t=yesterday,v1=${"ab".repeat(32)}`,
    };

    for (const [what, signature] of Object.entries(headers)) {
      const response = await stack.deliver(event, { signature });

      assert.equal(response.status, 400, `${what}: ${response.text}`);
      assertError(response, 400, "invalid_signature");
    }
    await assertLedgerMatchesBalance(wallet, 0);
  });

test("a refused delivery does not stop the genuine event from crediting", async () => {
  const { wallet, event } = await pendingPayment(900);
  await stack.deliver(event, { secret: "whsec_wrong" });
  await stack.deliver(event, { signature: null });

  const genuine = await stack.deliver(event);

  assertReceipt(genuine, "credited");
  await assertLedgerMatchesBalance(wallet, 900);
});

test("one matching v1 signature among several is enough, as while a secret is rolled",
  async () => {
    const { wallet, event } = await pendingPayment(650);
    const timestamp = nowSeconds();
    const body = stripeBody(event);
    const old = stripeSignature(body, "whsec_retired_secret", timestamp).split(",")[1];
    const current =
      stripeSignature(body, stack.secrets.STRIPE_WEBHOOK_SIGNING_SECRET, timestamp);

    const response = await stack.deliver(event, { signature: `${current},${old}` });

    assertReceipt(response, "credited");
    await assertLedgerMatchesBalance(wallet, 650);
  });

test("a signed body that is not a Stripe event is refused with invalid_event", async () => {
  const notAnEvent = await stack.deliver(null, { rawBody: '{"hello": "stripe"}' });
  const notJson = await stack.deliver(null, { rawBody: "id=evt_1&type=checkout" });

  assertError(notAnEvent, 400, "invalid_event");
  assertError(notJson, 400, "invalid_event");
});

test("a webhook body over 256 KiB is refused with body_too_large", async () => {
  const { wallet, event } = await pendingPayment();
  event.data.object.metadata = { padding: "x".repeat(WEBHOOK_BODY_BYTES_MAX) };

  const response = await stack.deliver(event);

  assertError(response, 413, "body_too_large");
  await assertLedgerMatchesBalance(wallet, 0);
});

// --- Events that move no money -----------------------------------------------------------

test("a payment in another currency is recorded as unapplied and not credited", async () => {
  const wallet = await stack.newWallet();
  const event = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
    amountTotal: 1_000, currency: "eur" });

  const first = await stack.deliver(event);
  const again = await stack.deliver(event);

  assertReceipt(first, "unapplied", "currency_mismatch");
  assertReceipt(again, "unapplied", "currency_mismatch");
  const entries = await assertLedgerMatchesBalance(wallet, 0);
  assert.equal(entries.length, 0);
});

test("a currency in capitals is the same currency", async () => {
  const wallet = await stack.newWallet();
  const event = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
    amountTotal: 120, currency: "USD" });

  const response = await stack.deliver(event);

  assertReceipt(response, "credited");
  await assertLedgerMatchesBalance(wallet, 120);
});

test("a paid session with a zero amount is recorded as unapplied", async () => {
  const wallet = await stack.newWallet();
  const event = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
    amountTotal: 0 });

  const response = await stack.deliver(event);

  assertReceipt(response, "unapplied", "amount_out_of_range");
  await assertLedgerMatchesBalance(wallet, 0);
});

test("an unhandled event type is acknowledged and ignored", async () => {
  const event = {
    id: "evt_1PzUnhandled0000000000",
    object: "event",
    api_version: "2024-06-20",
    created: nowSeconds(),
    data: {
      object: {
        id: "cus_QkLmNoPqRsTuVw",
        object: "customer",
        email: "jenny.rosen@example.com",
        livemode: false,
        name: "Jenny Rosen",
      },
    },
    livemode: false,
    pending_webhooks: 1,
    request: { id: "req_8a9b0c1d2e3f", idempotency_key: null },
    type: "customer.created",
  };

  const response = await stack.deliver(event);

  assertReceipt(response, "ignored", "unhandled_event_type");
});

test("an unpaid session is acknowledged and credits nothing", async () => {
  const wallet = await stack.newWallet();
  const event = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
    amountTotal: 700, paymentStatus: "unpaid" });

  const response = await stack.deliver(event);

  assertReceipt(response, "ignored", "not_paid");
  await assertLedgerMatchesBalance(wallet, 0);
});

test("a forged client_reference_id credits nothing and is reported unmatched", async () => {
  const wallet = await stack.newWallet();
  // The wallet id is real; the tag is not the service's HMAC of it.
  const forged = wallet.client_reference_id.replace(/_[0-9a-f]{32}$/, `_${"0".repeat(32)}`);
  assert.notEqual(forged, wallet.client_reference_id);
  const event = checkoutSessionEvent({ clientReferenceId: forged, amountTotal: 10_000 });

  const response = await stack.deliver(event);

  assertReceipt(response, "unmatched", "invalid_client_reference_id");
  await assertLedgerMatchesBalance(wallet, 0);
});

test("a paid session without a client_reference_id is reported unmatched", async () => {
  const event = checkoutSessionEvent({ clientReferenceId: null, amountTotal: 500 });

  const response = await stack.deliver(event);

  assertReceipt(response, "unmatched", "invalid_client_reference_id");
});

test("a top-up that would take the balance past 2^53 - 1 is recorded as unapplied",
  async () => {
    const wallet = await stack.newWallet();
    await stack.topUp(wallet, 9_007_199_254_740_991);
    const event = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
      amountTotal: 1 });

    const response = await stack.deliver(event);

    assertReceipt(response, "unapplied", "balance_limit_exceeded");
    await assertLedgerMatchesBalance(wallet, 9_007_199_254_740_991);
  });

test("different sessions delivered at once for one wallet are all credited", async () => {
  const wallet = await stack.newWallet();
  const events = Array.from({ length: 10 }, (_, i) =>
    checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
      amountTotal: 100 * (i + 1) }));

  const responses = await Promise.all(events.map((event) => stack.deliver(event)));

  for (const response of responses) {
    assertReceipt(response, "credited");
  }
  const entries = await assertLedgerMatchesBalance(wallet, 5_500);
  assert.equal(entries.length, 10);
});
