// Durability in workerd: what the wallet service answered before its runtime stopped is what
// it answers after it starts again on the same storage, whether it was stopped or killed.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { checkoutSessionEvent, startStack } from "./harness.mjs";

let stack;

before(async () => {
  stack = await startStack({ caller: false });
}, { timeout: 120_000 });

after(async () => {
  await stack?.stop();
});

/**
 * Moves money in three wallets: top-ups, charges with and without idempotency keys, a refused
 * charge and a payment in another currency. Returns the wallets and what was sent.
 */
async function busyWallets() {
  const wallets = [];
  for (let i = 0; i < 3; i += 1) {
    const wallet = await stack.newWallet();
    const topUp = await stack.topUp(wallet, 1_000 * (i + 1));
    const charges = await Promise.all(Array.from({ length: 5 }, (_, n) =>
      stack.api("/v1/charge", {
        user_token: wallet.user_token,
        amount: 10 + n,
        idempotency_key: `job-${i}-${n}`,
        description: `job ${n}`,
      })));
    await stack.api("/v1/charge", { user_token: wallet.user_token, amount: 1_000_000 });
    const euro = checkoutSessionEvent({ clientReferenceId: wallet.client_reference_id,
      currency: "eur" });
    await stack.deliver(euro);
    wallets.push({ wallet, topUp, euro, charges: charges.map((charge) => charge.body) });
  }
  return wallets;
}

/** Returns each wallet's identify answer and full ledger, checking balance = sum on the way. */
async function snapshot(wallets) {
  const states = [];
  for (const { wallet } of wallets) {
    const identify = await stack.api("/v1/identify", { user_token: wallet.user_token });
    const { sum, balance, entries } = await stack.ledgerSum(wallet.user_token);
    assert.equal(sum, balance, "the balance is not the sum of the ledger's entries");
    states.push({ identify: identify.body, entries });
  }
  return states;
}

test("balances and ledgers are identical after the runtime is stopped and started", async () => {
  const wallets = await busyWallets();
  const beforeRestart = await snapshot(wallets);

  await stack.restartWallet();

  const afterRestart = await snapshot(wallets);
  assert.deepEqual(afterRestart, beforeRestart);
  assert.deepEqual(beforeRestart.map((state) => state.identify.balance), [940, 1_940, 2_940]);
  assert.ok(beforeRestart.every((state) => state.entries.length === 6));
});

test("balances, ledgers and idempotency survive the runtime being killed", async () => {
  const wallets = await busyWallets();
  const beforeRestart = await snapshot(wallets);

  // SIGKILL to the whole process group: no shutdown runs, as when a machine dies.
  await stack.restartWallet({ hard: true });

  const afterRestart = await snapshot(wallets);
  assert.deepEqual(afterRestart, beforeRestart);

  const { wallet, topUp, euro, charges } = wallets[0];
  const replay = await stack.api("/v1/charge", {
    user_token: wallet.user_token, amount: 10, idempotency_key: "job-0-0", description: "job 0",
  });
  const redelivered = await stack.deliver(topUp);
  const euroAgain = await stack.deliver(euro);

  assert.equal(replay.status, 200, replay.text);
  assert.deepEqual(replay.body, { ...charges[0], replayed: true });
  assert.equal(redelivered.body.action, "already_credited");
  assert.equal(euroAgain.body.action, "unapplied");
  assert.deepEqual(await snapshot(wallets), beforeRestart);
});

test("a wallet restarted from its storage keeps taking charges", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 100);
  await stack.restartWallet();

  const charged = await stack.api("/v1/charge", { user_token: wallet.user_token, amount: 60 });
  const refused = await stack.api("/v1/charge", { user_token: wallet.user_token, amount: 60 });

  assert.equal(charged.status, 200, charged.text);
  assert.deepEqual(charged.body, { charged: true, entry_id: 2, balance: 40, replayed: false });
  assert.equal(refused.status, 402, refused.text);
  const { sum, balance } = await stack.ledgerSum(wallet.user_token);
  assert.equal(balance, 40);
  assert.equal(sum, balance);
});
