// Shared E2E plumbing: start tauri-driver on free ports, open the app through WebDriver, D-Bus tray clicks, screenshots.
import { spawn, execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, existsSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { remote } from "webdriverio";

const run = promisify(execFile);
export const ROOT = resolve(import.meta.dirname, "..", "..");
export const APP =
  process.env.SUPERVISOR_ASSIST_BIN ||
  join(process.env.CARGO_TARGET_DIR || join(ROOT, "target"), "debug", "supervisor-assist");
export const SCREENSHOTS = join(ROOT, "artifacts", "screenshots");

export function freePort() {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => done(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a truthy value or `timeoutMs` passes; returns that value or throws `message`. */
export async function waitFor(probe, message, timeoutMs = 20000) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await probe();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await sleep(200);
  }
  throw new Error(`${message} (last: ${last})`);
}

async function waitForPort(port, timeoutMs = 15000) {
  await waitFor(async () => (await fetch(`http://127.0.0.1:${port}/status`)).ok, `tauri-driver on :${port}`, timeoutMs);
}

/**
 * Starts tauri-driver and the app with `args`; returns { browser, stop, env, appPid }.
 * Each launch gets its own config/data dirs so runs do not see each other's settings.
 */
export async function launch(args = [], extraEnv = {}) {
  if (!existsSync(APP)) throw new Error(`app binary missing: ${APP} (cargo build -p supervisor-assist)`);
  await waitForAppExit(); // one instance per session bus: an earlier test's app must be gone
  const port = await freePort();
  const nativePort = await freePort();
  const home = mkdtempSync(join(tmpdir(), "sa-e2e-"));
  const env = { ...process.env, XDG_CONFIG_HOME: join(home, "config"), XDG_STATE_HOME: join(home, "state"), ...extraEnv };
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env,
    stdio: ["ignore", "inherit", "inherit"],
  });
  await waitForPort(port);
  let browser;
  try {
    browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel: "warn",
      connectionRetryCount: 1,
      capabilities: { "tauri:options": { application: APP, args } },
    });
  } catch (error) {
    driver.kill();
    throw error;
  }
  const stop = async () => {
    try {
      await browser.deleteSession();
    } catch (_) {
      /* the app may already be gone (Quit) */
    }
    driver.kill();
    await waitForAppExit();
  };
  return { browser, stop, env, home };
}

/** Pids of running copies of the app binary. */
async function appPids() {
  try {
    const { stdout } = await run("pgrep", ["-f", "--", APP]);
    return stdout.split(/\s+/).filter(Boolean);
  } catch (_) {
    return []; // pgrep exits 1 when nothing matches
  }
}

/**
 * Waits until no copy of the app runs (SIGKILL after 10 s): the next launch must not find an instance that is still
 * shutting down, or single-instance hands its arguments to a process about to leave the session bus.
 */
export async function waitForAppExit() {
  try {
    await waitFor(async () => (await appPids()).length === 0, "the app to exit", 10000);
  } catch (_) {
    for (const pid of await appPids()) {
      try {
        process.kill(Number(pid), "SIGKILL");
      } catch (_) {
        /* already gone */
      }
    }
    await waitFor(async () => (await appPids()).length === 0, "the app to exit after SIGKILL", 5000);
  }
}

/** Switches the WebDriver session to the window whose document title is `title`. */
export async function switchToTitle(browser, title) {
  await waitFor(async () => {
    for (const handle of await browser.getWindowHandles()) {
      await browser.switchToWindow(handle);
      if ((await browser.getTitle()) === title) return true;
    }
    return false;
  }, `window titled ${title}`);
}

/** Saves a screenshot of the current window under artifacts/screenshots/ and prints the path. */
export async function screenshot(browser, name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await sleep(700); // let WebKit paint the last DOM change
  await browser.saveScreenshot(path);
  console.log(`screenshot: ${path}`);
  return path;
}

/** Screenshot of the whole X display (for desktop notifications, which are not part of the webview). */
export async function displayScreenshot(name) {
  mkdirSync(SCREENSHOTS, { recursive: true });
  const path = join(SCREENSHOTS, `${name}.png`);
  await run("import", ["-display", process.env.DISPLAY || ":99", "-window", "root", path]);
  console.log(`screenshot: ${path}`);
  return path;
}

async function gdbus(args) {
  const { stdout } = await run("gdbus", ["call", "--session", "--timeout", "3", ...args]);
  return stdout;
}

/**
 * Clicks the tray menu item labelled `label` through the app's com.canonical.dbusmenu export
 * (libayatana-appindicator). Returns true when an item was clicked.
 */
export async function clickTrayItem(label, trayId = "main") {
  const names = await gdbus(["--dest", "org.freedesktop.DBus", "--object-path", "/org/freedesktop/DBus", "--method", "org.freedesktop.DBus.ListNames"]);
  const unique = [...names.matchAll(/'(:[0-9.]+)'/g)].map((m) => m[1]);
  const menuPath = `/org/ayatana/NotificationItem/tray_icon_tray_app_${trayId}/Menu`;
  const layouts = await Promise.all(
    unique.map(async (dest) => {
      try {
        return { dest, layout: await gdbus(["--dest", dest, "--object-path", menuPath, "--method", "com.canonical.dbusmenu.GetLayout", "--", "0", "-1", "[]"]) };
      } catch (_) {
        return null;
      }
    }),
  );
  for (const found of layouts.filter(Boolean)) {
    const escaped = label.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    const item = new RegExp(`\\((\\d+), \\{[^}]*'label': <'${escaped}'>`).exec(found.layout);
    if (!item) continue;
    await gdbus(["--dest", found.dest, "--object-path", menuPath, "--method", "com.canonical.dbusmenu.Event", "--", item[1], "clicked", "<int32 0>", "0"]);
    return true;
  }
  return false;
}

/** Text of every element matching `selector`. */
export async function texts(browser, selector) {
  const elements = await browser.$$(selector);
  return Promise.all(elements.map((e) => e.getText()));
}
