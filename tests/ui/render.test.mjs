// Unit tests of the window's pure rendering helpers (ui/render.js), run with `node --test tests/ui/`.
// The DOM-building parts are covered by the WebDriver E2E suite; these pin the text logic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";

const source = readFileSync(new URL("../../ui/render.js", import.meta.url), "utf8");
const context = vm.createContext({ URL });
vm.runInContext(`${source}\nglobalThis.SafeRender = SafeRender;`, context);
const { withoutTitleLine, highlightSegments: inContext, safeUrl, age } = context.SafeRender;
// Arrays made inside the vm context have another realm's prototype: copy them into this one.
const highlightSegments = (...args) => JSON.parse(JSON.stringify(inContext(...args)));

test("the bold title line is dropped from the displayed body only when it repeats the title", () => {
  assert.equal(withoutTitleLine("Reset a password", "**Reset a password**\nOpen Settings."), "Open Settings.");
  assert.equal(withoutTitleLine("Edited title", "**Reset a password**\nOpen Settings."), "**Reset a password**\nOpen Settings.");
  assert.equal(withoutTitleLine("T", "**T**"), "");
  assert.equal(withoutTitleLine("T", "plain body"), "plain body");
});

test("key phrases are highlighted case-insensitively, overlapping matches merged", () => {
  const segments = highlightSegments("Router light blinks ORANGE", ["router light", "light blinks", "orange"]);
  assert.deepEqual(
    segments.map((s) => [s.text, s.hit]),
    [["Router light blinks", true], [" ", false], ["ORANGE", true]],
  );
  assert.deepEqual(highlightSegments("nothing here", ["absent"]).map((s) => s.hit), [false]);
});

test("only http(s) links are kept", () => {
  assert.equal(safeUrl("https://kb.example.com/a"), "https://kb.example.com/a");
  assert.equal(safeUrl("javascript:alert(1)"), null);
  assert.equal(safeUrl("data:text/html,<script>x</script>"), null);
  assert.equal(safeUrl("not a url"), null);
});

test("article age reads like a person would say it", () => {
  const now = Date.parse("2026-11-28T12:00:00Z");
  assert.equal(age("2026-11-25T12:00:00Z", now), "modified 3 days ago");
  assert.equal(age("2026-11-28T11:59:30Z", now), "modified just now");
  assert.equal(age("garbage", now), "modification date unknown");
});
