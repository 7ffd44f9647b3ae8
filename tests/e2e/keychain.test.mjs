// Settings save the client secret into the real keychain (gnome-keyring under dbus-run-session); the app then reads it
// (Test connection gets past "no credentials") and the secret is never shown back.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { freePort, launch, switchToTitle, waitFor } from "./helpers.mjs";

describe("write-only credentials in the real keychain", () => {
  let app;
  let browser;
  const secret = `e2e-secret-${process.pid}-${Date.now()}`;

  before(async () => {
    app = await launch([]);
    browser = app.browser;
    await browser.execute(() => window.__TAURI__.core.invoke("open_settings"));
    await waitFor(async () => (await browser.getWindowHandles()).length > 1, "settings window opened");
    await switchToTitle(browser, "Supervisor Assist — Settings");
    await waitFor(async () => (await browser.$("#credentials-state").getText()) !== "checking…", "credential state loaded");
  });
  after(async () => app && (await app.stop()));

  it("saves, is read by the app, and is never shown back", async () => {
    const closed = await freePort(); // nothing listens here: the token request fails as "unreachable"
    for (const [field, value] of [
      ["base_url", `http://127.0.0.1:${closed}`],
      ["token_url", `http://127.0.0.1:${closed}/oauth/token`],
      ["events_url", `ws://127.0.0.1:${closed}/api/v2/interactions/events`],
    ]) {
      await browser.$(`#${field}`).setValue(value);
    }
    await browser.$("#save-settings").click();
    await waitFor(async () => /Saved/.test(await browser.$("#settings-result").getText()), "settings saved");

    await browser.$("#client_id").setValue("e2e-client");
    await browser.$("#client_secret").setValue(secret);
    await browser.$("#save-credentials").click();
    await waitFor(async () => /saved in keychain ✓/.test(await browser.$("#credentials-state").getText()), "saved state");
    assert.equal(await browser.$("#client_secret").getValue(), "");

    const stored = execFileSync("secret-tool", ["lookup", "service", "com.supervisorassist.app"], { encoding: "utf8" });
    assert.ok(stored.includes(secret), "the keychain holds the secret");

    await browser.$("#test-connection").click();
    const result = await waitFor(async () => {
      const text = await browser.$("#test-result").getText();
      return /Testing/.test(text) ? null : text;
    }, "connection test finished");
    assert.doesNotMatch(result, /no_credentials/, "the app read the credentials from the keychain");
    assert.match(result, /unreachable/);

    await browser.refresh();
    await waitFor(async () => /saved in keychain ✓/.test(await browser.$("#credentials-state").getText()), "state after reload");
    const page = await browser.getPageSource();
    assert.ok(!page.includes(secret), "the secret never reaches the page");
    assert.equal(await browser.$("#client_secret").getValue(), "");
    assert.equal(await browser.$("#client_id").getValue(), "");
  });
});
