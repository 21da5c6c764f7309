// The wallet's Workers RPC methods, called by a JavaScript Worker through its service binding:
// the same contract, errors and app identity as the HTTP API.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { BINDING_APP, assertBalance, request, startStack } from "./harness.mjs";

let stack;

before(async () => {
  stack = await startStack();
}, { timeout: 120_000 });

after(async () => {
  await stack?.stop();
});

/** Calls `method` over RPC through `binding` and returns what it resolved to. */
async function rpc(method, argument, binding = "WALLET") {
  const response = await request(`${stack.caller.url}/rpc/${binding}/${method}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: argument,
  });
  assert.equal(response.status, 200, `the RPC call threw: ${response.text}`);
  return response.body.result;
}

function assertRpcError(result, code) {
  assert.equal(result?.error?.code, code, JSON.stringify(result));
  assert.equal(typeof result.error.message, "string");
}

test("identify over RPC issues a wallet and gives its payment link", async () => {
  const wallet = await rpc("identify", { user_token: null });
  const again = await rpc("identify", { user_token: wallet.user_token });

  assert.equal(wallet.created, true);
  assert.match(wallet.user_token, /^wut_/);
  assert.ok(wallet.payment_link.includes(wallet.client_reference_id));
  assert.deepEqual(again, { ...wallet, created: false });
});

test("a charge over RPC is refused with 402's body when funds are short", async () => {
  const wallet = await rpc("identify", { user_token: null });

  const refused = await rpc("charge", { user_token: wallet.user_token, amount: 5 });

  assertRpcError(refused, "insufficient_funds");
  assert.equal(refused.balance, 0);
  assert.equal(refused.payment_link, wallet.payment_link);
});

test("a charge over RPC takes the amount, records the binding's app, and replays", async () => {
  const wallet = await rpc("identify", { user_token: null });
  await stack.topUp(wallet, 100);
  const charge = { user_token: wallet.user_token, amount: 30, idempotency_key: "rpc-1" };

  const first = await rpc("charge", charge);
  const retried = await rpc("charge", charge);
  const reused = await rpc("charge", { ...charge, amount: 31 });

  assert.deepEqual(first, { charged: true, entry_id: 2, balance: 70, replayed: false });
  assert.deepEqual(retried, { ...first, replayed: true });
  assertRpcError(reused, "idempotency_key_reused");
  const entries = await assertBalance(stack, wallet, 70);
  assert.equal(entries[0].source, BINDING_APP);
  const page = await rpc("transactions", { user_token: wallet.user_token, limit: 1 });
  assert.deepEqual(page.entries, [entries[0]]);
  assert.equal(typeof page.next_cursor, "string");
});

test("RPC refuses the inputs HTTP refuses, with the same codes", async () => {
  const wallet = await rpc("identify", { user_token: null });
  const charge = (fields) => rpc("charge", { user_token: wallet.user_token, ...fields });

  assertRpcError(await charge({ amount: 1.5 }), "invalid_amount");
  assertRpcError(await charge({ amount: -1 }), "invalid_amount");
  assertRpcError(await charge({}), "invalid_request");
  assertRpcError(await charge({ amount: 1, extra: true }), "invalid_request");
  assertRpcError(await rpc("balance", { user_token: "wut_short" }), "invalid_user_token");
  // A string body is sent as it is, so this is the JSON string "not an object".
  assertRpcError(await rpc("balance", '"not an object"'), "invalid_request");
  assertRpcError(await charge({ amount: 1, description: "d".repeat(17_000) }), "body_too_large");
});

test("an RPC caller bound without props naming an app is refused", async () => {
  const anonymous = await rpc("identify", { user_token: null }, "WALLET_ANON");
  const otherProps = await rpc("identify", { user_token: null }, "WALLET_OTHER_PROPS");

  assertRpcError(anonymous, "app_unauthenticated");
  assertRpcError(otherProps, "app_unauthenticated");
});

test("holds over RPC are placed, captured in part and released", async () => {
  const wallet = await rpc("identify", { user_token: null });
  await stack.topUp(wallet, 100);

  const first = await rpc("placeHold", { user_token: wallet.user_token, amount: 60 });
  const captured = await rpc("captureHold",
    { user_token: wallet.user_token, hold_id: first.hold_id, amount: 20 });
  const second = await rpc("placeHold", { user_token: wallet.user_token, amount: 50 });
  const released = await rpc("releaseHold",
    { user_token: wallet.user_token, hold_id: second.hold_id });

  assert.equal(first.available_balance, 40);
  assert.equal(captured.status, "captured");
  assert.equal(captured.available_balance, 80);
  assert.equal(second.available_balance, 30);
  assert.equal(released.status, "released");
  assert.equal(released.available_balance, 80);
  await assertBalance(stack, wallet, 80);
});
