// The queue window: renders the pipeline's snapshot, applies pipeline events, handles keyboard actions.
"use strict";

(() => {
  const { el } = SafeRender;
  const tauri = window.__TAURI__;
  const invoke = (cmd, args) => tauri.core.invoke(cmd, args);

  const model = {
    interactions: [], // newest first, InteractionView objects
    status: null,
    focused: null, // card id
    editing: null, // card id
    drafts: {}, // card id -> {title, body}
    progress: null,
  };

  const $ = (id) => document.getElementById(id);

  // ---------- helpers ----------
  // Within a call: pending cards best score first (a later, better match goes to the top), then decided ones.
  function orderedCards(ix) {
    const score = (c) => (c.scores && typeof c.scores.fused === "number" ? c.scores.fused : c.suggested.score) || 0;
    const pending = ix.cards.filter((c) => c.decision === "pending").sort((a, b) => score(b) - score(a));
    return pending.concat(ix.cards.filter((c) => c.decision !== "pending"));
  }
  function allCards() {
    return model.interactions.flatMap(orderedCards);
  }
  function findCard(cardId) {
    return allCards().find((c) => c.card_id === cardId) || null;
  }
  function findInteraction(id, create) {
    let ix = model.interactions.find((i) => i.interaction_id === id);
    if (!ix && create) {
      ix = { interaction_id: id, state: "active", context: "", no_suggestion_reason: null, last_update_ms: Date.now(), cards: [] };
      model.interactions.unshift(ix);
    }
    return ix || null;
  }
  function bringToTop(ix) {
    ix.last_update_ms = Date.now();
    model.interactions = [ix, ...model.interactions.filter((i) => i !== ix)];
  }
  function toast(message, kind) {
    const node = $("toast");
    node.textContent = message;
    node.className = "toast" + (kind ? " toast-" + kind : "");
    node.hidden = false;
    clearTimeout(toast.timer);
    toast.timer = setTimeout(() => (node.hidden = true), 6000);
  }
  function errorText(error) {
    if (error && typeof error === "object" && "kind" in error) return `${error.message} (${error.kind})`;
    return String(error);
  }
  const fmt = (x) => (typeof x === "number" ? x.toFixed(2) : "—");

  // ---------- events ----------
  function applyEvent(event) {
    const ix = event.interaction_id ? findInteraction(event.interaction_id, event.kind === "card_queued" || event.kind === "no_suggestion") : null;
    const card = event.card_id ? findCard(event.card_id) : null;
    switch (event.kind) {
      case "card_queued":
        if (!findCard(event.card.card_id)) ix.cards.unshift(event.card);
        if (event.card.context) ix.context = event.card.context;
        ix.no_suggestion_reason = null;
        bringToTop(ix);
        break;
      case "card_decided":
        if (card) {
          card.decision = event.decision;
          card.sent = event.sent;
          if (event.sent && card.delivery.state === "none") card.delivery = { state: "queued" };
        }
        break;
      case "card_delivered":
        if (card) card.delivery = { state: "sent" };
        break;
      case "card_retrying":
        if (card) card.delivery = { state: "retrying", attempt: event.attempt, reason: event.reason };
        break;
      case "card_failed":
        if (card) card.delivery = { state: "failed", reason: event.reason };
        break;
      case "no_suggestion":
        ix.no_suggestion_reason = event.reason;
        break;
      case "interaction_ended":
        if (ix) ix.state = event.state;
        break;
      case "kb_progress":
        model.progress = event.progress;
        break;
      case "kb_refreshed":
        model.progress = null;
        break;
      case "kb_refresh_failed":
        model.progress = null;
        toast("KB refresh failed: " + event.reason, "error");
        break;
    }
  }

  // ---------- rendering ----------
  function deliveryText(card) {
    const d = card.delivery || { state: "none" };
    switch (d.state) {
      case "queued": return ["queued", "muted"];
      case "sent": return ["sent ✓", "ok"];
      case "retrying": return [`retrying (attempt ${d.attempt}): ${d.reason}`, "warn"];
      case "failed": return [`failed: ${d.reason}`, "error"];
      default: return [null, null];
    }
  }
  const DECISIONS = { pending: "pending", approved: "approved", edited_approved: "edited & approved", rejected: "rejected", expired: "expired" };

  function renderEditor(card) {
    const draft = model.drafts[card.card_id];
    const box = el("div", "editor");
    const title = el("input", "edit-title");
    title.type = "text";
    title.value = draft.title;
    title.setAttribute("aria-label", "Card title");
    const body = el("textarea", "edit-body");
    body.value = draft.body;
    body.rows = 5;
    body.setAttribute("aria-label", "Card body");
    title.addEventListener("input", () => (draft.title = title.value));
    body.addEventListener("input", () => (draft.body = body.value));
    for (const field of [title, body]) {
      field.addEventListener("keydown", (e) => onEditorKey(e, card, field === title));
    }
    const hint = el("div", "muted small", "Ctrl+Enter (or Enter in the title) approves the edited card · Esc cancels");
    box.append(title, body, hint);
    return box;
  }

  function renderCard(card) {
    const node = el("article", "card decision-" + card.decision);
    node.tabIndex = 0;
    node.dataset.cardId = card.card_id;
    node.addEventListener("focus", () => (model.focused = card.card_id));
    const head = el("div", "card-head");
    head.append(el("h3", "card-title", (card.sent || card.suggested).title), el("span", "score", fmt(card.suggested.score)));
    node.append(head);
    if (model.editing === card.card_id) {
      node.append(renderEditor(card));
    } else {
      // The body as sent starts with the bold title (the seed's card format); the heading above already shows it.
      const content = card.sent || card.suggested;
      const body = el("div", "card-body");
      body.append(SafeRender.markdown(SafeRender.withoutTitleLine(content.title, content.body)));
      node.append(body);
    }
    const s = card.scores || {};
    node.append(el("div", "why muted small", `why: dense ${fmt(s.dense)} · BM25 ${fmt(s.bm25_norm)} (raw ${fmt(s.bm25)}) · exact ${fmt(s.exact)} → fused ${fmt(s.fused)}`));
    const meta = el("div", "card-meta small");
    meta.append(el("span", "mono", card.article_id));
    if (card.article_url && SafeRender.safeUrl(card.article_url)) meta.append(SafeRender.link("link", card.article_url));
    meta.append(el("span", "muted", SafeRender.age(card.article_updated_at)));
    const view = el("button", "link-button", "view article (V)");
    view.type = "button";
    view.addEventListener("click", () => showArticle(card.article_id));
    meta.append(view);
    node.append(meta);
    node.append(renderCardFooter(card));
    return node;
  }

  function renderCardFooter(card) {
    const foot = el("div", "card-foot");
    const [delivery, tone] = deliveryText(card);
    foot.append(el("span", "decision-label", DECISIONS[card.decision] || card.decision));
    if (delivery) foot.append(el("span", "delivery tone-" + tone, delivery));
    if (card.decision === "pending") {
      const button = (label, cls, fn) => {
        const b = el("button", cls, label);
        b.type = "button";
        b.addEventListener("click", fn);
        return b;
      };
      if (model.editing === card.card_id) {
        foot.append(button("Approve edited", "primary", () => submitEdit(card)), button("Cancel", "", () => cancelEdit()));
      } else {
        foot.append(
          button("Approve ⏎", "primary", () => act({ action: "approve", card_id: card.card_id }, card)),
          button("Edit E", "", () => startEdit(card)),
          button("Reject ⌫", "danger", () => act({ action: "reject", card_id: card.card_id }, card)),
        );
      }
    }
    return foot;
  }

  function renderInteraction(ix) {
    const group = el("section", "interaction" + (ix.state !== "active" ? " ended" : ""));
    group.dataset.interactionId = ix.interaction_id;
    const head = el("div", "interaction-head");
    head.append(el("span", "mono", ix.interaction_id), el("span", "badge " + (ix.state === "active" ? "badge-ok" : "badge-muted"), ix.state));
    const pending = ix.cards.filter((c) => c.decision === "pending");
    if (pending.length > 1) {
      const all = el("button", "", `Approve all ${pending.length} (A)`);
      all.type = "button";
      all.addEventListener("click", () => act({ action: "approve_all", interaction_id: ix.interaction_id }, null));
      head.append(all);
    }
    group.append(head);
    const phrases = ix.cards.flatMap((c) => c.key_phrases || []);
    const context = ix.context || (ix.cards[0] && ix.cards[0].context) || "";
    if (context) group.append(SafeRender.highlighted(context, phrases));
    if (phrases.length) group.append(el("div", "phrases small muted", "key phrases: " + [...new Set(phrases)].join(" · ")));
    if (ix.no_suggestion_reason && pending.length === 0) group.append(el("div", "no-suggestion", ix.no_suggestion_reason));
    for (const card of orderedCards(ix)) group.append(renderCard(card));
    return group;
  }

  function render() {
    const queue = $("queue");
    const active = document.activeElement;
    const editingField = active && active.classList && (active.classList.contains("edit-title") ? "title" : active.classList.contains("edit-body") ? "body" : null);
    queue.replaceChildren();
    if (model.interactions.length === 0) queue.append(el("p", "empty", "No suggestions yet. Cards appear here as calls come in."));
    for (const ix of model.interactions) queue.append(renderInteraction(ix));
    restoreFocus(editingField);
    renderStatus();
  }

  function restoreFocus(editingField) {
    const node = model.focused && document.querySelector(`[data-card-id="${CSS.escape(model.focused)}"]`);
    if (!node) return;
    if (model.editing === model.focused) {
      const field = node.querySelector(editingField === "body" ? ".edit-body" : ".edit-title");
      if (field) return field.focus();
    }
    node.focus({ preventScroll: true });
  }

  function renderStatus() {
    const s = model.status;
    const conn = $("connection");
    if (s) {
      const c = s.connection || {};
      const labels = {
        connecting: ["connecting…", "badge-warn"],
        connected: ["connected", "badge-ok"],
        reconnecting: [`reconnecting (attempt ${c.attempt}): ${c.reason}`, "badge-warn"],
        auth_failed: [`sign-in failed: ${c.reason}`, "badge-error"],
        stopped: ["stopped", "badge-error"],
      };
      const [text, cls] = s.paused ? ["paused", "badge-muted"] : labels[c.state] || [c.state, "badge-muted"];
      conn.textContent = text;
      conn.className = "badge " + cls;
      $("pending").textContent = `${s.pending_cards} pending`;
      $("kb-fresh").textContent = s.kb_fresh_as_of ? `KB fresh as of ${SafeRender.shortTime(s.kb_fresh_as_of)} · ${s.kb_articles} articles` : "KB not synced yet";
      $("toggle-pause").textContent = s.paused ? "Resume" : "Pause";
    }
    const p = model.progress;
    $("kb-progress").hidden = !(p && p.done < p.total);
    if (p) {
      $("kb-progress-bar").max = Math.max(1, p.total);
      $("kb-progress-bar").value = p.done;
      $("kb-progress-text").textContent = `${p.done} / ${p.total} · ${Math.round(p.articles_per_sec)} articles/s`;
    }
  }

  // ---------- actions ----------
  function nextPendingAfter(cardId) {
    const cards = allCards();
    const at = cards.findIndex((c) => c.card_id === cardId);
    const after = cards.slice(at + 1).concat(cards.slice(0, Math.max(0, at)));
    const next = after.find((c) => c.decision === "pending");
    return next ? next.card_id : cardId;
  }

  async function act(action, card) {
    try {
      await invoke("act_on_card", { action });
      const decided = action.action === "reject" ? "rejected" : action.action === "edit_approve" ? "edited_approved" : "approved";
      const targets = card ? [card] : (findInteraction(action.interaction_id, false) || { cards: [] }).cards.filter((c) => c.decision === "pending");
      for (const c of targets) {
        c.decision = decided;
        if (decided !== "rejected" && c.delivery.state === "none") c.delivery = { state: "queued" };
        if (action.action === "edit_approve") c.sent = { title: action.title, body: action.body, score: c.suggested.score };
      }
      if (card) model.focused = nextPendingAfter(card.card_id);
      model.editing = null;
    } catch (error) {
      toast(errorText(error), "error");
    }
    render();
  }

  function startEdit(card) {
    model.focused = card.card_id;
    model.editing = card.card_id;
    model.drafts[card.card_id] = { title: card.suggested.title, body: card.suggested.body };
    render();
    const field = document.querySelector(`[data-card-id="${CSS.escape(card.card_id)}"] .edit-title`);
    if (field) field.focus();
  }
  function cancelEdit() {
    model.editing = null;
    render();
  }
  function submitEdit(card) {
    const draft = model.drafts[card.card_id];
    act({ action: "edit_approve", card_id: card.card_id, title: draft.title, body: draft.body }, card);
  }
  function onEditorKey(event, card, isTitle) {
    if (event.key === "Escape") {
      event.preventDefault();
      cancelEdit();
    } else if (event.key === "Enter" && (event.ctrlKey || event.metaKey || isTitle)) {
      event.preventDefault();
      submitEdit(card);
    }
    event.stopPropagation();
  }

  function moveFocus(step) {
    const nodes = [...document.querySelectorAll(".card")];
    if (nodes.length === 0) return;
    const at = nodes.findIndex((n) => n.dataset.cardId === model.focused);
    const next = nodes[Math.min(nodes.length - 1, Math.max(0, at < 0 ? 0 : at + step))];
    next.focus();
    next.scrollIntoView({ block: "nearest" });
  }

  function onKey(event) {
    if (event.target.closest && event.target.closest("input, textarea")) return;
    if (event.key === "Escape" && !$("article-panel").hidden) return closeArticle();
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      return moveFocus(event.key === "ArrowDown" ? 1 : -1);
    }
    if (event.target.tagName === "BUTTON" || event.target.tagName === "A") return;
    const card = findCard(model.focused);
    if (!card) return;
    const key = event.key.toLowerCase();
    if (key === "v") return showArticle(card.article_id);
    if (card.decision !== "pending") return;
    if (event.key === "Enter") act({ action: "approve", card_id: card.card_id }, card);
    else if (key === "e") startEdit(card);
    else if (event.key === "Delete" || event.key === "Backspace") act({ action: "reject", card_id: card.card_id }, card);
    else if (key === "a") act({ action: "approve_all", interaction_id: card.interaction_id }, null);
    else return;
    event.preventDefault();
  }

  // ---------- article panel ----------
  async function showArticle(id) {
    try {
      const article = await invoke("get_article", { id });
      $("article-id").textContent = article.id;
      $("article-title").textContent = article.title;
      const meta = $("article-meta");
      meta.replaceChildren(document.createTextNode(SafeRender.age(article.updated_at)));
      if (article.url && SafeRender.safeUrl(article.url)) meta.append(" · ", SafeRender.link("open in KB", article.url));
      $("article-body").replaceChildren(SafeRender.markdown(article.content));
      $("article-panel").hidden = false;
    } catch (error) {
      toast(errorText(error), "error");
    }
  }
  function closeArticle() {
    $("article-panel").hidden = true;
    restoreFocus(null);
  }

  // ---------- start ----------
  async function reload() {
    try {
      const snapshot = await invoke("get_snapshot");
      model.interactions = snapshot.interactions;
      model.status = await invoke("get_status");
    } catch (error) {
      toast(errorText(error), "error");
    }
    if (!findCard(model.focused)) {
      const first = allCards().find((c) => c.decision === "pending");
      model.focused = first ? first.card_id : null;
    }
    render();
  }

  async function start() {
    document.addEventListener("keydown", onKey);
    $("article-close").addEventListener("click", closeArticle);
    $("refresh-kb").addEventListener("click", () => invoke("refresh_kb").catch((e) => toast(errorText(e), "error")));
    $("toggle-pause").addEventListener("click", () => invoke("set_paused", { paused: !(model.status && model.status.paused) }));
    $("open-settings").addEventListener("click", () => invoke("open_settings"));
    await tauri.event.listen("pipeline://events", (e) => {
      for (const event of e.payload) applyEvent(event);
      render();
    });
    await tauri.event.listen("pipeline://status", (e) => {
      model.status = e.payload;
      renderStatus();
    });
    await tauri.event.listen("pipeline://resync", reload);
    await tauri.event.listen("kb://refresh-result", (e) => {
      model.progress = null;
      toast("KB refresh: " + e.payload.message, e.payload.ok ? "ok" : "error");
      renderStatus();
    });
    await reload();
  }

  start();
})();
