// The settings window: config form, write-only credentials, connection test.
"use strict";

(() => {
  const invoke = (cmd, args) => window.__TAURI__.core.invoke(cmd, args);
  const $ = (id) => document.getElementById(id);
  const TEXT_FIELDS = ["tenant", "base_url", "token_url", "events_url"];

  function errorText(error) {
    if (error && typeof error === "object" && "kind" in error) return `${error.message} (${error.kind})`;
    return String(error);
  }
  function show(node, text, ok) {
    node.textContent = text;
    node.className = "result " + (ok ? "ok" : "error");
  }

  function fill(form) {
    for (const key of TEXT_FIELDS) $(key).value = form[key] || "";
    $("kb_poll_interval_secs").value = form.kb_poll_interval_secs;
    $("dense_weight").value = form.dense_weight;
    $("bm25_weight").value = form.bm25_weight;
    const auto = form.auto_approve_min_score;
    $("auto_mode").value = auto == null ? "none" : "score";
    if (auto != null) $("auto_score").value = auto;
    $("auto_score").disabled = auto == null;
  }

  function read() {
    const form = {};
    for (const key of TEXT_FIELDS) form[key] = $(key).value.trim();
    form.kb_poll_interval_secs = Number.parseInt($("kb_poll_interval_secs").value, 10) || 0;
    form.dense_weight = Number.parseFloat($("dense_weight").value);
    form.bm25_weight = Number.parseFloat($("bm25_weight").value);
    form.auto_approve_min_score = $("auto_mode").value === "score" ? Number.parseFloat($("auto_score").value) : null;
    return form;
  }

  function showSaved(state) {
    const node = $("credentials-state");
    node.textContent = state.saved ? "saved in keychain ✓" : "not saved";
    node.className = "saved-state" + (state.saved ? " ok" : "");
  }

  async function saveSettings(event) {
    event.preventDefault();
    try {
      fill(await invoke("save_settings", { form: read() }));
      show($("settings-result"), "Saved. Changes apply at the next start.", true);
    } catch (error) {
      show($("settings-result"), errorText(error), false);
    }
  }

  async function saveCredentials(event) {
    event.preventDefault();
    const clientId = $("client_id").value;
    const clientSecret = $("client_secret").value;
    // Clear the fields at once: the secret lives only as long as this call.
    $("client_id").value = "";
    $("client_secret").value = "";
    try {
      showSaved(await invoke("save_credentials", { clientId, clientSecret }));
      show($("test-result"), "Credentials saved in the keychain.", true);
    } catch (error) {
      show($("test-result"), errorText(error), false);
    }
  }

  async function testConnection() {
    show($("test-result"), "Testing…", true);
    try {
      show($("test-result"), await invoke("test_connection"), true);
    } catch (error) {
      show($("test-result"), errorText(error), false);
    }
  }

  async function start() {
    $("settings-form").addEventListener("submit", saveSettings);
    $("credentials-form").addEventListener("submit", saveCredentials);
    $("test-connection").addEventListener("click", testConnection);
    $("open-logs").addEventListener("click", () => invoke("open_logs"));
    $("auto_mode").addEventListener("change", () => ($("auto_score").disabled = $("auto_mode").value !== "score"));
    try {
      fill(await invoke("load_settings"));
    } catch (error) {
      show($("settings-result"), errorText(error), false);
    }
    try {
      showSaved(await invoke("credentials_state"));
    } catch (error) {
      $("credentials-state").textContent = errorText(error);
    }
  }

  start();
})();
