// Unit tests of the window's pure rendering helpers (ui/render.js), run with `node --test tests/ui/`.
// The DOM-building parts are covered by the WebDriver E2E suite; these pin the text logic.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import vm from "node:vm";
import { Worker } from "node:worker_threads";
import { once } from "node:events";

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

// A DOM just large enough for markdown(): elements with children, text nodes, fragments.
function fakeDocument() {
  const text = (value) => ({ nodeName: "#text", data: String(value) });
  const node = (nodeName) => ({
    nodeName,
    className: "",
    children: [],
    append(...nodes) {
      this.children.push(...nodes.map((n) => (typeof n === "string" ? text(n) : n)));
    },
    set textContent(value) {
      this.children = [text(value)];
    },
  });
  return { createElement: node, createTextNode: text, createDocumentFragment: () => node("#fragment") };
}
const domContext = vm.createContext({ URL, document: fakeDocument() });
vm.runInContext(`${source}\nglobalThis.SafeRender = SafeRender;`, domContext);
const { markdown } = domContext.SafeRender;
const textOf = (n) => (n.nodeName === "#text" ? n.data : n.children.map(textOf).join(""));
const anchors = (n) => (n.nodeName === "a" ? [n.href] : (n.children || []).flatMap(anchors));

test("markdown links: only http(s) become anchors, the rest stays text", () => {
  const out = markdown("see [KB](https://kb.example.com/a) or [x](javascript:alert(1)) and http://h.example/p");
  assert.deepEqual(anchors(out), ["https://kb.example.com/a", "http://h.example/p"]);
  assert.ok(textOf(out).includes("[x](javascript:alert(1))"));
  assert.equal(textOf(markdown("[a [b](https://x.example/)")), "[a b");
});

// 1M characters: ~0.1 s when linear; the old regex (40k `[` took 0.5-1.8 s, quadratic) would need 5-20 minutes. It runs
// in a worker so a hang can be stopped (a synchronous regex would block the test runner's own timeout): the guard
// fails the test after 60 s, far from both, so this is not a speed assertion.
const LINEAR_WORKER = `
const { parentPort, workerData } = require("node:worker_threads");
const vm = require("node:vm");
${fakeDocument.toString()}
const textOf = ${textOf.toString()};
const anchors = ${anchors.toString()};
const context = vm.createContext({ URL, document: fakeDocument() });
vm.runInContext(workerData.source + "\\nglobalThis.SafeRender = SafeRender;", context);
parentPort.postMessage(workerData.inputs.map((input) => {
  const out = context.SafeRender.markdown(input);
  return { same: textOf(out) === input, anchors: anchors(out).length };
}));
`;

test("markdown link parsing is linear on adversarial input (markdown_link_regex_linear)", async () => {
  const units = ["[", "[a](", "[a](x", "[]", "](", "[a [b]"];
  const inputs = units.map((unit) => unit.repeat(Math.floor(1_000_000 / unit.length)));
  const worker = new Worker(LINEAR_WORKER, { eval: true, workerData: { source, inputs } });
  let timer;
  const hang = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error("markdown() still running after 60 s on 1M characters: super-linear")), 60_000);
  });
  try {
    const [results] = await Promise.race([once(worker, "message"), hang]);
    assert.deepEqual(
      results.map((r, i) => [units[i], r.same, r.anchors]),
      units.map((unit) => [unit, true, 0]),
    );
  } finally {
    clearTimeout(timer);
    await worker.terminate();
  }
});
