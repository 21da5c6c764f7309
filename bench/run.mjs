// Benchmarks charges through service bindings into the wallet, beside a floor measured in the
// same run. Run it through scripts/bench, which builds the Workers first; the options are the
// BENCH_* variables listed there and in CONFIG below.
//
// Every request goes to a front Worker, which reaches a Durable Object through a service
// binding and a second Worker:
//
//   floor     GET  /counter/<name>  bench-floor-front  → bench-floor    → Counter (one UPDATE)
//   front     POST /v1/charge       bench-wallet-front → wallet-service → WalletObject
//   consumer  GET  /search          consumer-example   → wallet-service → WalletObject
//
// Each is measured against one hot object (one counter, one wallet) and spread over many
// (1,000 by default): a closed loop with a fixed number of requests in flight, for a fixed
// number of requests or seconds, after a warm-up. The report gives p50, p99 and charges per
// second, each with its ratio to the floor of the same shape, then checks that every wallet's
// balance is what the successful charges left, and exits non-zero when one is not.

import { gzipSync } from "node:zlib";
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir, mkdtemp, readdir, rm, writeFile } from "node:fs/promises";
import { cpus, loadavg, tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { randomBytes } from "node:crypto";

import { forEachLimited, runLoad, summarize } from "./lib/load.mjs";
import { DevServer, groupIsAlive } from "./lib/processes.mjs";
import { cpuMs, descendants, processIsAlive, programName } from "./lib/proctree.mjs";
import { WalletAdmin, envFileText, newSecrets } from "./lib/wallet.mjs";

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const WRANGLER_BIN = join(REPO_ROOT, "node_modules", "wrangler", "bin", "wrangler.js");

/** What `GET /search` costs at the consumer (consumer-example/src/prices.rs), in cents. */
const SEARCH_PRICE_CENTS = 5;

/** How many set-up calls (identify, top-up, balance) are in flight at once. */
const SETUP_CONCURRENCY = 16;

/** How long the warm-up of one scenario may take at most. */
const WARMUP_SECONDS_MAX = 60;

/** Top-ups cover twice what the largest run could charge, so no charge is ever refused. */
const TOP_UP_HEADROOM = 2;

/**
 * The default home of the Workers' storage: a file system in memory where there is one.
 *
 * Local workerd gives every Durable Object its own SQLite file and calls fsync about twice
 * per write. On a virtual machine's disk those syncs, not the code, set the pace once writes
 * spread over a thousand files: on disk, the spread floor made a quarter to a half of the
 * updates per second it made in memory here, depending on what else wrote to the disk, and
 * the floor and the wallet looked alike whatever each did. Production storage works nothing
 * like a local disk either, so the default measures the Workers' own work.
 */
const DEFAULT_STATE_DIR = "/dev/shm";

function defaultStateDir() {
  return existsSync(DEFAULT_STATE_DIR) ? DEFAULT_STATE_DIR : tmpdir();
}

/**
 * Reads one integer option from the environment, within its bounds. Every loop of the run is
 * bounded by these, so an option outside them is refused rather than clamped.
 */
function option(name, fallback, min, max) {
  const text = process.env[name];
  if (text === undefined || text === "") {
    return fallback;
  }
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(`${name} must be an integer from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

function flag(name, fallback) {
  const text = process.env[name];
  if (text === undefined || text === "") {
    return fallback;
  }
  if (text !== "0" && text !== "1") {
    fail(`${name} must be 0 or 1, not "${text}"`);
  }
  return text === "1";
}

function fail(message) {
  process.stderr.write(`bench: error: ${message}\n`);
  process.exit(2);
}

const CONFIG = {
  /** Requests in flight at once during a measured run. */
  concurrency: option("BENCH_CONCURRENCY", 16, 1, 256),
  /** The most requests one measured run sends. */
  requests: option("BENCH_REQUESTS", 4_000, 100, 100_000),
  /** The longest one measured run lasts, in seconds. */
  seconds: option("BENCH_SECONDS", 15, 1, 120),
  /** Warm-up requests before each hot run (a spread run warms each object once instead). */
  warmup: option("BENCH_WARMUP", 200, 0, 10_000),
  /** How many wallets (and floor counters) the spread runs use. */
  wallets: option("BENCH_WALLETS", 1_000, 1, 10_000),
  /** Whether to run the consumer example's scenarios. */
  consumer: flag("BENCH_CONSUMER", true),
  /** Whether to run the scenarios through the minimal front to the wallet's own /v1/charge. */
  front: flag("BENCH_FRONT", true),
  /**
   * Where the run's throwaway directory goes: the Workers' storage, logs and dev registry.
   * Durable Object writes land on this file system, so it is part of what is measured; see
   * DEFAULT_STATE_DIR.
   */
  stateDir: process.env.BENCH_STATE_DIR || defaultStateDir(),
  /** Whether to keep the Workers' logs after the run; they are kept anyway when it fails. */
  keepLogs: flag("BENCH_KEEP_LOGS", false),
};

// --- Processes ---------------------------------------------------------------------------------

const STARTED_MS = Date.now();
const LOAD_AT_START = loadAverage();

function progress(message) {
  const seconds = ((Date.now() - STARTED_MS) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[bench ${seconds}s] ${message}\n`);
}

/** Starts every Worker the chosen scenarios need, each in its own `wrangler dev`. */
async function startServers(dir, secrets) {
  const registryDir = join(dir, "registry");
  const logDir = join(dir, "logs");
  await mkdir(registryDir);
  await mkdir(logDir);
  const envFile = join(dir, "wallet.env");
  await writeFile(envFile, envFileText(secrets), { mode: 0o600 });

  const server = (name, config, withSecrets = false) =>
    new DevServer({
      name,
      repoRoot: REPO_ROOT,
      wranglerBin: WRANGLER_BIN,
      config: join(REPO_ROOT, config),
      // Every Worker starts on empty storage, so no earlier run's wallets or counters count.
      persistDir: join(dir, `${name}-state`),
      envFile: withSecrets ? envFile : undefined,
      registryDir,
      logDir,
    });
  const servers = {
    wallet: server("wallet-service", "wrangler.toml", true),
    floor: server("bench-floor", "bench/floor-worker/wrangler.toml"),
    floorFront: server("bench-floor-front", "bench/floor-front/wrangler.toml"),
    walletFront: CONFIG.front ? server("bench-wallet-front", "bench/wallet-front/wrangler.toml")
      : null,
    consumer: CONFIG.consumer ? server("consumer-example", "consumer-example/wrangler.toml")
      : null,
  };
  const all = Object.values(servers).filter((s) => s !== null);
  // Started one after another: each start takes most of a core for some seconds, and the
  // machine may have only two.
  try {
    for (const s of all) {
      progress(`starting ${s.name}`);
      await s.start();
    }
    // A 200 through each front means its binding found its service in the dev registry.
    await servers.floorFront.waitFor("/healthz");
    await servers.walletFront?.waitFor("/healthz");
    // The consumer's free route makes one identify call through its binding and charges
    // nothing (an identify without a token does not even wake a wallet).
    await servers.consumer?.waitFor("/balance");
  } catch (error) {
    const survivors = await stopServers(all);
    if (survivors.length > 0) {
      error.message += `\n!!! processes outlived the run: ${survivors.join(", ")}`;
    }
    throw error;
  }
  return { servers, all };
}

/**
 * Returns every process of every server, named by its server: wrangler's own Node process and
 * the workerd processes it started.
 */
function serverProcesses(servers) {
  return servers.flatMap((server) =>
    [server.child.pid, ...descendants(server.child.pid)].map((pid) => ({
      server: server.name,
      pid,
      program: programName(pid),
    })));
}

/**
 * Stops every server and checks that none of their processes (workerd included, even one
 * that left its process group) outlived them. Returns the ids of any that did.
 */
async function stopServers(servers) {
  const started = servers.filter((s) => s.child !== null);
  const tree = serverProcesses(started);
  const groups = started.map((s) => s.child.pid);
  await Promise.all(started.map((s) => s.stop()));
  // A process of the same id running the same program is taken for the same process: ids are
  // not reused that fast.
  const survivors = tree.filter(({ pid, program }) =>
    processIsAlive(pid) && programName(pid) === program);
  return [
    ...survivors.map(({ server, pid, program }) => `${program} ${pid} of ${server}`),
    ...groups.filter(groupIsAlive).map((pgid) => `process group ${pgid}`),
  ];
}

// --- Scenarios ---------------------------------------------------------------------------------

/** Reads a response to the end, so its connection can carry the next request. */
async function drain(response) {
  await response.arrayBuffer();
  return response.status;
}

/** Tracks, per wallet, how many charges succeeded, and the lowest balance a charge reported. */
class Ledger {
  constructor(wallets) {
    this.charged = new Map(wallets.map((wallet) => [wallet.user_token, 0]));
    this.lowestReported = new Map();
  }

  record(token, status, reportedBalance) {
    if (status !== 200) {
      return;
    }
    this.charged.set(token, this.charged.get(token) + 1);
    if (reportedBalance !== null) {
      const balance = Number(reportedBalance);
      const lowest = this.lowestReported.get(token) ?? Number.POSITIVE_INFINITY;
      this.lowestReported.set(token, Math.min(lowest, balance));
    }
  }
}

/** Returns how a scenario's requests are sent, for each front. */
function senders(servers, ledger) {
  const floor = async (name) => drain(await fetch(`${servers.floorFront.url}/counter/${name}`));
  const viaFront = async (token) => {
    const response = await fetch(`${servers.walletFront.url}/v1/charge`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      // As the Rust client does: every charge with a fresh key, and the route as description.
      body: JSON.stringify({
        user_token: token,
        amount: SEARCH_PRICE_CENTS,
        idempotency_key: randomBytes(16).toString("hex"),
        description: "GET /search",
      }),
    });
    const status = await drain(response);
    ledger.record(token, status, null);
    return status;
  };
  const viaConsumer = async (token) => {
    const response = await fetch(`${servers.consumer.url}/search`, {
      headers: { Authorization: `Bearer ${token}` },
    });
    const status = await drain(response);
    ledger.record(token, status, response.headers.get("X-Balance"));
    return status;
  };
  return { floor, front: viaFront, consumer: viaConsumer };
}

/** Returns the CPU time each process has used so far, in milliseconds. */
function cpuSnapshot(processes) {
  return { client: process.cpuUsage(), workers: processes.map(({ pid }) => cpuMs(pid)) };
}

/**
 * Returns the CPU time used since `before`, in milliseconds: by the Workers' processes in all;
 * per server, split into workerd and wrangler's own Node process; and by this process, the
 * load generator.
 */
function cpuSince(before, processes) {
  const now = cpuSnapshot(processes);
  const byServer = new Map();
  processes.forEach(({ server, program }, i) => {
    const used = byServer.get(server) ?? { workerd: 0, node: 0 };
    const side = program === "workerd" ? "workerd" : "node";
    used[side] += now.workers[i] - before.workers[i];
    byServer.set(server, used);
  });
  const client = process.cpuUsage(before.client);
  return {
    workersMs: [...byServer.values()].reduce((sum, used) => sum + used.workerd + used.node, 0),
    byServer,
    clientMs: (client.user + client.system) / 1000,
  };
}

/**
 * Warms a scenario up, then measures it; returns the measured run's summary and the CPU time
 * it took.
 */
async function measure(name, { warmupRequests, send, processes }) {
  progress(`${name}: warming up (${warmupRequests} requests)`);
  const warm = await runLoad({
    concurrency: CONFIG.concurrency,
    requests: warmupRequests,
    seconds: WARMUP_SECONDS_MAX,
    send,
  });
  const warmSummary = summarize(warm);
  progress(`${name}: measuring (up to ${CONFIG.requests} requests or ${CONFIG.seconds} s)`);
  const before = cpuSnapshot(processes);
  const run = summarize(await runLoad({
    concurrency: CONFIG.concurrency,
    requests: CONFIG.requests,
    seconds: CONFIG.seconds,
    send,
  }));
  const cpu = cpuSince(before, processes);
  progress(`${name}: ${run.requests} requests, p50 ${run.p50Ms.toFixed(2)} ms, ` +
    `${run.perSecond.toFixed(0)}/s, ${(cpu.workersMs / run.requests).toFixed(2)} CPU ms each`);
  return { name, run, warm: warmSummary, cpu };
}

// --- Report ------------------------------------------------------------------------------------

function fixed(value, digits) {
  return Number.isFinite(value) ? value.toFixed(digits) : "-";
}

function statusesText(statuses) {
  return [...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${n}×${s || "error"}`)
    .join(", ");
}

function printTable(groups) {
  const header = ["scenario", "requests", "p50 ms", "p99 ms", "charges/s", "CPU ms",
    "p50 ×floor", "p99 ×floor", "rate ×floor", "CPU ×floor"];
  const rows = [];
  for (const { title, results } of groups) {
    rows.push([title]);
    const floor = results[0];
    const floorCpu = floor.cpu.workersMs / floor.run.requests;
    for (const { label, run, cpu } of results) {
      const cpuPerRequest = cpu.workersMs / run.requests;
      rows.push([
        `  ${label}`,
        String(run.requests),
        fixed(run.p50Ms, 1),
        fixed(run.p99Ms, 1),
        fixed(run.perSecond, 0),
        fixed(cpuPerRequest, 2),
        fixed(run.p50Ms / floor.run.p50Ms, 2),
        fixed(run.p99Ms / floor.run.p99Ms, 2),
        fixed(run.perSecond / floor.run.perSecond, 2),
        fixed(cpuPerRequest / floorCpu, 2),
      ]);
    }
  }
  const widths = header.map((h, i) =>
    Math.max(h.length, ...rows.filter((r) => r.length > 1).map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) :
    c.padStart(widths[i]))).join("  ");
  console.log(line(header));
  for (const row of rows) {
    console.log(row.length === 1 ? row[0] : line(row));
  }
}

/**
 * Prints where each scenario's CPU time went: per server, its workerd processes and, after
 * the "+", wrangler's Node process; then the load generator.
 */
function printCpuBreakdown(results, serverNames) {
  const header = ["scenario", ...serverNames, "load generator"];
  const rows = results.map(({ name, run, cpu }) => [
    name,
    ...serverNames.map((server) => {
      const used = cpu.byServer.get(server) ?? { workerd: 0, node: 0 };
      return `${fixed(used.workerd / run.requests, 2)} + ${fixed(used.node / run.requests, 2)}`;
    }),
    fixed(cpu.clientMs / run.requests, 2),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) :
    c.padStart(widths[i]))).join("  ");
  console.log("\nCPU ms per request in each server's workerd + wrangler's Node, during the runs:");
  console.log(line(header));
  for (const row of rows) {
    console.log(line(row));
  }
}

function wasmSizes() {
  const bundles = [
    ["wallet-service", "wallet-service/build/index_bg.wasm"],
    ["consumer-example", "consumer-example/build/index_bg.wasm"],
    ["bench floor", "bench/floor-worker/build/index_bg.wasm"],
  ];
  console.log("\nwasm bundles (gzip -9):");
  for (const [name, path] of bundles) {
    const file = join(REPO_ROOT, path);
    if (!existsSync(file)) {
      console.log(`  ${name.padEnd(17)} not built (${path})`);
      continue;
    }
    const raw = statSync(file).size;
    const gzipped = gzipSync(readFileSync(file), { level: 9 }).length;
    console.log(`  ${name.padEnd(17)} ${(gzipped / 1024).toFixed(1).padStart(7)} KiB gzipped ` +
      `(${(raw / 1024).toFixed(1)} KiB raw)  ${path}`);
  }
}

// --- The run -----------------------------------------------------------------------------------

async function main() {
  if (!existsSync(WRANGLER_BIN)) {
    fail(`${WRANGLER_BIN} is missing: run scripts/setup`);
  }
  for (const [needed, build] of [
    [true, "wallet-service/build/index.js"],
    [true, "bench/floor-worker/build/index.js"],
    [CONFIG.consumer, "consumer-example/build/index.js"],
  ]) {
    if (needed && !existsSync(join(REPO_ROOT, build))) {
      fail(`${build} is missing: build it first (scripts/bench does)`);
    }
  }

  const dir = await mkdtemp(join(CONFIG.stateDir, "wallet-bench-"));
  const secrets = newSecrets();
  let servers = [];
  let failures = [];
  let finished = false;
  try {
    const started = await startServers(dir, secrets);
    servers = started.all;
    failures = await benchmark(started, secrets);
    finished = true;
  } finally {
    progress("stopping the Workers");
    const survivors = await stopServers(servers);
    if (survivors.length > 0) {
      failures.push(`processes outlived the run: ${survivors.join(", ")}`);
    }
    if (CONFIG.keepLogs || !finished || failures.length > 0) {
      // Only the logs: the storage may sit in memory, and the secrets are of no further use.
      for (const entry of await readdir(dir)) {
        if (entry !== "logs") {
          await rm(join(dir, entry), { recursive: true, force: true });
        }
      }
      progress(`logs kept in ${join(dir, "logs")}`);
    } else {
      await rm(dir, { recursive: true, force: true });
    }
  }

  if (failures.length > 0) {
    console.log("\n!!! BENCHMARK FAILED !!!");
    for (const failure of failures) {
      console.log(`!!! ${failure}`);
    }
    process.exitCode = 1;
  } else {
    console.log("\nall checks passed; no Worker process left running");
  }
}

/** Sets the wallets up, runs every scenario, prints the report; returns the failed checks. */
async function benchmark({ servers, all }, secrets) {
  const processes = serverProcesses(all);
  const admin = new WalletAdmin(servers.wallet.url, secrets);
  const failures = [];
  const targets = [
    ["floor", "floor: front → floor Worker → DO, one UPDATE"],
    ...(CONFIG.front ? [["front", "wallet /v1/charge via a minimal front"]] : []),
    ...(CONFIG.consumer ? [["consumer", "consumer GET /search (5 cents)"]] : []),
  ];
  const charging = targets.length - 1;

  // Enough for every charge the runs could make: the warm-up and the largest measured run,
  // on each wallet, by every charging target, twice over.
  const spreadShare = Math.ceil(CONFIG.requests / CONFIG.wallets) + 1;
  const hotTopUp = TOP_UP_HEADROOM * (CONFIG.warmup + CONFIG.requests) * SEARCH_PRICE_CENTS;
  const spreadTopUp = TOP_UP_HEADROOM * charging * spreadShare * SEARCH_PRICE_CENTS;

  progress(`opening and topping up ${charging} hot wallets and ${CONFIG.wallets} others`);
  const hot = {};
  for (const [target] of targets.slice(1)) {
    hot[target] = await admin.newWallet();
    await admin.topUp(hot[target], hotTopUp);
  }
  // Without a charging scenario there is no wallet to open: the floor runs alone.
  const spread = new Array(charging > 0 ? CONFIG.wallets : 0);
  await forEachLimited([...spread.keys()], SETUP_CONCURRENCY, async (i) => {
    spread[i] = await admin.newWallet();
    await admin.topUp(spread[i], spreadTopUp);
  });
  const ledger = new Ledger([...Object.values(hot), ...spread]);
  const send = senders(servers, ledger);
  const counterNames = Array.from({ length: CONFIG.wallets }, (_, i) => `c${i}`);

  // One charge through each charging front before the runs: it shows that the price is the one
  // the checks assume, and counts like any other.
  if (CONFIG.consumer) {
    const response = await fetch(`${servers.consumer.url}/search`, {
      headers: { Authorization: `Bearer ${hot.consumer.user_token}` },
    });
    const body = await response.json();
    ledger.record(hot.consumer.user_token, response.status, response.headers.get("X-Balance"));
    if (response.status !== 200 || body.price !== SEARCH_PRICE_CENTS) {
      throw new Error(`GET /search at the consumer answered ${response.status} ` +
        `${JSON.stringify(body)}; the benchmark expects 200 and a price of ${SEARCH_PRICE_CENTS}`);
    }
  }

  const hotResults = [];
  for (const [target, label] of targets) {
    const token = hot[target]?.user_token;
    const one = target === "floor" ? () => send.floor("hot") : () => send[target](token);
    const result = await measure(`${target}, hot`, {
      warmupRequests: CONFIG.warmup,
      send: one,
      processes,
    });
    hotResults.push({ target, label, ...result });
  }
  const spreadResults = [];
  for (const [target, label] of targets) {
    // Round robin: with far more objects than requests in flight, no two requests wait for
    // the same object, and the warm-up wakes each object once.
    const each = target === "floor"
      ? (i) => send.floor(counterNames[i % counterNames.length])
      : (i) => send[target](spread[i % spread.length].user_token);
    const result = await measure(`${target}, ${CONFIG.wallets} objects`, {
      warmupRequests: CONFIG.wallets,
      send: each,
      processes,
    });
    spreadResults.push({ target, label, ...result });
  }

  console.log(`\nWallet benchmark, ${new Date().toISOString()}`);
  console.log(`machine: ${cpus().length} cores (${cpus()[0]?.model ?? "unknown"}), ` +
    `Node ${process.versions.node}, wrangler ${wranglerVersion()} (local workerd); ` +
    `load average ${LOAD_AT_START} at the start, ${loadAverage()} at the end`);
  console.log(`closed loop, ${CONFIG.concurrency} in flight; each run up to ${CONFIG.requests} ` +
    `requests or ${CONFIG.seconds} s after a warm-up; latency from send to the last byte; ` +
    `storage in ${CONFIG.stateDir}\n`);
  printTable([
    { title: "one hot object (one counter, one wallet)", results: hotResults },
    { title: `${CONFIG.wallets} objects, round robin`, results: spreadResults },
  ]);
  printCpuBreakdown([...hotResults, ...spreadResults], all.map((server) => server.name));
  wasmSizes();

  // Every request was meant to succeed: the wallets hold more than the runs can charge.
  for (const { name, run, warm } of [...hotResults, ...spreadResults]) {
    for (const [phase, summary] of [["warm-up", warm], ["run", run]]) {
      if (summary.ok !== summary.requests) {
        failures.push(`${name} ${phase}: not every request answered 200 ` +
          `(${statusesText(summary.statuses)}) ${summary.errors.join("; ")}`);
      }
    }
  }

  console.log("\nchecks:");
  failures.push(...await checkBalances(admin, ledger, hot, spread, { hotTopUp, spreadTopUp }));
  failures.push(...await checkFloor(servers, hotResults[0]));
  return failures;
}

/** The system's one-minute load average, which shows whether anything else ran meanwhile. */
function loadAverage() {
  return loadavg()[0].toFixed(2);
}

function wranglerVersion() {
  const manifest = join(REPO_ROOT, "node_modules", "wrangler", "package.json");
  return JSON.parse(readFileSync(manifest, "utf8")).version;
}

/**
 * Checks that each wallet holds its top-up less what its successful charges took, and, for
 * the hot wallet charged through the consumer, that the lowest balance it reported is the
 * final one (charges on one wallet run one at a time, each lowering the balance).
 */
async function checkBalances(admin, ledger, hot, spread, { hotTopUp, spreadTopUp }) {
  const failures = [];
  for (const [target, wallet] of Object.entries(hot)) {
    const charged = ledger.charged.get(wallet.user_token);
    const balance = await admin.balance(wallet.user_token);
    const expected = hotTopUp - charged * SEARCH_PRICE_CENTS;
    const shown = `${target} hot wallet: balance ${balance}, expected ${hotTopUp} − ` +
      `${charged} charges × ${SEARCH_PRICE_CENTS} = ${expected}`;
    console.log(`  ${shown}`);
    if (balance !== expected) {
      failures.push(shown);
    }
    const lowest = ledger.lowestReported.get(wallet.user_token);
    if (lowest !== undefined && lowest !== balance) {
      failures.push(`${target} hot wallet: the lowest X-Balance reported was ${lowest}, ` +
        `but the balance is ${balance}`);
    }
  }

  if (spread.length === 0) {
    return failures;
  }
  let wrong = 0;
  let charges = 0;
  await forEachLimited(spread, SETUP_CONCURRENCY, async (wallet) => {
    const charged = ledger.charged.get(wallet.user_token);
    charges += charged;
    const balance = await admin.balance(wallet.user_token);
    if (balance !== spreadTopUp - charged * SEARCH_PRICE_CENTS) {
      wrong += 1;
      if (wrong <= 3) {
        failures.push(`wallet ${wallet.wallet_id}: balance ${balance}, expected ` +
          `${spreadTopUp} − ${charged} × ${SEARCH_PRICE_CENTS}`);
      }
    }
  });
  const shown = `${spread.length} other wallets: ${spread.length - wrong} hold their top-up ` +
    `less their charges (${charges} charges in all)`;
  console.log(`  ${shown}`);
  if (wrong > 0) {
    failures.push(`${wrong} of ${spread.length} wallets hold the wrong balance`);
  }
  return failures;
}

/** Checks that the floor's hot counter counted every request that reached it. */
async function checkFloor(servers, floorHot) {
  const response = await fetch(`${servers.floorFront.url}/counter/hot`);
  const { n } = await response.json();
  // This request is counted too.
  const expected = floorHot.warm.ok + floorHot.run.ok + 1;
  const shown = `floor hot counter: ${n}, expected ${expected}`;
  console.log(`  ${shown}`);
  return n === expected ? [] : [shown];
}

try {
  await main();
} catch (error) {
  process.stderr.write(`bench: error: ${error.stack ?? error}\n`);
  process.exitCode = 1;
}
