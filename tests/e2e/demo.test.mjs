// Demo mode end to end: the app runs the pipeline against the in-process CXone simulator (`--demo`).
// A card appears, is edited with the keyboard and approved, and the simulator receives the edited card;
// a rejected card is never sent; a card arriving while the window is hidden is still queued (the desktop notification
// it should raise is recorded from the session bus and screenshotted, not asserted: see issue 7).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { displayScreenshot, freePort, launch, screenshot, sleep, waitFor } from "./helpers.mjs";

const CARD_TIMEOUT_MS = 180000; // first start embeds the demo KB on 2 shared cores

describe("demo mode against the simulator", () => {
  let app;
  let browser;
  let sim;
  let notifier;
  let monitor;
  let notifyCalls = "";
  const simCards = async () => (await (await fetch(`${sim}/_sim/cards`)).json());
  const pendingIds = () =>
    browser.execute(() => [...document.querySelectorAll(".card.decision-pending")].map((n) => n.dataset.cardId));

  before(async () => {
    const port = await freePort();
    sim = `http://127.0.0.1:${port}`;
    app = await launch(["--demo", "--demo-sim-port", String(port)]);
    browser = app.browser;
    // dunst (installed by scripts/install-deps.sh) draws notifications on the Xvfb display; dbus-monitor records
    // every Notify call on the session bus, so the test checks what was sent, not only a picture.
    notifier = spawn("dunst", [], { stdio: "ignore", env: app.env });
    monitor = spawn("dbus-monitor", ["--session", "type='method_call',interface='org.freedesktop.Notifications',member='Notify'"], { env: app.env });
    monitor.stdout.on("data", (chunk) => (notifyCalls += chunk.toString()));
    monitor.stderr.on("data", (chunk) => console.log(`dbus-monitor: ${chunk}`));
    monitor.on("exit", (code, signal) => console.log(`dbus-monitor exited: ${code} ${signal}`));
    await waitFor(async () => (await pendingIds()).length >= 1, "a card appeared in demo mode", CARD_TIMEOUT_MS);
  });
  after(async () => {
    if (notifier) notifier.kill();
    if (monitor) monitor.kill();
    if (app) await app.stop();
  });

  it("an edited card is approved with the keyboard and reaches the simulator as edited", async () => {
    const [cardId] = await pendingIds();
    const card = await browser.$(`[data-card-id="${cardId}"]`);
    await card.click();
    await browser.keys("e");
    const title = await card.$(".edit-title");
    await title.waitForDisplayed();
    const edited = `Edited in E2E ${Date.now()}`;
    await title.clearValue();
    await title.setValue(edited);
    await browser.keys(["Control", "Enter"]);
    const received = await waitFor(
      async () => (await simCards()).find((c) => c.idempotency_key === cardId),
      "the simulator received the approved card",
      30000,
    );
    assert.equal(received.title, edited);
    await waitFor(async () => /sent ✓/.test(await card.getText()), "the window shows the card as sent");
    await screenshot(browser, "queue-demo");
  });

  it("a rejected card is never sent", async () => {
    const [rejected] = await waitFor(async () => {
      const ids = await pendingIds();
      return ids.length >= 2 ? ids : null;
    }, "two more pending cards", CARD_TIMEOUT_MS);
    const card = await browser.$(`[data-card-id="${rejected}"]`);
    await card.click();
    await browser.keys("Delete");
    await waitFor(async () => /rejected/.test(await card.getText()), "card marked rejected");
    // Approve a later card and wait for it to arrive: anything sent before it would have arrived by now.
    const [approved] = await pendingIds();
    await (await browser.$(`[data-card-id="${approved}"]`)).click();
    await browser.keys("Enter");
    await waitFor(async () => (await simCards()).some((c) => c.idempotency_key === approved), "later card delivered", 30000);
    assert.equal((await simCards()).filter((c) => c.idempotency_key === rejected).length, 0);
  });

  it("keeps queueing cards while the window is hidden (notification recorded, not asserted)", async () => {
    const before = (await pendingIds()).length;
    await browser.execute(() => window.__TAURI__.window.getCurrentWindow().hide());
    await sleep(1000);
    // The window keeps receiving events while hidden; wait for the pending count to grow.
    await waitFor(async () => (await pendingIds()).length > before, "a new card while hidden", CARD_TIMEOUT_MS);
    // What reached the notification server is printed, not asserted: in our Xvfb runs no Notify call was
    // observed yet (see issue 7's note); the screenshot shows what dunst drew, if anything.
    await sleep(3000);
    const calls = notifyCalls.split("method call").length - 1;
    console.log(`Notify calls seen on the session bus: ${calls}`);
    await displayScreenshot("notification");
  });
});
