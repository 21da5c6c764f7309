// Reads process trees and their CPU time from /proc (Linux). Elsewhere every function answers
// as if the trees were empty, and the report shows no CPU figures.

import { readFileSync, readdirSync } from "node:fs";

/** The unit of /proc's CPU times: USER_HZ, which Linux fixes at 100 for user space. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Returns the fields of /proc/<pid>/stat after the command name, or null when it is gone. */
function statFields(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name is in parentheses and may itself hold spaces and parentheses.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null;
  }
}

/** Returns the ids of `pid`'s descendants, children first. */
export function descendants(pid) {
  let entries;
  try {
    entries = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return [];
  }
  const children = new Map();
  for (const entry of entries) {
    const fields = statFields(entry);
    if (fields !== null) {
      const parent = Number(fields[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
    }
  }
  const found = [];
  const queue = [pid];
  // Bounded by the number of processes: a tree holds each at most once.
  while (queue.length > 0 && found.length < entries.length) {
    for (const child of children.get(queue.shift()) ?? []) {
      found.push(child);
      queue.push(child);
    }
  }
  return found;
}

export function processIsAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Returns the CPU time (user and system) `pid` has used, in milliseconds; 0 when gone. */
export function cpuMs(pid) {
  const fields = statFields(pid);
  if (fields === null) {
    return 0;
  }
  // utime and stime are the 14th and 15th fields of the line, the 12th and 13th here.
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1000) / CLOCK_TICKS_PER_SECOND;
}

/** Returns the program `pid` runs ("node", "workerd"), or "?" when it is gone. */
export function programName(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, "utf8").trim();
  } catch {
    return "?";
  }
}
