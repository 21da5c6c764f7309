// The consumer examples in workerd: the Rust Worker (consumer-example/) and the JavaScript one
// with the generated client (js-consumer/), each bound to the wallet service with its app id in
// the binding's props. Every behaviour is checked on both, through their HTTP routes, with the
// wallet itself read over its API.

import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";

import { CONSUMERS, assertBalance, assertError, startStack } from "./harness.mjs";

/** What the consumers charge per route, in cents, as their documentation says. */
const PRICES = { "/search": 5, "/generate": 25 };

let stack;

before(async () => {
  stack = await startStack({ consumers: true });
}, { timeout: 240_000 });

after(async () => {
  await stack?.stop();
});

/** Returns the wallet behind `token`, as the wallet's identify answers for it. */
async function walletOf(token) {
  const { status, body } = await stack.api("/v1/identify", { user_token: token });
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.created, false, "the token was not one the wallet issued");
  return body;
}

/** Returns the X-Balance header of `response` as a number, failing when it is missing. */
function balanceHeader(response) {
  const header = response.headers.get("X-Balance");
  assert.notEqual(header, null, `no X-Balance header: ${response.status} ${response.text}`);
  return Number(header);
}

for (const [name, { app }] of Object.entries(CONSUMERS)) {
  describe(`the ${app} consumer`, () => {
    const get = (path, headers = {}) => stack.viaConsumer(name, path, { headers });
    const bearer = (token, headers = {}) => ({ Authorization: `Bearer ${token}`, ...headers });

    /** Visits a paid route without a token and returns the token and wallet it was issued. */
    async function newVisitor() {
      const refused = await get("/search");
      const token = refused.headers.get("X-Wallet-Token");
      assert.ok(token, `no token issued: ${refused.status} ${refused.text}`);
      return { token, wallet: await walletOf(token) };
    }

    test("a new visitor is issued a token and refused with 402, a payment link and no balance",
      async () => {
        const refused = await get("/generate");

        const token = refused.headers.get("X-Wallet-Token");
        const cookie = refused.headers.getSetCookie();
        const wallet = await walletOf(token);
        assertError(refused, 402, "insufficient_funds");
        assert.equal(refused.headers.get("X-Balance"), "0");
        assert.equal(refused.body.price, PRICES["/generate"]);
        assert.equal(refused.body.balance, 0);
        assert.equal(refused.body.payment_link, wallet.payment_link);
        assert.match(refused.body.payment_link,
          new RegExp(`client_reference_id=${wallet.client_reference_id}$`));
        assert.match(token, /^wut_[A-Za-z0-9_-]+$/);
        assert.equal(cookie.length, 1, JSON.stringify(cookie));
        assert.match(cookie[0], new RegExp(`^wallet_token=${token};`));
        for (const attribute of ["HttpOnly", "SameSite=Lax", "Path=/"]) {
          assert.ok(cookie[0].split("; ").includes(attribute), `${attribute} in ${cookie[0]}`);
        }
        assert.equal(refused.headers.get("Cache-Control"), "private, no-store");
      });

    test("a visitor who comes back with their token is refused without a new token",
      async () => {
        const { token } = await newVisitor();

        const byCookie = await get("/search", { Cookie: `theme=dark; wallet_token=${token}` });
        const byBearer = await get("/search", bearer(token));

        for (const refused of [byCookie, byBearer]) {
          assertError(refused, 402, "insufficient_funds");
          assert.equal(balanceHeader(refused), 0);
          assert.equal(refused.headers.get("X-Wallet-Token"), null);
          assert.deepEqual(refused.headers.getSetCookie(), []);
        }
      });

    test("after a top-up a charge succeeds and X-Balance drops by the route's price",
      async () => {
        const { token, wallet } = await newVisitor();
        await stack.topUp(wallet, 500);

        const search = await get("/search", { Cookie: `wallet_token=${token}` });
        const generate = await get("/generate", bearer(token));

        assert.equal(search.status, 200, search.text);
        assert.deepEqual(search.body,
          { route: "/search", price: 5, balance: 495, replayed: false });
        assert.equal(balanceHeader(search), 495);
        assert.equal(generate.status, 200, generate.text);
        assert.equal(generate.body.balance, 470);
        assert.equal(balanceHeader(generate), 470);

        await assertBalance(stack, wallet, 470);
      });

    test("the ledger records the consumer's app id as the source of its charges", async () => {
      const { token, wallet } = await newVisitor();
      await stack.topUp(wallet, 100);

      await get("/search", bearer(token));
      await get("/generate", bearer(token));

      const entries = await assertBalance(stack, wallet, 70);
      const charges = entries.filter((entry) => entry.kind === "charge");
      assert.deepEqual(charges.map(({ amount, source, description }) =>
        ({ amount, source, description })), [
        { amount: -25, source: app, description: "GET /generate" },
        { amount: -5, source: app, description: "GET /search" },
      ]);
    });

    test("a request retried with the same Idempotency-Key is charged once", async () => {
      const { token, wallet } = await newVisitor();
      await stack.topUp(wallet, 100);
      const headers = bearer(token, { "Idempotency-Key": `order-${name}-1` });

      const first = await get("/generate", headers);
      const retry = await get("/generate", headers);

      assert.equal(first.status, 200, first.text);
      assert.equal(first.body.replayed, false);
      assert.equal(retry.status, 200, retry.text);
      assert.equal(retry.body.replayed, true);
      assert.equal(retry.body.balance, 75);
      assert.equal(balanceHeader(retry), 75);

      const entries = await assertBalance(stack, wallet, 75);
      assert.equal(entries.filter((entry) => entry.kind === "charge").length, 1);
    });

    test("an Idempotency-Key sent again to another route is refused as reused", async () => {
      const { token, wallet } = await newVisitor();
      await stack.topUp(wallet, 100);
      const headers = bearer(token, { "Idempotency-Key": `order-${name}-2` });
      await get("/search", headers);

      const reused = await get("/generate", headers);

      assertError(reused, 409, "idempotency_key_reused");
      await assertBalance(stack, wallet, 95);
    });

    test("an empty Idempotency-Key is refused before the wallet is asked", async () => {
      const { token } = await newVisitor();

      const refused = await get("/search", bearer(token, { "Idempotency-Key": "" }));

      assertError(refused, 400, "invalid_idempotency_key");
    });

    test("a refused charge takes nothing and a top-up makes the retry succeed", async () => {
      const { token, wallet } = await newVisitor();
      await stack.topUp(wallet, 20);
      const headers = bearer(token, { "Idempotency-Key": `order-${name}-3` });

      const refused = await get("/generate", headers);
      await stack.topUp(wallet, 20);
      const retried = await get("/generate", headers);

      assertError(refused, 402, "insufficient_funds");
      assert.equal(balanceHeader(refused), 20);
      assert.equal(retried.status, 200, retried.text);
      assert.equal(balanceHeader(retried), 15);
      await assertBalance(stack, wallet, 15);
    });

    test("a token the wallet never issued gets the visitor a new one", async () => {
      const refused = await get("/search", bearer("wut_not-a-token-the-wallet-issued"));

      const token = refused.headers.get("X-Wallet-Token");
      assertError(refused, 402, "insufficient_funds");
      assert.equal(balanceHeader(refused), 0);
      assert.match(token ?? "", /^wut_/);
      assert.notEqual(token, "wut_not-a-token-the-wallet-issued");
      await walletOf(token);
    });

    test("GET /balance is free and reports the balance", async () => {
      const { token, wallet } = await newVisitor();
      await stack.topUp(wallet, 300);

      const balance = await get("/balance", bearer(token));

      assert.equal(balance.status, 200, balance.text);
      assert.deepEqual(balance.body,
        { balance: 300, currency: "usd", payment_link: wallet.payment_link });
      assert.equal(balanceHeader(balance), 300);
      assert.equal(balance.headers.get("X-Wallet-Token"), null);
      await assertBalance(stack, wallet, 300);
    });

    test("GET /balance issues a token to a new visitor", async () => {
      const balance = await get("/balance");

      const token = balance.headers.get("X-Wallet-Token");
      assert.equal(balance.status, 200, balance.text);
      assert.equal(balance.body.balance, 0);
      assert.equal(balanceHeader(balance), 0);
      await walletOf(token);
    });

    test("an unknown route is not found and a route with another method is not allowed",
      async () => {
        const missing = await get("/search/");
        const posted = await stack.viaConsumer(name, "/search", { method: "POST" });

        assertError(missing, 404, "not_found");
        assertError(posted, 405, "method_not_allowed");
        assert.equal(posted.headers.get("Allow"), "GET");
      });
  });
}

describe("the Rust consumer's metered route", () => {
  const visit = (path, headers = {}) => stack.viaConsumer("rust", path, { headers });

  async function fundedVisitor(amount) {
    const token = (await visit("/summarize")).headers.get("X-Wallet-Token");
    const wallet = await walletOf(token);
    await stack.topUp(wallet, amount);
    return { token, wallet };
  }

  test("holds the most the work may cost, then takes only what it cost", async () => {
    const { token, wallet } = await fundedVisitor(100);
    const headers = { Authorization: `Bearer ${token}`, "Idempotency-Key": "summary-1" };

    const served = await visit("/summarize", headers);
    const retried = await visit("/summarize", headers);

    assert.equal(served.status, 200, served.text);
    assert.equal(balanceHeader(served), 70);
    assert.equal(served.body.replayed, false);
    assert.equal(retried.status, 200, retried.text);
    assert.equal(balanceHeader(retried), 70);
    assert.equal(retried.body.replayed, true);
    const entries = await assertBalance(stack, wallet, 70);
    const captures = entries.filter((entry) => entry.kind === "hold_capture");
    assert.deepEqual(captures.map(({ amount, source }) => ({ amount, source })),
      [{ amount: -30, source: "consumer-example" }]);
  });

  test("is refused when the hold does not fit, though the price would", async () => {
    const { token, wallet } = await fundedVisitor(40);

    const refused = await visit("/summarize", { Authorization: `Bearer ${token}` });

    assertError(refused, 402, "insufficient_funds");
    assert.equal(balanceHeader(refused), 40);
    await assertBalance(stack, wallet, 40);
  });
});

test("a caller bound without props naming an app is refused", async () => {
  const token = (await stack.newWallet()).user_token;

  for (const binding of ["WALLET_ANON", "WALLET_OTHER_PROPS"]) {
    const identify = await stack.viaBinding(binding, "/v1/identify", {});
    const charge = await stack.viaBinding(binding, "/v1/charge", { user_token: token, amount: 1 });

    assertError(identify, 401, "app_unauthenticated");
    assertError(charge, 401, "app_unauthenticated");
  }
});

test("a wallet that cannot be reached gets a generic 503 from each consumer, logged once",
  async () => {
    await stack.wallet.stop();
    try {
      for (const [name, { app }] of Object.entries(CONSUMERS)) {
        const consumer = stack.consumers[name];
        const logged = consumer.output.length;

        const response = await stack.viaConsumer(name, "/search",
          { headers: { Authorization: "Bearer wut_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" } });

        assertError(response, 503, "wallet_unavailable");
        assert.equal(response.body.error.message, "the service is unavailable; try again later");
        assert.equal(response.headers.get("X-Balance"), null);
        // The log line reaches wrangler's output a moment after the answer.
        await sleep(500);
        const errors = consumer.output.slice(logged).split("\n")
          .filter((line) => line.includes('"level":"error"'));
        assert.equal(errors.length, 1, `${app} logged:\n${errors.join("\n")}`);
        assert.match(errors[0], /the wallet gave no usable answer/);
        assert.doesNotMatch(errors[0], /wut_/);
      }
    } finally {
      await stack.restartWallet();
    }
  });
