// The queue window against canned suggestions (`--ui-preview`, no network): rendering, keyboard actions,
// the XSS article rendered inert, per-window capabilities, single instance, the settings window, and the tray's "Refresh KB now" over D-Bus.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { APP, clickTrayItem, launch, screenshot, switchToTitle, waitFor } from "./helpers.mjs";

describe("queue window (UI preview)", () => {
  let app;
  let browser;
  before(async () => {
    app = await launch(["--ui-preview"]);
    browser = app.browser;
    await waitFor(async () => (await browser.$$(".card")).length >= 3, "cards rendered");
  });
  after(async () => app && (await app.stop()));

  it("renders cards grouped by interaction with scores, why, highlights and the no-suggestion reason", async () => {
    assert.equal(await browser.getTitle(), "Supervisor Assist — Suggestions");
    const first = await browser.$(".interaction");
    assert.match(await first.getText(), /ix-1001/);
    assert.match(await first.$(".why").getText(), /dense .* BM25 .* fused 0\.71/);
    assert.equal(await first.$("mark").getText(), "forgot my password");
    assert.match(await first.$(".card-meta").getText(), /KB-1042.*modified 3 days ago/s);
    assert.match(await browser.$(".no-suggestion").getText(), /no suggestion: best 0\.31 < 0\.45/);
    assert.match(await browser.$("#connection").getText(), /connected/);
    assert.match(await browser.$("#kb-fresh").getText(), /KB fresh as of/);
    await screenshot(browser, "queue");
  });

  it("edits a card with the keyboard and approves it", async () => {
    const card = await browser.$('[data-card-id="ix-1001-card-1"]');
    await card.click();
    await browser.keys("e");
    const title = await card.$(".edit-title");
    await title.waitForDisplayed();
    await title.clearValue();
    await title.setValue("Reset password (edited)");
    await browser.keys(["Control", "Enter"]);
    await waitFor(async () => /edited & approved/.test(await card.getText()), "card approved after edit");
    assert.match(await card.$(".card-title").getText(), /Reset password \(edited\)/);
    await waitFor(async () => /sent ✓/.test(await card.getText()), "delivery shown as sent");
  });

  it("rejects the focused card with Delete", async () => {
    const card = await browser.$('[data-card-id="ix-1002-card-1"]');
    await card.click();
    await browser.keys("Delete");
    await waitFor(async () => /rejected/.test(await card.getText()), "card rejected");
    assert.doesNotMatch(await card.getText(), /sent/);
  });

  it("renders the hostile KB article inert", async () => {
    const card = await browser.$('[data-card-id="ix-1003-card-1"]');
    await card.click();
    await browser.keys("v");
    const panel = await browser.$("#article-panel");
    await panel.waitForDisplayed();
    const body = await browser.$("#article-body");
    const text = await body.getText();
    assert.match(text, /<script>window\.__xss = 1;<\/script>/, "script shown as text");
    assert.match(await browser.$("#article-title").getText(), /<img src=x onerror=alert\(1\)>/);
    const probe = await browser.execute(() => ({
      xss: window.__xss === undefined ? null : window.__xss,
      scripts: document.querySelectorAll("#article-panel script, .card script").length,
      images: document.querySelectorAll("#article-panel img, .card img").length,
      handlers: [...document.querySelectorAll("#article-panel *")].filter((n) => [...n.attributes].some((a) => a.name.startsWith("on"))).length,
      hrefs: [...document.querySelectorAll("#article-panel a")].map((a) => a.getAttribute("href")),
    }));
    assert.deepEqual(probe, { xss: null, scripts: 0, images: 0, handlers: 0, hrefs: ["https://kb.example.com/articles/KB-XSS-TEST", "https://kb.example.com/safe"] });
    await screenshot(browser, "xss-article");
    await browser.keys("Escape");
  });

  it("the queue window may not call the settings window's commands (per-window capabilities)", async () => {
    const tryInvoke = (command, args) =>
      browser.execute(async (c, a) => {
        try {
          await window.__TAURI__.core.invoke(c, a);
          return "allowed";
        } catch (error) {
          return String(error);
        }
      }, command, args);
    for (const [command, args] of [
      ["save_credentials", { clientId: "x", clientSecret: "y" }],
      ["load_settings", {}],
      ["test_connection", {}],
      ["open_logs", {}],
    ]) {
      const outcome = await tryInvoke(command, args);
      assert.match(outcome, /not allowed/i, `${command} from the queue window: ${outcome}`);
    }
    // The control: a command the queue window is granted goes through.
    assert.equal(await tryInvoke("get_status", {}), "allowed");
  });

  it("a second launch shows the running instance's window and exits (one tray icon)", async () => {
    // The page's visibility follows the native window (the queue window is not granted window getters).
    const visible = () => browser.execute(() => document.visibilityState === "visible");
    assert.equal(await visible(), true);
    await browser.execute(() => window.__TAURI__.window.getCurrentWindow().hide());
    await waitFor(async () => (await visible()) === false, "queue window hidden");
    const second = spawnSync(APP, ["--ui-preview"], { env: app.env, timeout: 30000, encoding: "utf8" });
    assert.equal(second.status, 0, `second instance exit: ${second.status} ${second.signal} ${second.stderr}`);
    await waitFor(async () => (await visible()) === true, "the first instance's queue window shown again");
  });

  it("runs 'Refresh KB now' from the tray menu over D-Bus", async () => {
    const clicked = await clickTrayItem("Refresh KB now");
    assert.ok(clicked, "tray menu item found on the session bus");
    await waitFor(async () => /KB refresh: up to date/.test(await browser.$("#toast").getText()), "refresh result shown");
  });

  it("opens settings; credentials fields are empty and write-only", async () => {
    await browser.$("#open-settings").click();
    await waitFor(async () => (await browser.getWindowHandles()).length > 1, "settings window opened");
    await switchToTitle(browser, "Supervisor Assist — Settings");
    await waitFor(async () => (await browser.$("#kb_poll_interval_secs").getValue()) === "300", "form loaded");
    assert.equal(await browser.$("#client_secret").getAttribute("type"), "password");
    assert.equal(await browser.$("#client_secret").getValue(), "");
    await browser.$("#base_url").setValue("https://api.example.com");
    await browser.$("#save-settings").click();
    await waitFor(async () => /Saved/.test(await browser.$("#settings-result").getText()), "settings saved");
    await screenshot(browser, "settings");
  });
});
