// Runs the built wallet service, and Workers bound to it (a caller that forwards requests, and
// on request the two consumer examples), in workerd through `wrangler dev`, and gives tests the
// helpers they need to drive it: app tokens, Stripe signatures, realistic Checkout Session
// events, and a ledger audit.
//
// Each test file starts its own processes with its own temporary directory (secrets, storage,
// dev registry, logs) and ports chosen by the system, so files can run in parallel.
//
//   const stack = await startStack();            // in before()
//   const wallet = await stack.newWallet();
//   await stack.topUp(wallet, 500);
//   const { status, body } = await stack.api("/v1/charge", { user_token, amount: 5 });
//   await stack.stop();                           // in after()
//
// Run from the repository root, after scripts/build-worker wallet-service (and
// scripts/build-worker consumer-example for the consumers), with Node 22:
//
//   node --test 'tests/workerd/*.test.mjs'
//
// (Node 22 takes files and globs, not a directory.) Set WALLET_TEST_LOGS=1 to see wrangler's
// and the Worker's output on stderr.

import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, rmSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";

import {
  checkoutSessionEvent,
  mintAppToken,
  newSecrets,
  nowSeconds,
  stripeBody,
  stripeSignature,
} from "./fixtures.mjs";

export {
  PAYMENT_LINK,
  checkoutSessionEvent,
  mintAppToken,
  newSecrets,
  nowSeconds,
  randomToken,
  stripeBody,
  stripeSignature,
} from "./fixtures.mjs";

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const WALLET_CONFIG = join(REPO_ROOT, "wrangler.toml");
const WALLET_BUILD = join(REPO_ROOT, "wallet-service", "build", "index.js");
const CALLER_CONFIG = join(REPO_ROOT, "tests", "workerd", "caller", "wrangler.toml");

/**
 * The example apps that charge their visitors through the wallet, by the name tests use. `app`
 * is the id their binding's props give the wallet; `build` is what must be built before they
 * start (wrangler bundles the JavaScript consumer itself).
 */
export const CONSUMERS = {
  rust: {
    app: "consumer-example",
    config: join(REPO_ROOT, "consumer-example", "wrangler.toml"),
    build: join(REPO_ROOT, "consumer-example", "build", "index.js"),
    buildCommand: "scripts/build-worker consumer-example",
  },
  js: {
    app: "js-consumer",
    config: join(REPO_ROOT, "js-consumer", "wrangler.toml"),
  },
};

/**
 * The consumers' free route. It answers 200 only once their WALLET binding reaches the
 * wallet service, so it is also how a test waits for that binding.
 */
const CONSUMER_READY_PATH = "/balance";
const WRANGLER_BIN = join(REPO_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** How long a wrangler dev process may take to answer, including its bindings connecting. */
const STARTUP_TIMEOUT_MS = 90_000;

/** How long a stopped process group may take to exit before it is killed outright. */
const STOP_GRACE_MS = 5_000;

/** How much of a process's latest output is kept for error messages, in characters. */
const OUTPUT_CHARS_MAX = 64 * 1024;

/** The most pages `ledgerSum` reads, a bound well past any ledger a test writes. */
const LEDGER_PAGES_MAX = 1_000;

/** The app every HTTP call is made as unless a test says otherwise. */
export const HTTP_APP = "http-app";

/** The app whose token the consumer started with `httpsConsumer` calls the wallet as. */
export const HTTPS_CONSUMER_APP = "consumer-https";

/** The app the caller's WALLET binding names in its props. */
export const BINDING_APP = "test-caller";

/** The largest request body the wallet API reads, in bytes. */
export const REQUEST_BODY_BYTES_MAX = 16 * 1024;

/** The largest webhook body the service reads, in bytes. */
export const WEBHOOK_BODY_BYTES_MAX = 256 * 1024;

/** How far a Stripe signature's timestamp may be from the service's clock. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

// --- Processes -------------------------------------------------------------------------------

/** Every process group started and not yet seen to exit, so that none outlives the tests. */
const liveGroups = new Set();

/** Every temporary directory not yet removed. */
const liveDirs = new Set();

function killLiveGroupsNow() {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // The group is gone already.
    }
  }
  liveGroups.clear();
  for (const dir of liveDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // A process killed a moment ago may still be releasing a file; the system's temporary
      // directory cleaner takes what is left.
    }
  }
  liveDirs.clear();
}

// The after() hooks stop everything on a normal run; these catch a crash or an interrupt.
process.on("exit", killLiveGroupsNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    killLiveGroupsNow();
    process.exit(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]);
  });
}

function groupIsAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * One `wrangler dev` process and the workerd processes it starts, all in one process group so
 * that they stop together.
 */
class DevServer {
  constructor({ name, config, persistDir, envFile, registryDir, logDir, readyPath = "/healthz" }) {
    this.name = name;
    this.readyPath = readyPath;
    this.config = config;
    this.persistDir = persistDir;
    this.envFile = envFile;
    this.registryDir = registryDir;
    this.logDir = logDir;
    this.output = "";
    this.url = null;
    this.child = null;
  }

  async start() {
    const args = [
      WRANGLER_BIN, "dev",
      "-c", this.config,
      "--ip", "127.0.0.1",
      // Port 0 lets the system choose a free port; wrangler reports it in its ready line. A
      // port picked here and handed over could be taken in between by another workerd.
      "--port", "0",
      "--inspector-port", "0",
      "--persist-to", this.persistDir,
      "--show-interactive-dev-session=false",
    ];
    if (this.envFile !== undefined) {
      args.push("--env-file", this.envFile);
    }
    this.output = "";
    this.url = null;
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...process.env,
        // The build is made once before the tests (scripts/test); wrangler's [build] step
        // would otherwise rebuild the wasm at every start.
        WALLET_SKIP_BUILD: "1",
        WRANGLER_REGISTRY_PATH: this.registryDir,
        WRANGLER_LOG_PATH: this.logDir,
        WRANGLER_SEND_METRICS: "false",
        FORCE_COLOR: "0",
        NO_COLOR: "1",
      },
    });
    this.child = child;
    liveGroups.add(child.pid);
    const exited = new Promise((resolve) => child.once("exit", resolve));
    this.exited = exited;
    for (const stream of [child.stdout, child.stderr]) {
      stream.setEncoding("utf8");
      stream.on("data", (text) => {
        this.output = (this.output + text).slice(-OUTPUT_CHARS_MAX);
        if (process.env.WALLET_TEST_LOGS === "1") {
          process.stderr.write(`[${this.name}] ${text}`);
        }
      });
    }

    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    let earlyExit = false;
    exited.then(() => {
      earlyExit = true;
    });
    while (this.url === null) {
      const ready = this.output.match(/Ready on (http:\/\/127\.0\.0\.1:\d+)/);
      if (ready !== null) {
        this.url = ready[1];
      } else if (earlyExit) {
        throw new Error(`${this.name} exited during start-up:\n${this.outputTail()}`);
      } else if (Date.now() > deadline) {
        await this.stop();
        throw new Error(`${this.name} did not start in time:\n${this.outputTail()}`);
      } else {
        await sleep(100);
      }
    }
    await this.waitFor(this.readyPath, deadline);
  }

  /** Waits until GET `path` answers 200, as it does once the Worker (and binding) is up. */
  async waitFor(path, deadline = Date.now() + STARTUP_TIMEOUT_MS) {
    let last = "no answer";
    while (Date.now() < deadline) {
      try {
        const response = await fetch(this.url + path);
        const text = await response.text();
        if (response.status === 200) {
          return;
        }
        last = `${response.status} ${text.slice(0, 200)}`;
      } catch (error) {
        last = String(error.cause ?? error);
      }
      await sleep(250);
    }
    throw new Error(`${this.name}: GET ${path} never answered 200 (last: ${last}):\n` +
      this.outputTail());
  }

  outputTail() {
    return this.output.split("\n").slice(-40).join("\n");
  }

  /**
   * Stops the process group: SIGTERM first, which lets wrangler take its entry out of the dev
   * registry, then SIGKILL for whatever is left. `hard` skips straight to SIGKILL, as a crash
   * of the machine would.
   */
  async stop({ hard = false } = {}) {
    const child = this.child;
    if (child === null) {
      return;
    }
    const pgid = child.pid;
    const signalGroup = (signal) => {
      try {
        process.kill(-pgid, signal);
      } catch {
        // Already gone.
      }
    };
    signalGroup(hard ? "SIGKILL" : "SIGTERM");
    const deadline = Date.now() + STOP_GRACE_MS;
    while (groupIsAlive(pgid) && Date.now() < deadline) {
      await sleep(50);
    }
    if (groupIsAlive(pgid)) {
      signalGroup("SIGKILL");
      while (groupIsAlive(pgid)) {
        await sleep(50);
      }
    }
    await this.exited;
    liveGroups.delete(pgid);
    this.child = null;
  }
}

// --- The stack ---------------------------------------------------------------------------------

/**
 * Starts the wallet service and, unless `caller` is false, the caller Worker bound to it; with
 * `consumers`, also every Worker in CONSUMERS, reachable as `stack.consumers.rust` and
 * `stack.consumers.js`; with `httpsConsumer`, the Rust consumer calling the wallet over HTTP
 * with an app token, as `stack.consumers.https`. The Workers bound to the wallet start side by
 * side once it is up.
 *
 * `secrets` replaces the wallet's secrets (omit a key to leave that secret unset). Every stack
 * has its own dev registry, so a second stack never answers for the first one's bindings.
 */
export async function startStack({
  caller = true,
  consumers = false,
  httpsConsumer = false,
  secrets = newSecrets(),
} = {}) {
  if (!existsSync(WALLET_BUILD)) {
    throw new Error(
      `${WALLET_BUILD} is missing: build the Worker first with scripts/build-worker wallet-service`,
    );
  }
  if (consumers) {
    for (const { build, buildCommand } of Object.values(CONSUMERS)) {
      if (build !== undefined && !existsSync(build)) {
        throw new Error(`${build} is missing: build it first with ${buildCommand}`);
      }
    }
  }
  const dir = await mkdtemp(join(tmpdir(), "wallet-workerd-"));
  liveDirs.add(dir);
  const registryDir = join(dir, "registry");
  const logDir = join(dir, "logs");
  await mkdir(registryDir);
  await mkdir(logDir);
  const envFile = join(dir, "wallet.env");
  const envText = Object.entries(secrets).map(([name, value]) => `${name}=${value}\n`).join("");
  await writeFile(envFile, envText, { mode: 0o600 });

  const stack = new Stack({ dir, secrets });
  stack.wallet = new DevServer({
    name: "wallet-service",
    config: WALLET_CONFIG,
    persistDir: join(dir, "wallet-state"),
    envFile,
    registryDir,
    logDir,
  });
  try {
    await stack.wallet.start();
    const starting = [];
    if (caller) {
      stack.caller = new DevServer({
        name: "caller",
        config: CALLER_CONFIG,
        persistDir: join(dir, "caller-state"),
        envFile: undefined,
        registryDir,
        logDir,
      });
      starting.push(stack.caller.start().then(() => stack.waitForBindings()));
    }
    if (httpsConsumer) {
      // The Rust consumer again, calling the wallet's URL with an app token instead of its
      // binding, as an app outside the wallet's account would. Its URL is known only now.
      const consumerEnv = join(dir, "consumer-https.env");
      const token = stack.appToken(HTTPS_CONSUMER_APP);
      await writeFile(consumerEnv, `WALLET_URL=${stack.wallet.url}\nWALLET_APP_TOKEN=${token}\n`,
        { mode: 0o600 });
      const server = new DevServer({
        name: HTTPS_CONSUMER_APP,
        config: CONSUMERS.rust.config,
        persistDir: join(dir, "consumer-https-state"),
        envFile: consumerEnv,
        registryDir,
        logDir,
        readyPath: CONSUMER_READY_PATH,
      });
      stack.consumers.https = server;
      starting.push(server.start());
    }
    if (consumers) {
      for (const [name, { app, config }] of Object.entries(CONSUMERS)) {
        const server = new DevServer({
          name: app,
          config,
          persistDir: join(dir, `${app}-state`),
          envFile: undefined,
          registryDir,
          logDir,
          readyPath: CONSUMER_READY_PATH,
        });
        stack.consumers[name] = server;
        starting.push(server.start());
      }
    }
    // Every start is awaited before giving up, so that none is still spawning when stop() runs.
    const failed = (await Promise.allSettled(starting)).find(({ status }) => status === "rejected");
    if (failed !== undefined) {
      throw failed.reason;
    }
  } catch (error) {
    await stack.stop();
    throw error;
  }
  return stack;
}

class Stack {
  constructor({ dir, secrets }) {
    this.dir = dir;
    this.secrets = secrets;
    this.wallet = null;
    this.caller = null;
    this.consumers = {};
  }

  /**
   * Waits until both of the caller's bindings reach the wallet service. A binding starts out
   * "[not connected]" and finds the service through the dev registry some seconds later.
   */
  async waitForBindings() {
    await this.caller.waitFor("/WALLET/healthz");
    await this.caller.waitFor("/WALLET_ANON/healthz");
    await this.caller.waitFor("/WALLET_OTHER_PROPS/healthz");
  }

  /** Stops the wallet service and starts it again on the same storage. */
  async restartWallet({ hard = false } = {}) {
    await this.wallet.stop({ hard });
    await this.wallet.start();
    if (this.caller !== null) {
      await this.waitForBindings();
    }
    for (const consumer of Object.values(this.consumers)) {
      await consumer.waitFor(consumer.readyPath);
    }
  }

  async stop() {
    const bound = [this.caller, ...Object.values(this.consumers)];
    await Promise.all(bound.map((server) => server?.stop()));
    await this.wallet?.stop();
    await rm(this.dir, { recursive: true, force: true });
    liveDirs.delete(this.dir);
  }

  // --- Calls -----------------------------------------------------------------------------------

  /** Returns an app token for `app`, signed with this service's secret unless told otherwise. */
  appToken(app, { secret = this.secrets.APP_TOKEN_SECRET, claims = {} } = {}) {
    return mintAppToken(secret, { sub: app, iat: nowSeconds(), ...claims });
  }

  /**
   * Calls the wallet service over HTTP.
   *
   * `body` is sent as JSON unless it is a string, a Buffer or a stream, which are sent as they
   * are. `auth` is the Authorization header: by default an app token for HTTP_APP; null sends
   * none.
   */
  async api(path, body, {
    auth = `Bearer ${this.appToken(HTTP_APP)}`,
    method = "POST",
    headers = {},
  } = {}) {
    const allHeaders = { "Content-Type": "application/json", ...headers };
    if (auth !== null) {
      allHeaders.Authorization = auth;
    }
    return request(this.wallet.url + path, { method, headers: allHeaders, body });
  }

  /** Calls the wallet service through the caller's service binding `binding`. */
  async viaBinding(binding, path, body, { method = "POST", headers = {} } = {}) {
    const allHeaders = { "Content-Type": "application/json", ...headers };
    return request(`${this.caller.url}/${binding}${path}`, { method, headers: allHeaders, body });
  }

  /**
   * Sends a visitor's request to the consumer `name` (a key of CONSUMERS): GET unless told
   * otherwise, with `headers` as given.
   */
  async viaConsumer(name, path, { method = "GET", headers = {} } = {}) {
    return request(this.consumers[name].url + path, { method, headers });
  }

  /**
   * Delivers a Stripe event to the webhook as Stripe does: the body pretty-printed, signed with
   * the endpoint's secret at the current time. `rawBody` and `signature` replace what would be
   * sent; `signature: null` sends no Stripe-Signature header.
   */
  async deliver(event, {
    rawBody = stripeBody(event),
    secret = this.secrets.STRIPE_WEBHOOK_SIGNING_SECRET,
    timestamp = nowSeconds(),
    signature = stripeSignature(rawBody, secret, timestamp),
  } = {}) {
    const headers = {
      "Content-Type": "application/json; charset=utf-8",
      "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
    };
    if (signature !== null) {
      headers["Stripe-Signature"] = signature;
    }
    return request(`${this.wallet.url}/stripe-webhook`, { method: "POST", headers, body: rawBody });
  }

  // --- Shortcuts ---------------------------------------------------------------------------

  /** Issues a new wallet and returns what identify answered. */
  async newWallet() {
    const { status, body } = await this.api("/v1/identify", { user_token: null });
    if (status !== 200) {
      throw new Error(`identify answered ${status}: ${JSON.stringify(body)}`);
    }
    return body;
  }

  /** Pays `amount` cents into `wallet` through a signed Checkout Session event. */
  async topUp(wallet, amount) {
    const event = checkoutSessionEvent({
      clientReferenceId: wallet.client_reference_id,
      amountTotal: amount,
    });
    const { status, body } = await this.deliver(event);
    if (status !== 200 || body.action !== "credited") {
      throw new Error(`the top-up was not credited: ${status} ${JSON.stringify(body)}`);
    }
    return event;
  }

  /** Returns the wallet's balance. */
  async balance(userToken) {
    const { status, body } = await this.api("/v1/balance", { user_token: userToken });
    if (status !== 200) {
      throw new Error(`balance answered ${status}: ${JSON.stringify(body)}`);
    }
    return body.balance;
  }

  /** Returns every ledger entry of the wallet, newest first, following the pages to the end. */
  async allEntries(userToken, { limit = 100 } = {}) {
    const entries = [];
    let cursor;
    for (let pages = 0; pages < LEDGER_PAGES_MAX; pages += 1) {
      const { status, body } = await this.api("/v1/transactions", {
        user_token: userToken,
        limit,
        ...(cursor === undefined ? {} : { cursor }),
      });
      if (status !== 200) {
        throw new Error(`transactions answered ${status}: ${JSON.stringify(body)}`);
      }
      entries.push(...body.entries);
      if (body.next_cursor === null) {
        return entries;
      }
      cursor = body.next_cursor;
    }
    throw new Error(`the ledger has more than ${LEDGER_PAGES_MAX} pages`);
  }

  /**
   * Returns the sum of the wallet's entry amounts and its balance, which must be equal, and
   * the entries themselves.
   */
  async ledgerSum(userToken) {
    const entries = await this.allEntries(userToken);
    const sum = entries.reduce((total, entry) => total + entry.amount, 0);
    const balance = await this.balance(userToken);
    return { sum, balance, entries };
  }
}

/**
 * Sends one request and returns its status, headers and body, parsed as JSON when it is JSON.
 * A stream body is sent without a Content-Length, in chunks.
 */
export async function request(url, { method, headers, body }) {
  const init = { method, headers };
  if (body !== undefined && method !== "GET" && method !== "HEAD") {
    if (typeof body === "string" || Buffer.isBuffer(body)) {
      init.body = body;
    } else if (body instanceof ReadableStream) {
      init.body = body;
      init.duplex = "half";
    } else {
      init.body = JSON.stringify(body);
    }
  }
  const response = await fetch(url, init);
  const text = await response.text();
  let parsed = text;
  if ((response.headers.get("Content-Type") ?? "").includes("application/json")) {
    parsed = JSON.parse(text);
  }
  return { status: response.status, headers: response.headers, body: parsed, text };
}

/** Returns the committed OpenAPI document. */
export async function committedOpenApi() {
  return JSON.parse(await readFile(join(REPO_ROOT, "openapi.json"), "utf8"));
}

/** Asserts that `response` is the error `code` with `status`, in the documented body shape. */
export function assertError(response, status, code) {
  const shown = `${response.status} ${response.text}`;
  assert.equal(response.status, status, shown);
  assert.equal(response.body?.error?.code, code, shown);
  assert.equal(typeof response.body.error.message, "string", shown);
  assert.notEqual(response.body.error.message, "", shown);
}

/**
 * Asserts that the wallet's balance is `expectedBalance` and equal to the sum of its ledger's
 * entries, the invariant every movement of money keeps. Returns the entries, newest first.
 */
export async function assertBalance(stack, wallet, expectedBalance) {
  const { sum, balance, entries } = await stack.ledgerSum(wallet.user_token);
  assert.equal(balance, expectedBalance, "the balance is not the expected one");
  assert.equal(sum, balance, "the balance is not the sum of the ledger's entries");
  return entries;
}
