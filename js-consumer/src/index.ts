// A small Worker that charges its visitors per request through the wallet service, with a
// client generated from the service's openapi.json: openapi-typescript writes the types
// (./wallet-api.d.ts, made by `npm run generate:wallet-api`), openapi-fetch makes the calls.
//
// It answers like the Rust consumer example (consumer-example/): the visitor's token comes
// from `Authorization: Bearer <token>` or the `wallet_token` cookie; a visitor without one is
// issued one (a cookie and `X-Wallet-Token`) and refused on a paid route with 402 and the link
// to top up; `Idempotency-Key` is passed to the charge; every answer that reached the wallet
// carries the balance in `X-Balance`. Each request makes one wallet call.

import createClient from "openapi-fetch";

import type { components, paths } from "./wallet-api";

type Schemas = components["schemas"];

/** What the Worker is given: the service binding whose props name this app. */
export interface Env {
  WALLET: { fetch(request: Request): Promise<Response> };
}

/** What one request to each route costs, in the wallet's minor unit (cents); 0 is free. */
export const PRICES_CENTS: ReadonlyMap<string, number> = new Map([
  ["/search", 5],
  ["/generate", 25],
  ["/balance", 0],
]);

/** The method every route takes. */
const ROUTE_METHOD = "GET";

const COOKIE_NAME = "wallet_token";
const TOKEN_HEADER = "X-Wallet-Token";
const BALANCE_HEADER = "X-Balance";
const IDEMPOTENCY_KEY_HEADER = "Idempotency-Key";

/** The longest token taken from a request, in bytes; the service's tokens are far shorter. */
const USER_TOKEN_BYTES_MAX = 128;

/** The most `name=value` pairs of a `Cookie` header looked at. */
const COOKIE_PAIRS_MAX = 64;

/** The longest idempotency key the wallet accepts, in bytes (see ChargeRequest). */
const IDEMPOTENCY_KEY_BYTES_MAX = 255;

/** How long the browser keeps the token: 400 days, the most browsers allow. A lost token is a
 * lost wallet. */
const COOKIE_MAX_AGE_SECONDS = 400 * 24 * 60 * 60;

/** A token the service issued: URL-safe characters only, so it is safe in a header. */
const PLAUSIBLE_TOKEN = /^[A-Za-z0-9._~-]+$/;

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    const price = PRICES_CENTS.get(url.pathname);
    if (price === undefined) {
      return error(404, "not_found", `there is no route ${url.pathname}`);
    }
    if (request.method !== ROUTE_METHOD) {
      const response = error(405, "method_not_allowed", `${url.pathname} takes ${ROUTE_METHOD}`);
      response.headers.set("Allow", ROUTE_METHOD);
      return response;
    }
    const idempotencyKey = request.headers.get(IDEMPOTENCY_KEY_HEADER) ?? undefined;
    if (idempotencyKey !== undefined && !isValidIdempotencyKey(idempotencyKey)) {
      return error(400, "invalid_idempotency_key",
        `the Idempotency-Key header must be 1 to ${IDEMPOTENCY_KEY_BYTES_MAX} bytes`);
    }

    const visit = new Visit(env, url, price);
    const token = userToken(request.headers);
    try {
      if (price === 0) {
        return await visit.balance(token);
      }
      return token === undefined ? await visit.newVisitor() : await visit.charge(token,
        idempotencyKey);
    } catch (failure) {
      // The binding threw, or its answer was not JSON: logged once, answered generically.
      console.error(JSON.stringify({ level: "error", message: "the wallet gave no usable answer",
        route: url.pathname, detail: String(failure) }));
      return error(503, "wallet_unavailable", GENERIC_MESSAGE);
    }
  },
};

/** One request on its way through the wallet. */
class Visit {
  private readonly wallet;

  constructor(env: Env, private readonly url: URL, private readonly price: number) {
    // The host is never resolved: the binding delivers to the wallet whatever the URL.
    this.wallet = createClient<paths>({
      baseUrl: "https://wallet",
      fetch: (walletRequest) => env.WALLET.fetch(walletRequest),
    });
  }

  /** Answers a free route: one identify gives the balance and issues a token when needed. */
  async balance(token: string | undefined): Promise<Response> {
    const { data, error: failed, response } = await this.wallet.POST("/v1/identify", {
      body: { user_token: token ?? null },
    });
    if (data === undefined) {
      return this.failed("identify", response.status, failed);
    }
    const body = { balance: data.balance, currency: data.currency,
      payment_link: data.payment_link };
    return this.issued(answer(200, body, data.balance), data);
  }

  /** Charges a visitor who brought a token, without asking the wallet who they are first. */
  async charge(token: string, idempotencyKey: string | undefined): Promise<Response> {
    const { data, error: refusal, response } = await this.wallet.POST("/v1/charge", {
      body: {
        user_token: token,
        amount: this.price,
        idempotency_key: idempotencyKey ?? null,
        // The route is part of the charge's fingerprint, so one key sent to two routes is a
        // reused key, not a replay of the other route's charge.
        description: `${ROUTE_METHOD} ${this.url.pathname}`,
      },
    });
    if (data !== undefined) {
      const body = { route: this.url.pathname, price: this.price, balance: data.balance,
        replayed: data.replayed };
      return answer(200, body, data.balance);
    }
    if (refusal !== undefined && "payment_link" in refusal) {
      return this.paymentRequired(refusal);
    }
    switch (refusal?.error.code) {
      case "invalid_user_token":
        return this.newVisitor();
      case "idempotency_key_reused":
        return error(409, "idempotency_key_reused",
          "this Idempotency-Key was used for a different request");
      default:
        return this.failed("charge", response.status, refusal);
    }
  }

  /**
   * Issues a wallet to a visitor without one and refuses the paid request: a new wallet holds
   * nothing, so charging it would only cost a second call to hear the same refusal.
   */
  async newVisitor(): Promise<Response> {
    const { data, error: failed, response } = await this.wallet.POST("/v1/identify", {
      body: { user_token: null },
    });
    if (data === undefined) {
      return this.failed("identify", response.status, failed);
    }
    return this.issued(this.paymentRequired(data), data);
  }

  private paymentRequired({ balance, payment_link }: { balance: number, payment_link: string }) {
    const body = {
      error: { code: "insufficient_funds",
        message: `this request costs ${this.price} and the balance is ${balance}` },
      price: this.price,
      balance,
      payment_link,
    };
    return answer(402, body, balance);
  }

  /** Hands the visitor their new token, when identify issued one. */
  private issued(response: Response, wallet: Schemas["IdentifyResponse"]): Response {
    if (wallet.created) {
      const secure = this.url.protocol === "https:" ? "; Secure" : "";
      response.headers.append("Set-Cookie", `${COOKIE_NAME}=${wallet.user_token}; ` +
        `Max-Age=${COOKIE_MAX_AGE_SECONDS}; Path=/; HttpOnly; SameSite=Lax${secure}`);
      response.headers.set(TOKEN_HEADER, wallet.user_token);
    }
    return response;
  }

  /**
   * Logs a wallet answer this Worker cannot pass on, once, and answers generically: 502 when
   * the wallet answered with an error of its own, 503 when the answer did not come from it (a
   * status without its error body, as a proxy in between gives).
   */
  private failed(call: string, status: number, body: unknown): Response {
    const code = typeof body === "object" && body !== null && "error" in body
      ? (body as Schemas["ErrorResponse"]).error.code
      : undefined;
    if (code === undefined) {
      console.error(JSON.stringify({ level: "error", message: "the wallet gave no usable answer",
        call, status }));
      return error(503, "wallet_unavailable", GENERIC_MESSAGE);
    }
    console.error(JSON.stringify({ level: "error", message: "the wallet refused a call", call,
      status, code }));
    return error(502, "wallet_unavailable", GENERIC_MESSAGE);
  }
}

const GENERIC_MESSAGE = "the service is unavailable; try again later";

/** Returns the visitor's token: a bearer token first, else the cookie. */
export function userToken(headers: Headers): string | undefined {
  const [scheme, ...rest] = (headers.get("Authorization") ?? "").trim().split(/\s+/);
  // The scheme's name is case-insensitive (RFC 9110, section 11.1).
  if (scheme?.toLowerCase() === "bearer" && rest.length === 1 && isPlausibleToken(rest[0])) {
    return rest[0];
  }
  const pairs = (headers.get("Cookie") ?? "").split(";").slice(0, COOKIE_PAIRS_MAX);
  for (const pair of pairs) {
    const [name, value] = pair.trim().split("=", 2);
    if (name === COOKIE_NAME) {
      const token = value?.replace(/^"(.*)"$/, "$1");
      return isPlausibleToken(token) ? token : undefined;
    }
  }
  return undefined;
}

function isPlausibleToken(token: string | undefined): token is string {
  return token !== undefined && token.length <= USER_TOKEN_BYTES_MAX
    && PLAUSIBLE_TOKEN.test(token);
}

function isValidIdempotencyKey(key: string): boolean {
  const bytes = new TextEncoder().encode(key).length;
  return bytes >= 1 && bytes <= IDEMPOTENCY_KEY_BYTES_MAX;
}

/** Returns a JSON answer that reached the wallet: it carries the balance, and no cache keeps it. */
function answer(status: number, body: unknown, balance: number): Response {
  return Response.json(body, {
    status,
    headers: { [BALANCE_HEADER]: String(balance), "Cache-Control": "private, no-store" },
  });
}

function error(status: number, code: string, message: string): Response {
  return Response.json({ error: { code, message } }, { status });
}
