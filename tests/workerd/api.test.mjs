// The wallet API in workerd: identify, balance, charge and transactions over HTTP with app
// tokens and through service bindings, including concurrency, idempotency, paging, input
// validation and routing.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import {
  BINDING_APP,
  HTTP_APP,
  PAYMENT_LINK,
  REQUEST_BODY_BYTES_MAX,
  assertBalance,
  assertError,
  committedOpenApi,
  mintAppToken,
  nowSeconds,
  startStack,
} from "./harness.mjs";

const MINOR_UNITS_MAX = 9_007_199_254_740_991;

let stack;

before(async () => {
  stack = await startStack();
}, { timeout: 120_000 });

after(async () => {
  await stack?.stop();
});

function assertLedgerMatchesBalance(wallet, expectedBalance) {
  return assertBalance(stack, wallet, expectedBalance);
}

async function charge(wallet, amount, fields = {}, options = {}) {
  return stack.api("/v1/charge", { user_token: wallet.user_token, amount, ...fields }, options);
}

// --- Identify and balance ----------------------------------------------------------------

test("a new wallet holds nothing and a charge against it is refused with its payment link",
  async () => {
    const wallet = await stack.newWallet();

    const balance = await stack.api("/v1/balance", { user_token: wallet.user_token });
    const refused = await charge(wallet, 1);

    assert.equal(wallet.created, true);
    assert.equal(wallet.balance, 0);
    assert.equal(wallet.currency, "usd");
    assert.match(wallet.user_token, /^wut_[A-Za-z0-9_-]{32}$/);
    assert.match(wallet.wallet_id, /^[0-9a-f]{32}$/);
    assert.match(wallet.client_reference_id, new RegExp(`^wr1_${wallet.wallet_id}_[0-9a-f]{32}$`));
    assert.equal(wallet.payment_link,
      `${PAYMENT_LINK}?client_reference_id=${wallet.client_reference_id}`);

    assert.equal(balance.status, 200);
    assert.deepEqual(balance.body, {
      wallet_id: wallet.wallet_id,
      balance: 0,
      available_balance: 0,
      currency: "usd",
    });

    assertError(refused, 402, "insufficient_funds");
    assert.equal(refused.body.balance, 0);
    assert.ok(refused.body.payment_link.includes(
      `client_reference_id=${wallet.client_reference_id}`), refused.text);

    await assertLedgerMatchesBalance(wallet, 0);
  });

test("identify with an issued token returns the same wallet without creating one", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 700);

  const again = await stack.api("/v1/identify", { user_token: wallet.user_token });

  assert.equal(again.status, 200);
  assert.deepEqual(again.body, { ...wallet, created: false, balance: 700, available_balance: 700 });
});

test("identify with a malformed or missing token issues a new wallet", async () => {
  const malformed = await stack.api("/v1/identify", { user_token: "wut_not-a-real-token" });
  const absent = await stack.api("/v1/identify", {});

  for (const response of [malformed, absent]) {
    assert.equal(response.status, 200, response.text);
    assert.equal(response.body.created, true);
    assert.equal(response.body.balance, 0);
  }
  assert.notEqual(malformed.body.user_token, "wut_not-a-real-token");
  assert.notEqual(malformed.body.wallet_id, absent.body.wallet_id);
});

// --- Charges -----------------------------------------------------------------------------

test("a charge takes the amount and writes a ledger entry for it", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 1_000);

  const charged = await charge(wallet, 250, { description: "one search" });

  assert.equal(charged.status, 200, charged.text);
  assert.deepEqual(charged.body, { charged: true, entry_id: 2, balance: 750, replayed: false });

  const [newest, oldest] = await assertLedgerMatchesBalance(wallet, 750);
  assert.equal(oldest.kind, "topup");
  assert.equal(oldest.amount, 1_000);
  assert.deepEqual({ ...newest, created_at_ms: 0 }, {
    id: 2,
    kind: "charge",
    amount: -250,
    balance_after: 750,
    created_at_ms: 0,
    source: HTTP_APP,
    description: "one search",
  });
});

test("a charge with allow_negative may take the balance below zero", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 100);

  const charged = await charge(wallet, 130, { allow_negative: true });

  assert.equal(charged.status, 200, charged.text);
  assert.equal(charged.body.balance, -30);
  await assertLedgerMatchesBalance(wallet, -30);
});

test("200 concurrent charges of 1 against a balance of 50 take exactly 50", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 50);

  const responses = await Promise.all(
    Array.from({ length: 200 }, (_, i) => charge(wallet, 1, { description: `call ${i}` })),
  );

  const statuses = responses.map((response) => response.status);
  assert.equal(statuses.filter((status) => status === 200).length, 50);
  assert.equal(statuses.filter((status) => status === 402).length, 150);
  for (const refused of responses.filter((response) => response.status === 402)) {
    assertError(refused, 402, "insufficient_funds");
    assert.equal(refused.body.balance, 0);
  }
  const balancesAfter = responses
    .filter((response) => response.status === 200)
    .map((response) => response.body.balance)
    .sort((a, b) => a - b);
  assert.deepEqual(balancesAfter, Array.from({ length: 50 }, (_, i) => i));

  const entries = await assertLedgerMatchesBalance(wallet, 0);
  assert.equal(entries.length, 51);
});

test("a charge for the largest amount is refused for want of funds, not as invalid", async () => {
  const wallet = await stack.newWallet();

  const refused = await charge(wallet, MINOR_UNITS_MAX);

  assertError(refused, 402, "insufficient_funds");
});

test("a charge that would pass -(2^53 - 1) is refused with balance_limit_exceeded", async () => {
  const wallet = await stack.newWallet();
  await charge(wallet, MINOR_UNITS_MAX, { allow_negative: true });

  const refused = await charge(wallet, 1, { allow_negative: true });

  assertError(refused, 422, "balance_limit_exceeded");
  await assertLedgerMatchesBalance(wallet, -MINOR_UNITS_MAX);
});

// --- Idempotency -------------------------------------------------------------------------

test("a charge retried with its idempotency key debits once and replays the first answer",
  async () => {
    const wallet = await stack.newWallet();
    await stack.topUp(wallet, 100);
    const fields = { idempotency_key: "order-1042", description: "report export" };

    const first = await charge(wallet, 30, fields);
    const retry = await charge(wallet, 30, fields);
    await charge(wallet, 5);
    const lateRetry = await charge(wallet, 30, fields);

    assert.equal(first.status, 200, first.text);
    assert.deepEqual(first.body, { charged: true, entry_id: 2, balance: 70, replayed: false });
    assert.equal(retry.status, 200, retry.text);
    assert.deepEqual(retry.body, { ...first.body, replayed: true });
    // The replay answers as the first call did, even after the balance has moved.
    assert.deepEqual(lateRetry.body, { ...first.body, replayed: true });

    await assertLedgerMatchesBalance(wallet, 65);
  });

test("an idempotency key reused with another amount is refused with idempotency_key_reused",
  async () => {
    const wallet = await stack.newWallet();
    await stack.topUp(wallet, 100);
    await charge(wallet, 30, { idempotency_key: "order-7" });

    const otherAmount = await charge(wallet, 31, { idempotency_key: "order-7" });
    const otherDescription =
      await charge(wallet, 30, { idempotency_key: "order-7", description: "changed" });

    assertError(otherAmount, 409, "idempotency_key_reused");
    assertError(otherDescription, 409, "idempotency_key_reused");
    await assertLedgerMatchesBalance(wallet, 70);
  });

test("concurrent retries of one idempotency key debit once", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 100);

  const responses = await Promise.all(
    Array.from({ length: 10 }, () => charge(wallet, 40, { idempotency_key: "retry-storm" })),
  );

  for (const response of responses) {
    assert.equal(response.status, 200, response.text);
  }
  assert.equal(responses.filter((response) => !response.body.replayed).length, 1);
  assert.equal(new Set(responses.map((response) => response.body.entry_id)).size, 1);
  assert.ok(responses.every((response) => response.body.balance === 60));
  const entries = await assertLedgerMatchesBalance(wallet, 60);
  assert.equal(entries.length, 2);
});

test("an idempotency key belongs to the app that used it", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 100);
  const otherApp = { auth: `Bearer ${stack.appToken("billing")}` };

  const mine = await charge(wallet, 10, { idempotency_key: "k-1" });
  const theirs = await charge(wallet, 10, { idempotency_key: "k-1" }, otherApp);

  assert.equal(mine.body.replayed, false);
  assert.equal(theirs.status, 200, theirs.text);
  assert.equal(theirs.body.replayed, false);
  assert.notEqual(theirs.body.entry_id, mine.body.entry_id);
  await assertLedgerMatchesBalance(wallet, 80);
});

// --- App identity ------------------------------------------------------------------------

test("a call with no app identity is refused with app_unauthenticated", async () => {
  const wallet = await stack.newWallet();

  const identify = await stack.api("/v1/identify", { user_token: null }, { auth: null });
  const charged = await charge(wallet, 1, {}, { auth: null });

  assertError(identify, 401, "app_unauthenticated");
  assertError(charged, 401, "app_unauthenticated");
});

test("app tokens that are forged, expired, unsigned or not bearer tokens are refused",
  async () => {
    const secret = stack.secrets.APP_TOKEN_SECRET;
    const unsigned = mintAppToken(secret, { sub: HTTP_APP, iat: nowSeconds() }, { alg: "none" })
      .replace(/[^.]+$/, "");
    const cases = {
      "another secret": `Bearer ${stack.appToken(HTTP_APP, { secret: "not-the-app-secret" })}`,
      "expired": `Bearer ${stack.appToken(HTTP_APP, { claims: { exp: nowSeconds() - 60 } })}`,
      "alg none": `Bearer ${unsigned}`,
      "invalid app id": `Bearer ${stack.appToken("Not An App")}`,
      "basic auth": `Basic ${Buffer.from(`${HTTP_APP}:x`).toString("base64")}`,
      "garbage": "Bearer abc.def.ghi",
    };

    for (const [name, auth] of Object.entries(cases)) {
      const response = await stack.api("/v1/identify", {}, { auth });

      assert.equal(response.status, 401, `${name}: ${response.text}`);
      assertError(response, 401, "app_unauthenticated");
    }
  });

test("the bearer scheme is recognised whatever its case", async () => {
  const response =
    await stack.api("/v1/identify", {}, { auth: `bearer ${stack.appToken(HTTP_APP)}` });

  assert.equal(response.status, 200, response.text);
});

test("a call through a binding without props is refused with app_unauthenticated", async () => {
  const wallet = await stack.newWallet();

  const identify = await stack.viaBinding("WALLET_ANON", "/v1/identify", {});
  const charged = await stack.viaBinding(
    "WALLET_ANON", "/v1/charge", { user_token: wallet.user_token, amount: 1 });

  assertError(identify, 401, "app_unauthenticated");
  assertError(charged, 401, "app_unauthenticated");
});

test("a charge through a binding with props is recorded under the binding's app", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 100);

  const charged =
    await stack.viaBinding("WALLET", "/v1/charge", { user_token: wallet.user_token, amount: 7 });

  assert.equal(charged.status, 200, charged.text);
  const [entry] = await assertLedgerMatchesBalance(wallet, 93);
  assert.equal(entry.source, BINDING_APP);
  assert.equal(entry.amount, -7);
});

test("a charge over HTTP is recorded under the app token's subject", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 100);

  const charged = await charge(wallet, 9);

  assert.equal(charged.status, 200, charged.text);
  const [entry] = await assertLedgerMatchesBalance(wallet, 91);
  assert.equal(entry.source, HTTP_APP);
});

test("a binding's props win over an app token sent through it", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 100);
  const headers = { Authorization: `Bearer ${stack.appToken("http-impostor")}` };

  const charged = await stack.viaBinding(
    "WALLET", "/v1/charge", { user_token: wallet.user_token, amount: 3 }, { headers });

  assert.equal(charged.status, 200, charged.text);
  const [entry] = await assertLedgerMatchesBalance(wallet, 97);
  assert.equal(entry.source, BINDING_APP);
});

test("a binding without props may prove its app with an app token", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 100);
  const headers = { Authorization: `Bearer ${stack.appToken("anon-app")}` };

  const charged = await stack.viaBinding(
    "WALLET_ANON", "/v1/charge", { user_token: wallet.user_token, amount: 4 }, { headers });

  assert.equal(charged.status, 200, charged.text);
  const [entry] = await assertLedgerMatchesBalance(wallet, 96);
  assert.equal(entry.source, "anon-app");
});

// --- Transactions ------------------------------------------------------------------------

test("transaction pages follow next_cursor newest first to the end without duplicates",
  async () => {
    const wallet = await stack.newWallet();
    await stack.topUp(wallet, 100);
    for (let i = 1; i <= 6; i += 1) {
      await charge(wallet, i, { description: `charge ${i}` });
    }

    const pages = [];
    let cursor;
    do {
      const page = await stack.api("/v1/transactions",
        { user_token: wallet.user_token, limit: 2, ...(cursor ? { cursor } : {}) });
      assert.equal(page.status, 200, page.text);
      pages.push(page.body);
      cursor = page.body.next_cursor;
    } while (cursor !== null && pages.length < 10);

    assert.deepEqual(pages.map((page) => page.entries.length), [2, 2, 2, 1]);
    assert.ok(pages.every((page) => page.wallet_id === wallet.wallet_id));
    const ids = pages.flatMap((page) => page.entries.map((entry) => entry.id));
    assert.deepEqual(ids, [7, 6, 5, 4, 3, 2, 1]);
    const entries = pages.flatMap((page) => page.entries);
    assert.deepEqual(entries.map((entry) => entry.description),
      ["charge 6", "charge 5", "charge 4", "charge 3", "charge 2", "charge 1", null]);
    // Each entry's balance is the one before it plus its own amount.
    for (let i = 0; i < entries.length - 1; i += 1) {
      assert.equal(entries[i].balance_after, entries[i + 1].balance_after + entries[i].amount);
    }
    await assertLedgerMatchesBalance(wallet, 100 - 21);
  });

test("a transactions page holds 25 entries by default and at most 100", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 200);
  await Promise.all(Array.from({ length: 119 }, () => charge(wallet, 1)));

  const byDefault = await stack.api("/v1/transactions", { user_token: wallet.user_token });
  const largest =
    await stack.api("/v1/transactions", { user_token: wallet.user_token, limit: 100 });
  const rest = await stack.api("/v1/transactions",
    { user_token: wallet.user_token, limit: 100, cursor: largest.body.next_cursor });

  assert.equal(byDefault.body.entries.length, 25);
  assert.equal(typeof byDefault.body.next_cursor, "string");
  assert.equal(largest.body.entries.length, 100);
  assert.equal(rest.body.entries.length, 20);
  assert.equal(rest.body.next_cursor, null);
  await assertLedgerMatchesBalance(wallet, 81);
});

test("a wallet that was never paid into has an empty ledger", async () => {
  const wallet = await stack.newWallet();

  const page = await stack.api("/v1/transactions", { user_token: wallet.user_token });

  assert.equal(page.status, 200, page.text);
  assert.deepEqual(page.body, { wallet_id: wallet.wallet_id, entries: [], next_cursor: null });
});

// --- Refused input -----------------------------------------------------------------------

// A token of the right shape that no one was issued: it opens an empty wallet.
const UNUSED_TOKEN = "wut_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";

const REFUSED_REQUESTS = [
  ["malformed JSON", "/v1/charge", '{"user_token": "x", "amount": ', 400, "malformed_json"],
  ["an empty body", "/v1/charge", "", 400, "malformed_json"],
  ["JSON nested 10000 deep", "/v1/charge", "[".repeat(10_000), 400, "malformed_json"],
  ["a JSON array", "/v1/balance", "[]", 400, "invalid_request"],
  ["a user_token that is a number on identify", "/v1/identify", { user_token: 5 }, 400,
    "invalid_request"],
  ["a user_token that is a number", "/v1/balance", { user_token: 5 }, 400, "invalid_request"],
  ["allow_negative as a string", "/v1/charge",
    { user_token: UNUSED_TOKEN, amount: 1, allow_negative: "yes" }, 400, "invalid_request"],
  ["a negative amount", "/v1/charge", { user_token: UNUSED_TOKEN, amount: -1 }, 400,
    "invalid_amount"],
  ["a zero amount", "/v1/charge", { user_token: UNUSED_TOKEN, amount: 0 }, 400,
    "invalid_amount"],
  ["a fractional amount", "/v1/charge", { user_token: UNUSED_TOKEN, amount: 1.5 }, 400,
    "invalid_amount"],
  ["a whole amount written as a float", "/v1/charge",
    `{"user_token": "${UNUSED_TOKEN}", "amount": 5.0}`, 400, "invalid_amount"],
  ["an amount in a string", "/v1/charge", { user_token: UNUSED_TOKEN, amount: "5" }, 400,
    "invalid_amount"],
  ["an amount of 2^53", "/v1/charge",
    `{"user_token": "${UNUSED_TOKEN}", "amount": 9007199254740992}`, 400, "invalid_amount"],
  ["an amount past 2^64", "/v1/charge",
    `{"user_token": "${UNUSED_TOKEN}", "amount": 18446744073709551616}`, 400, "invalid_amount"],
  ["a null amount", "/v1/charge", { user_token: UNUSED_TOKEN, amount: null }, 400,
    "invalid_amount"],
  ["a missing amount", "/v1/charge", { user_token: UNUSED_TOKEN }, 400, "invalid_request"],
  ["an unknown field", "/v1/charge", { user_token: UNUSED_TOKEN, amount: 1, amount_cents: 1 },
    400, "invalid_request"],
  ["an unknown field on identify", "/v1/identify", { user_token: null, email: "a@b.c" }, 400,
    "invalid_request"],
  ["a missing user_token on charge", "/v1/charge", { amount: 1 }, 400, "invalid_request"],
  ["a missing user_token on balance", "/v1/balance", {}, 400, "invalid_request"],
  ["a malformed user token on charge", "/v1/charge", { user_token: "wut_short", amount: 1 },
    400, "invalid_user_token"],
  ["a user token without its prefix", "/v1/balance",
    { user_token: UNUSED_TOKEN.replace("wut_", "xyz_") }, 400, "invalid_user_token"],
  ["a malformed user token on transactions", "/v1/transactions", { user_token: "" }, 400,
    "invalid_user_token"],
  ["a cursor no page returned", "/v1/transactions",
    { user_token: UNUSED_TOKEN, cursor: "garbage" }, 400, "invalid_cursor"],
  ["a cursor with a non-numeric id", "/v1/transactions",
    { user_token: UNUSED_TOKEN, cursor: "before_abc" }, 400, "invalid_cursor"],
  ["a cursor before entry 0", "/v1/transactions",
    { user_token: UNUSED_TOKEN, cursor: "before_0" }, 400, "invalid_cursor"],
  ["limit 0", "/v1/transactions", { user_token: UNUSED_TOKEN, limit: 0 }, 400,
    "invalid_request"],
  ["limit 101", "/v1/transactions", { user_token: UNUSED_TOKEN, limit: 101 }, 400,
    "invalid_request"],
  ["a fractional limit", "/v1/transactions", { user_token: UNUSED_TOKEN, limit: 2.5 }, 400,
    "invalid_request"],
  ["a cursor past 2^64", "/v1/transactions",
    { user_token: UNUSED_TOKEN, cursor: "before_99999999999999999999" }, 400, "invalid_cursor"],
  ["a cursor past any entry id JavaScript carries", "/v1/transactions",
    { user_token: UNUSED_TOKEN, cursor: "before_9007199254740992" }, 400, "invalid_cursor"],
  ["an amount on a route that takes none", "/v1/identify", { amount: -1 }, 400,
    "invalid_request"],
  ["a negative limit", "/v1/transactions", { user_token: UNUSED_TOKEN, limit: -1 }, 400,
    "invalid_request"],
  ["an empty idempotency key", "/v1/charge",
    { user_token: UNUSED_TOKEN, amount: 1, idempotency_key: "" }, 400, "invalid_request"],
  ["an idempotency key of 256 bytes", "/v1/charge",
    { user_token: UNUSED_TOKEN, amount: 1, idempotency_key: "k".repeat(256) }, 400,
    "invalid_request"],
  ["a description of 501 bytes", "/v1/charge",
    { user_token: UNUSED_TOKEN, amount: 1, description: "é".repeat(250) + "a" }, 400,
    "invalid_request"],
  ["a body over 16 KiB", "/v1/charge",
    { user_token: UNUSED_TOKEN, amount: 1, description: "x".repeat(REQUEST_BODY_BYTES_MAX) },
    413, "body_too_large"],
];

for (const [what, path, body, status, code] of REFUSED_REQUESTS) {
  test(`${what} on ${path} is refused with ${status} ${code}`, async () => {
    const response = await stack.api(path, body);

    assertError(response, status, code);
  });
}

test("a body over 16 KiB sent in chunks without a length is refused with body_too_large",
  async () => {
    const chunk = new TextEncoder().encode(" ".repeat(1024));
    let sent = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (sent === 0) {
          controller.enqueue(new TextEncoder().encode(`{"user_token": "${UNUSED_TOKEN}", `));
        }
        if (sent > REQUEST_BODY_BYTES_MAX + 4 * 1024) {
          controller.enqueue(new TextEncoder().encode('"amount": 1}'));
          controller.close();
          return;
        }
        controller.enqueue(chunk);
        sent += chunk.length;
      },
    });

    const response = await stack.api("/v1/charge", body);

    assertError(response, 413, "body_too_large");
  });

test("refused requests move no money", async () => {
  const wallet = await stack.newWallet();
  await stack.topUp(wallet, 50);
  const token = wallet.user_token;

  const responses = [
    await stack.api("/v1/charge", { user_token: token, amount: 0 }),
    await stack.api("/v1/charge", { user_token: token, amount: 1.5 }),
    await stack.api("/v1/charge", { user_token: token, amount: 1, amount_cents: 1 }),
    await stack.api("/v1/charge", { user_token: token, amount: 1, idempotency_key: "" }),
    await stack.api("/v1/charge", { user_token: token, amount: 1 }, { auth: null }),
  ];

  assert.ok(responses.every((response) => response.status >= 400 && response.status < 500));
  const entries = await assertLedgerMatchesBalance(wallet, 50);
  assert.equal(entries.length, 1);
});

// --- Routes ------------------------------------------------------------------------------

test("GET /openapi.json serves the committed OpenAPI document", async () => {
  const response = await stack.api("/openapi.json", undefined, { method: "GET", auth: null });

  assert.equal(response.status, 200);
  assert.match(response.headers.get("Content-Type"), /^application\/json/);
  assert.deepEqual(response.body, await committedOpenApi());
});

test("GET /healthz answers ok without an app identity", async () => {
  const response = await stack.api("/healthz", undefined, { method: "GET", auth: null });

  assert.equal(response.status, 200);
  assert.deepEqual(response.body, { status: "ok" });
});

test("an unknown route is refused with 404 not_found", async () => {
  const response = await stack.api("/v1/refund", { user_token: UNUSED_TOKEN });

  assertError(response, 404, "not_found");
});

test("a known route with another method is refused with 405 method_not_allowed", async () => {
  const get = await stack.api("/v1/charge", undefined, { method: "GET" });
  const put = await stack.api("/v1/charge", { user_token: UNUSED_TOKEN, amount: 1 },
    { method: "PUT" });
  const postHealth = await stack.api("/healthz", {}, { auth: null });

  assertError(get, 405, "method_not_allowed");
  assertError(put, 405, "method_not_allowed");
  assertError(postHealth, 405, "method_not_allowed");
});

test("every error code these tests meet is documented in openapi.json", async () => {
  const openapi = JSON.stringify(await committedOpenApi());
  const codes = new Set(REFUSED_REQUESTS.map(([, , , , code]) => code));
  for (const code of ["insufficient_funds", "idempotency_key_reused", "app_unauthenticated",
    "not_found", "method_not_allowed", "balance_limit_exceeded"]) {
    codes.add(code);
  }

  const missing = [...codes].filter((code) => !openapi.includes(`"${code}"`));

  assert.deepEqual(missing, []);
});
