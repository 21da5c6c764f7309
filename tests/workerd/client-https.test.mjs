// The Rust client over HTTPS with an app token, as an app outside the wallet's account uses it:
// the consumer example with WALLET_URL set calls the wallet's URL instead of its binding.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { HTTPS_CONSUMER_APP, assertBalance, assertError, startStack } from "./harness.mjs";

let stack;

before(async () => {
  stack = await startStack({ caller: false, httpsConsumer: true });
}, { timeout: 120_000 });

after(async () => {
  await stack?.stop();
});

function visit(path, headers = {}) {
  return stack.viaConsumer("https", path, { headers });
}

test("a new visitor is issued a token and refused with 402 over HTTPS", async () => {
  const refused = await visit("/search");

  assertError(refused, 402, "insufficient_funds");
  assert.match(refused.headers.get("X-Wallet-Token") ?? "", /^wut_/);
  assert.equal(refused.headers.get("X-Balance"), "0");
  assert.ok(refused.body.payment_link.includes("client_reference_id=wr1_"));
});

test("charges over HTTPS are made as the token's app and replay with their key", async () => {
  const token = (await visit("/search")).headers.get("X-Wallet-Token");
  const wallet = (await stack.api("/v1/identify", { user_token: token })).body;
  await stack.topUp(wallet, 100);
  const headers = { Authorization: `Bearer ${token}`, "Idempotency-Key": "visit-1" };

  const charged = await visit("/search", headers);
  const retried = await visit("/search", headers);

  assert.equal(charged.status, 200, charged.text);
  assert.equal(charged.headers.get("X-Balance"), "95");
  assert.equal(retried.status, 200, retried.text);
  assert.equal(retried.headers.get("X-Balance"), "95");
  const entries = await assertBalance(stack, wallet, 95);
  assert.equal(entries[0].source, HTTPS_CONSUMER_APP);
  assert.equal(entries.filter((entry) => entry.kind === "charge").length, 1);
});
