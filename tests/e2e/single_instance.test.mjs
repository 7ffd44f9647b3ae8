// A launch while the last instance is leaving must start the app, not exit (issue: CI once saw the plugin's
// "failed to forward arguments to the running instance: ServiceUnknown" when the previous instance released its bus
// name between the check and the forward). No WebDriver: the app binary is started directly under Xvfb + D-Bus.
//
// 20 rounds, alternating two ways of leaving:
//  - killed: the running instance is frozen (SIGSTOP: it still owns the name but cannot answer), the next launch
//    starts and finds the name taken, then the frozen one is killed (SIGKILL) while the launch is forwarding;
//  - quitting: tray "Quit" is clicked, and the next launch starts once the instance logged that it is quitting.
// Each round passes when the new launch owns the bus name and keeps running after the old one is gone.
import { describe, it, after } from "node:test";
import assert from "node:assert/strict";
import { spawn, execFile } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { APP, clickTrayItem, sleep, waitFor, waitForAppExit } from "./helpers.mjs";

const run = promisify(execFile);
const BUS_NAME = "com.supervisorassist.app.SingleInstance";
const ROUNDS = 20;

/** Pid of the process owning the single-instance name, or null. */
async function ownerPid() {
  try {
    const { stdout } = await run("gdbus", [
      "call", "--session", "--timeout", "3", "--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus",
      "--method", "org.freedesktop.DBus.GetConnectionUnixProcessID", BUS_NAME,
    ]);
    return Number(/uint32 (\d+)/.exec(stdout)[1]);
  } catch (_) {
    return null; // no owner
  }
}

/** Starts the app (canned cards, tray only); collects stderr and the exit. */
function start(home) {
  const env = { ...process.env, XDG_CONFIG_HOME: join(home, "config"), XDG_STATE_HOME: join(home, "state"), RUST_LOG: "info" };
  const child = spawn(APP, ["--ui-preview", "--hidden"], { env, stdio: ["ignore", "ignore", "pipe"] });
  const instance = { child, stderr: "", exit: null };
  child.stderr.on("data", (chunk) => (instance.stderr += chunk));
  child.on("exit", (code, signal) => (instance.exit = { code, signal }));
  return instance;
}

async function becomesPrimary(instance, what) {
  await waitFor(
    async () => instance.exit === null && (await ownerPid()) === instance.child.pid,
    `${what}: pid ${instance.child.pid} owns ${BUS_NAME} (exit: ${JSON.stringify(instance.exit)}, stderr: ${instance.stderr.slice(-400)})`,
    25000,
  );
}

describe("single instance hand-over", () => {
  const home = mkdtempSync(join(tmpdir(), "sa-single-"));
  let current = null;

  after(async () => {
    if (current && current.exit === null) current.child.kill("SIGKILL");
    await waitForAppExit();
  });

  it(`a launch while the last instance is leaving starts the app (${ROUNDS} rounds)`, async () => {
    await waitForAppExit();
    current = start(home);
    await becomesPrimary(current, "first launch");
    for (let round = 1; round <= ROUNDS; round++) {
      const leaving = current;
      const how = round % 2 ? "killed while forwarding" : "quitting";
      let next;
      if (how === "quitting") {
        await waitFor(() => clickTrayItem("Quit"), `round ${round}: tray Quit clicked`);
        await waitFor(() => /quitting/.test(leaving.stderr), `round ${round}: the instance logged that it is quitting`);
        next = start(home);
      } else {
        leaving.child.kill("SIGSTOP");
        next = start(home);
        await sleep(300); // the launch finds the name taken and calls the frozen owner
        leaving.child.kill("SIGKILL");
      }
      await waitFor(() => leaving.exit !== null, `round ${round}: the old instance exited`, 15000);
      await becomesPrimary(next, `round ${round} (${how})`);
      await sleep(300);
      assert.equal(next.exit, null, `round ${round} (${how}): the new instance keeps running: ${next.stderr.slice(-400)}`);
      current = next;
    }
    console.log(`single instance: ${ROUNDS} hand-overs, each new launch became the running instance`);
  });
});
