// Starts `wrangler dev` processes for the benchmark and stops them, each in its own process
// group so that wrangler and the workerd it starts stop together.
//
// Output goes to a log file per process, not through a pipe into this process: the wallet
// writes a log line per charge, and reading thousands of lines a second here would take CPU
// from the load generator that shares this process.

import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";

/** How long a wrangler dev process may take to print its ready line. */
const STARTUP_TIMEOUT_MS = 90_000;

/** How long a process group may take to exit after SIGTERM before it is killed outright. */
const STOP_GRACE_MS = 5_000;

/** How long to wait for a killed process group to vanish before reporting it. */
const KILL_WAIT_MS = 5_000;

/** How often start-up and stopping look again, in milliseconds. */
const POLL_MS = 100;

/** How many lines of a process's log an error message shows. */
const LOG_TAIL_LINES = 40;

/** Every process group started and not yet seen to exit. */
const liveGroups = new Set();

function killLiveGroupsNow() {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, "SIGKILL");
    } catch {
      // The group is gone already.
    }
  }
  liveGroups.clear();
}

// A normal run stops every server itself; these catch a crash or an interrupt.
process.on("exit", killLiveGroupsNow);
for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(signal, () => {
    killLiveGroupsNow();
    process.exit(128 + { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 }[signal]);
  });
}

/** True while any process of the group `pgid` is alive. */
export function groupIsAlive(pgid) {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** One `wrangler dev` process serving one Worker on a port the system chose. */
export class DevServer {
  /**
   * `config` is the Worker's wrangler.toml; `envFile` (optional) holds its secrets. Servers
   * that bind to each other share `registryDir`, wrangler's dev registry.
   */
  constructor({ name, repoRoot, wranglerBin, config, persistDir, envFile, registryDir, logDir }) {
    this.name = name;
    this.repoRoot = repoRoot;
    this.wranglerBin = wranglerBin;
    this.config = config;
    this.persistDir = persistDir;
    this.envFile = envFile;
    this.registryDir = registryDir;
    this.logDir = logDir;
    this.logFile = join(logDir, `${name}.log`);
    this.url = null;
    this.child = null;
    this.exited = null;
  }

  /** Starts the process and waits for its ready line; `url` is then its address. */
  async start() {
    const args = [
      this.wranglerBin, "dev",
      "-c", this.config,
      "--ip", "127.0.0.1",
      // Port 0 lets the system choose a free port, which wrangler reports in its ready line.
      "--port", "0",
      "--inspector-port", "0",
      "--persist-to", this.persistDir,
      "--show-interactive-dev-session=false",
    ];
    if (this.envFile !== undefined) {
      args.push("--env-file", this.envFile);
    }
    const log = openSync(this.logFile, "a");
    let child;
    try {
      child = spawn(process.execPath, args, {
        cwd: this.repoRoot,
        detached: true,
        stdio: ["ignore", log, log],
        env: {
          ...process.env,
          // scripts/bench builds every Worker first; wrangler's [build] step would build again.
          WALLET_SKIP_BUILD: "1",
          WRANGLER_REGISTRY_PATH: this.registryDir,
          WRANGLER_LOG_PATH: this.logDir,
          WRANGLER_SEND_METRICS: "false",
          FORCE_COLOR: "0",
          NO_COLOR: "1",
        },
      });
    } finally {
      // The child holds its own copy of the descriptor.
      closeSync(log);
    }
    this.child = child;
    liveGroups.add(child.pid);
    let exitCode = null;
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        exitCode = code ?? signal;
        resolve();
      });
    });

    const deadline = Date.now() + STARTUP_TIMEOUT_MS;
    while (this.url === null) {
      const ready = this.log().match(/Ready on (http:\/\/127\.0\.0\.1:\d+)/);
      if (ready !== null) {
        this.url = ready[1];
      } else if (exitCode !== null) {
        throw new Error(`${this.name} exited (${exitCode}) while starting:\n${this.logTail()}`);
      } else if (Date.now() > deadline) {
        throw new Error(`${this.name} did not start in ${STARTUP_TIMEOUT_MS} ms:\n` +
          this.logTail());
      } else {
        await sleep(POLL_MS);
      }
    }
  }

  /**
   * Waits until GET `path` answers 200. A service binding starts out unconnected and finds
   * its service through the dev registry some seconds later, so a path that crosses the
   * binding tells when the chain is up.
   */
  async waitFor(path, { timeoutMs = STARTUP_TIMEOUT_MS, init = {} } = {}) {
    const deadline = Date.now() + timeoutMs;
    let last = "no answer";
    while (Date.now() < deadline) {
      try {
        const response = await fetch(this.url + path, init);
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
      this.logTail());
  }

  log() {
    try {
      return readFileSync(this.logFile, "utf8");
    } catch {
      return "";
    }
  }

  logTail() {
    return this.log().split("\n").slice(-LOG_TAIL_LINES).join("\n");
  }

  /**
   * Stops the process group: SIGTERM first, which lets wrangler take its entry out of the dev
   * registry and stop workerd, then SIGKILL for whatever is left. Returns false when some
   * process of the group was still alive at the end.
   */
  async stop() {
    const child = this.child;
    if (child === null) {
      return true;
    }
    const pgid = child.pid;
    const signalGroup = (signal) => {
      try {
        process.kill(-pgid, signal);
      } catch {
        // Already gone.
      }
    };
    signalGroup("SIGTERM");
    await waitForGroupExit(pgid, STOP_GRACE_MS);
    if (groupIsAlive(pgid)) {
      signalGroup("SIGKILL");
      await waitForGroupExit(pgid, KILL_WAIT_MS);
    }
    const gone = !groupIsAlive(pgid);
    if (gone) {
      await this.exited;
      liveGroups.delete(pgid);
      this.child = null;
    }
    return gone;
  }
}

async function waitForGroupExit(pgid, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (groupIsAlive(pgid) && Date.now() < deadline) {
    await sleep(POLL_MS / 2);
  }
}
