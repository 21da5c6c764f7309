// Holds in workerd: placed, captured in part, released, left to expire (the object's alarm),
// idempotent like charges, and never letting concurrent holds and charges take the available
// balance below zero.

import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, test } from "node:test";

import { HTTP_APP, assertBalance, assertError, startStack } from "./harness.mjs";

let stack;

before(async () => {
  stack = await startStack({ caller: false });
}, { timeout: 120_000 });

after(async () => {
  await stack?.stop();
});

async function fundedWallet(amount) {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, amount);
  return wallet;
}

function placeHold(wallet, amount, fields = {}) {
  return stack.api("/v1/holds", { user_token: wallet.user_token, amount, ...fields });
}

function capture(wallet, holdId, amount) {
  return stack.api("/v1/holds/capture", { user_token: wallet.user_token, hold_id: holdId, amount });
}

function release(wallet, holdId) {
  return stack.api("/v1/holds/release", { user_token: wallet.user_token, hold_id: holdId });
}

async function available(wallet) {
  const { status, body } = await stack.api("/v1/balance", { user_token: wallet.user_token });
  assert.equal(status, 200);
  return body;
}

test("a hold lowers the available balance, and charges respect it", async () => {
  const wallet = await fundedWallet(100);

  const hold = await placeHold(wallet, 70);
  const tooMuch = await stack.api("/v1/charge", { user_token: wallet.user_token, amount: 31 });
  const fits = await stack.api("/v1/charge", { user_token: wallet.user_token, amount: 30 });

  assert.equal(hold.status, 200, hold.text);
  assert.equal(hold.body.status, "active");
  assert.equal(hold.body.amount, 70);
  assert.equal(hold.body.available_balance, 30);
  assertError(tooMuch, 402, "insufficient_funds");
  assert.equal(tooMuch.body.balance, 30);
  assert.equal(fits.status, 200, fits.text);
  assert.deepEqual(await available(wallet), {
    wallet_id: wallet.wallet_id,
    balance: 70,
    available_balance: 0,
    currency: "usd",
  });
  await assertBalance(stack, wallet, 70);
});

test("capturing part of a hold takes it in one ledger entry and frees the rest", async () => {
  const wallet = await fundedWallet(100);
  const hold = await placeHold(wallet, 70, { description: "one completion" });

  const captured = await capture(wallet, hold.body.hold_id, 25);
  const again = await capture(wallet, hold.body.hold_id, 25);
  const other = await capture(wallet, hold.body.hold_id, 30);

  assert.equal(captured.status, 200, captured.text);
  assert.equal(captured.body.status, "captured");
  assert.equal(captured.body.captured, 25);
  assert.equal(captured.body.available_balance, 75);
  assert.equal(again.status, 200, again.text);
  assert.deepEqual(again.body, { ...captured.body, replayed: true });
  assertError(other, 409, "hold_not_active");
  const entries = await assertBalance(stack, wallet, 75);
  assert.deepEqual(
    { kind: entries[0].kind, amount: entries[0].amount, source: entries[0].source },
    { kind: "hold_capture", amount: -25, source: HTTP_APP },
  );
  assert.equal(entries[0].id, captured.body.entry_id);
  assert.equal(entries[0].description, "one completion");
});

test("capturing more than the hold is refused and moves nothing", async () => {
  const wallet = await fundedWallet(100);
  const hold = await placeHold(wallet, 40);

  const refused = await capture(wallet, hold.body.hold_id, 41);

  assertError(refused, 422, "hold_amount_exceeded");
  assert.equal((await available(wallet)).available_balance, 60);
  await assertBalance(stack, wallet, 100);
});

test("releasing frees the whole hold, once, and a released hold cannot be captured", async () => {
  const wallet = await fundedWallet(100);
  const hold = await placeHold(wallet, 40);

  const released = await release(wallet, hold.body.hold_id);
  const again = await release(wallet, hold.body.hold_id);
  const captureAfter = await capture(wallet, hold.body.hold_id, 1);

  assert.equal(released.status, 200, released.text);
  assert.equal(released.body.status, "released");
  assert.equal(released.body.available_balance, 100);
  assert.equal(again.body.replayed, true);
  assertError(captureAfter, 409, "hold_not_active");
  await assertBalance(stack, wallet, 100);
});

test("a hold left to expire releases itself", { timeout: 30_000 }, async () => {
  const wallet = await fundedWallet(100);
  const hold = await placeHold(wallet, 60, { expires_in_seconds: 1 });
  assert.equal(hold.status, 200, hold.text);
  assert.equal((await available(wallet)).available_balance, 40);

  await sleep(2_500);
  const after = await available(wallet);
  const captureAfter = await capture(wallet, hold.body.hold_id, 1);
  const releaseAfter = await release(wallet, hold.body.hold_id);

  assert.equal(after.available_balance, 100);
  assertError(captureAfter, 409, "hold_not_active");
  assert.match(captureAfter.body.error.message, /expired/);
  assert.equal(releaseAfter.body.status, "expired");
  // The amount is free from the moment of expiry whether or not the alarm has run; the log
  // line shows that the alarm did run and mark the hold.
  assert.match(stack.wallet.output, /"message":"holds expired"/, "the alarm did not run");
  await assertBalance(stack, wallet, 100);
});

test("placing a hold is idempotent like a charge", async () => {
  const wallet = await fundedWallet(100);

  const first = await placeHold(wallet, 30, { idempotency_key: "job-7" });
  const retried = await placeHold(wallet, 30, { idempotency_key: "job-7" });
  const reused = await placeHold(wallet, 31, { idempotency_key: "job-7" });

  assert.equal(first.status, 200, first.text);
  assert.deepEqual(retried.body, { ...first.body, replayed: true });
  assertError(reused, 409, "idempotency_key_reused");
  assert.equal((await available(wallet)).available_balance, 70);
});

test("a hold belongs to the app that placed it", async () => {
  const wallet = await fundedWallet(100);
  const hold = await placeHold(wallet, 30);
  const otherApp = { auth: `Bearer ${stack.appToken("other-app")}` };

  const captured = await stack.api(
    "/v1/holds/capture",
    { user_token: wallet.user_token, hold_id: hold.body.hold_id, amount: 1 },
    otherApp,
  );
  const unknown = await release(wallet, hold.body.hold_id + 1000);

  assertError(captured, 404, "hold_not_found");
  assertError(unknown, 404, "hold_not_found");
});

test("bad hold requests get a code, never a 5xx", async () => {
  const wallet = await fundedWallet(10);

  const cases = [
    [await placeHold(wallet, 0), 400, "invalid_amount"],
    [await placeHold(wallet, 1.5), 400, "invalid_amount"],
    [await placeHold(wallet, 1, { expires_in_seconds: 0 }), 400, "invalid_request"],
    [await placeHold(wallet, 1, { expires_in_seconds: 86_401 }), 400, "invalid_request"],
    [await placeHold(wallet, 11), 402, "insufficient_funds"],
    [await capture(wallet, "1", 1), 400, "invalid_request"],
    [await capture(wallet, 1, -1), 400, "invalid_amount"],
    [await release(wallet, -1), 400, "invalid_request"],
  ];

  for (const [response, status, code] of cases) {
    assertError(response, status, code);
  }
});

test("concurrent holds and charges never take the available balance below zero", async () => {
  const wallet = await fundedWallet(50);

  const calls = [];
  for (let i = 0; i < 60; i += 1) {
    calls.push(i % 2 === 0
      ? placeHold(wallet, 2)
      : stack.api("/v1/charge", { user_token: wallet.user_token, amount: 1 }));
  }
  const responses = await Promise.all(calls);

  const held = responses.filter((r, i) => i % 2 === 0 && r.status === 200).length * 2;
  const charged = responses.filter((r, i) => i % 2 === 1 && r.status === 200).length;
  for (const response of responses) {
    assert.ok([200, 402].includes(response.status), response.text);
  }
  const after = await available(wallet);
  assert.equal(after.balance, 50 - charged);
  assert.equal(after.available_balance, 50 - charged - held);
  assert.ok(after.available_balance >= 0, `available went to ${after.available_balance}`);
  assert.ok(held + charged <= 50);
  await assertBalance(stack, wallet, 50 - charged);
});
