// wordvec explorer: the page behind `wordvec serve`. Plain DOM, no framework, no build step.
// Words come from vector files and are data: they are only ever written with textContent or
// setAttribute, never parsed as HTML (the server's Content-Security-Policy forbids inline script too).
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const METHOD_NAMES = { pca: "PCA", tsne: "t-SNE", umap: "UMAP" };
const state = { models: [], panes: [], word: null, completions: [], selected: -1 };

const $ = (id) => document.getElementById(id);

function el(tag, attrs = {}, text = null, ns = null) {
  const node = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (text !== null) node.textContent = String(text);
  return node;
}

async function api(name, params) {
  const query = new URLSearchParams(params).toString();
  let response;
  try {
    response = await fetch(`/api/${name}?${query}`, { headers: { accept: "application/json" } });
  } catch (err) {
    throw new Error("the server does not answer (is wordvec serve still running?)");
  }
  let body = null;
  try { body = await response.json(); } catch (err) { /* not JSON */ }
  if (!response.ok) throw new Error(body && body.error ? body.error : `server error ${response.status}`);
  return body;
}

function showMessage(text) {
  const box = $("message");
  box.textContent = text || "";
  box.hidden = !text;
}

function formatScore(score) { return Number(score).toFixed(4); }

// ---------------------------------------------------------------------------------- panes

function makePane(index, modelId) {
  const node = $("pane-template").content.firstElementChild.cloneNode(true);
  node.dataset.pane = String(index);
  const select = node.querySelector(".model-select");
  state.models.forEach((m) => select.append(el("option", { value: m.id }, `${m.name}`)));
  select.value = String(modelId);
  const pane = { node, modelId, select, seq: 0, analogySeq: 0 };
  select.addEventListener("change", () => {
    pane.modelId = Number(select.value);
    describeModel(pane);
    if (state.word) showWord(state.word, { push: false });
  });
  $("panes").append(node);
  describeModel(pane);
  return pane;
}

function describeModel(pane) {
  const model = state.models[pane.modelId];
  pane.node.querySelector(".model-size").textContent =
    `${model.words.toLocaleString("en")} words × ${model.dim}` + (model.subwords ? " · subwords" : "");
  const list = pane.node.querySelector(".metadata-list");
  list.replaceChildren();
  const shown = new Set();
  const add = (key, value) => {
    if (value === undefined || value === null || value === "" || shown.has(key)) return;
    shown.add(key);
    const text = typeof value === "object" ? JSON.stringify(value)
      : typeof value === "number" && !Number.isInteger(value) ? String(Number(value.toPrecision(4))) : String(value);
    list.append(el("dt", {}, key), el("dd", {}, text));
  };
  const meta = model.metadata || {};
  add("file", model.name);
  add("words", model.words.toLocaleString("en"));
  add("dimensions", model.dim);
  if (model.ngrams) add("n-grams", `${model.ngrams.minn}-${model.ngrams.maxn}, ${model.ngrams.bucket} buckets`);
  add("corpus", meta.corpus);
  add("wordvec", meta.wordvec_version);
  const config = meta.config && typeof meta.config === "object" ? meta.config : {};
  for (const key of ["engine", "model", "loss", "dim", "window", "negative", "min_count", "sample", "epochs", "lr"]) {
    add(key, config[key]);
  }
  for (const [key, value] of Object.entries(meta)) {
    if (!["corpus", "wordvec_version", "config"].includes(key)) add(key, value);
  }
  const svg = pane.node.querySelector("svg.loss");
  svg.replaceChildren();
  svg.setAttribute("hidden", "");  // an SVG element has no .hidden property
  if (model.has_history) {
    api("history", { model: model.id }).then((h) => drawLoss(svg, h)).catch(() => {});
  }
}

function drawLoss(svg, history) {
  const names = Object.keys(history.series);
  if (!names.length) return;
  const name = names.includes("epoch_loss") && history.series.epoch_loss.values.length > 1 ? "epoch_loss"
    : names.reduce((a, b) => (history.series[b].length > history.series[a].length ? b : a));
  const series = history.series[name];
  const pts = series.steps.map((s, i) => [s, series.values[i]]).filter((p) => p[1] !== null);
  if (pts.length < 2) return;
  const [W, H, P] = [400, 120, 24];
  const xs = pts.map((p) => p[0]), ys = pts.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => P + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * P);
  const sy = (y) => H - P + 4 - ((y - y0) / (y1 - y0 || 1)) * (H - 2 * P);
  svg.append(el("polyline", { points: pts.map((p) => `${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`).join(" "),
                             class: "loss-line" }, null, SVG));
  svg.append(el("text", { x: P, y: 14, class: "loss-label" }, `${name}: ${y1.toFixed(3)} → ${ys[ys.length - 1].toFixed(3)}`, SVG));
  svg.removeAttribute("hidden");
}

function paneMessage(pane, text) {
  const box = pane.node.querySelector(".pane-message");
  box.textContent = text || "";
  box.hidden = !text;
}

// ------------------------------------------------------------------------------- queries

// A word from the page (a neighbour, a map point, a completion, the address) is used exactly as it
// is; a typed one is trimmed. Each pane numbers its requests and drops answers to older ones, so a
// slow map can never draw one word's neighbourhood under another word's title.
async function showWord(word, { push = true, typed = false } = {}) {
  if (typed) word = word.trim();
  if (!word.trim()) { showMessage("Type a word first."); return; }
  showMessage("");
  hideCompletions();
  hideTooltip();
  state.word = word;
  $("search").value = word;
  const hash = "#" + new URLSearchParams({ word }).toString();
  if (push && location.hash !== hash) history.pushState(null, "", hash);  // Back returns to the last word
  const topn = $("topn").value;
  const method = $("map-method").value || "pca";
  delete document.body.dataset.word;
  await Promise.all(state.panes.map(async (pane) => {
    const seq = ++pane.seq;
    const current = () => seq === pane.seq;
    pane.node.querySelector(".neighbours-title").textContent = `Neighbours of “${clip(word, 60)}”`;
    pane.node.classList.add("loading");
    const svg = pane.node.querySelector("svg.map");
    svg.replaceChildren(el("text", { x: 8, y: 16, class: "map-caption" }, `computing the ${METHOD_NAMES[method] || method} map…`, SVG));
    const near = api("neighbours", { model: pane.modelId, word, topn }).then((data) => {
      if (!current()) return;
      paneMessage(pane, data.known ? "" : `“${clip(word, 60)}” is not in the vocabulary: its vector comes from its character n-grams.`);
      drawNeighbours(pane, data);
    }, (err) => {
      if (!current()) return;
      paneMessage(pane, err.message);
      pane.node.querySelector("table.neighbours tbody").replaceChildren();
    });
    const map = api("map", { model: pane.modelId, word, n: Math.max(Number(topn), 10), method }).then((data) => {
      if (current()) drawMap(pane, data);
    }, (err) => {
      if (!current()) return;
      svg.replaceChildren(el("text", { x: 8, y: 16, class: "map-caption error" }, `no map: ${err.message}`, SVG));
    });
    await Promise.all([near, map]);
    if (current()) pane.node.classList.remove("loading");
  }));
  if (state.word === word) document.body.dataset.word = word;  // tests wait on this: every pane has answered
}

function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }

function drawNeighbours(pane, data) {
  const body = pane.node.querySelector("table.neighbours tbody");
  body.replaceChildren();
  for (const n of data.neighbours) {
    const row = el("tr");
    const cell = el("td", { class: "word" });
    const link = el("a", { href: "#", class: "word-link", title: clip(n.word, 300) }, n.word);
    link.addEventListener("click", (event) => { event.preventDefault(); showWord(n.word); });
    cell.append(link);
    row.append(cell, el("td", { class: "score" }, formatScore(n.score)));
    body.append(row);
  }
}

function drawMap(pane, data) {
  hideTooltip();
  const svg = pane.node.querySelector("svg.map");
  svg.replaceChildren();
  const [W, H, P, LABEL] = [560, 420, 48, 90];
  const sx = (x) => P / 2 + ((x + 1) / 2) * (W - P / 2 - LABEL);  // room for the label on the right
  const sy = (y) => H / 2 - y * (H / 2 - P / 2);
  svg.append(el("text", { x: 8, y: 16, class: "map-caption" }, `${METHOD_NAMES[data.method] || data.method} of ${data.points.length} words`, SVG));
  data.points.forEach((p, i) => {
    const group = el("g", { class: i === 0 ? "point centre" : "point", "data-word": p.word }, null, SVG);
    const x = sx(p.x), y = sy(p.y);
    group.append(el("circle", { cx: x.toFixed(1), cy: y.toFixed(1), r: i === 0 ? 7 : 5 }, null, SVG));
    group.append(el("text", { x: (x + 8).toFixed(1), y: (y + 4).toFixed(1) }, clip(p.word, 24), SVG));
    group.addEventListener("mouseenter", (event) => showTooltip(event, `${clip(p.word, 200)}  ${i === 0 ? "" : formatScore(p.score)}`));
    group.addEventListener("mousemove", (event) => moveTooltip(event));
    group.addEventListener("mouseleave", hideTooltip);
    group.addEventListener("click", () => { hideTooltip(); showWord(p.word); });
    svg.append(group);
  });
}

function showTooltip(event, text) {
  const tip = $("tooltip");
  tip.textContent = text.trim();
  tip.hidden = false;
  moveTooltip(event);
}
function moveTooltip(event) {
  const tip = $("tooltip");
  tip.style.left = `${event.pageX + 12}px`;
  tip.style.top = `${event.pageY + 12}px`;
}
function hideTooltip() { $("tooltip").hidden = true; }

async function solveAnalogy() {
  const [a, b, c] = ["a", "b", "c"].map((k) => $(`analogy-${k}`).value.trim());
  if (!a || !b || !c) { showMessage("An analogy needs three words: a is to b as c is to ?"); return; }
  showMessage("");
  const method = $("analogy-method").value;
  delete document.body.dataset.analogy;
  await Promise.all(state.panes.map(async (pane) => {
    const seq = ++pane.analogySeq;
    const box = pane.node.querySelector(".analogy-box");
    const body = box.querySelector("tbody");
    body.replaceChildren();
    box.hidden = false;
    box.querySelector(".analogy-title").textContent =
      `${a} : ${b} = ${c} : ?  (${method === "mul" ? "3CosMul" : "3CosAdd"})`;
    try {
      const data = await api("analogy", { model: pane.modelId, a, b, c, method, topn: 5 });
      if (seq !== pane.analogySeq) return;
      for (const ans of data.answers) {
        const row = el("tr");
        const cell = el("td", { class: "word" });
        const link = el("a", { href: "#", class: "word-link" }, ans.word);
        link.addEventListener("click", (event) => { event.preventDefault(); showWord(ans.word); });
        cell.append(link);
        row.append(cell, el("td", { class: "score" }, formatScore(ans.score)));
        body.append(row);
      }
    } catch (err) {
      if (seq !== pane.analogySeq) return;
      const row = el("tr");
      row.append(el("td", { colspan: 2, class: "error" }, err.message));
      body.append(row);
    }
  }));
  document.body.dataset.analogy = `${a}:${b}=${c}`;
}

// ---------------------------------------------------------------------------- completion

let completeTimer = null;
let completeSeq = 0;

function hideCompletions() {
  clearTimeout(completeTimer);
  completeSeq++;  // an answer still on its way is dropped
  $("completions").hidden = true;
  $("search").setAttribute("aria-expanded", "false");
  state.completions = [];
  state.selected = -1;
}

function renderCompletions() {
  const list = $("completions");
  list.replaceChildren();
  state.completions.forEach((word, i) => {
    const item = el("li", { role: "option", "aria-selected": i === state.selected }, word);
    item.addEventListener("mousedown", (event) => { event.preventDefault(); showWord(word); });
    list.append(item);
  });
  list.hidden = state.completions.length === 0;
  $("search").setAttribute("aria-expanded", String(!list.hidden));
}

function requestCompletions() {
  const prefix = $("search").value;
  clearTimeout(completeTimer);
  if (!prefix.trim()) { hideCompletions(); return; }
  completeTimer = setTimeout(async () => {
    const seq = ++completeSeq;
    try {
      const data = await api("complete", { model: state.panes[0].modelId, prefix, limit: 10 });
      if (seq !== completeSeq || $("search").value !== prefix) return;  // a newer request is on its way
      state.completions = data.words.filter((w) => w !== prefix || data.words.length > 1);
      state.selected = -1;
      renderCompletions();
    } catch (err) {
      hideCompletions();
    }
  }, 80);
}

function onSearchKey(event) {
  const n = state.completions.length;
  if (event.key === "ArrowDown" && n) {
    event.preventDefault();
    state.selected = (state.selected + 1) % n;
    renderCompletions();
  } else if (event.key === "ArrowUp" && n) {
    event.preventDefault();
    state.selected = (state.selected - 1 + n) % n;
    renderCompletions();
  } else if (event.key === "Escape") {
    hideCompletions();
  } else if (event.key === "Enter" && state.selected >= 0) {
    event.preventDefault();
    showWord(state.completions[state.selected]);
  }
}

// ---------------------------------------------------------------------------------- start

async function start() {
  let info;
  try {
    info = await api("models", {});
  } catch (err) {
    showMessage(`Could not load the models: ${err.message}`);
    return;
  }
  state.models = info.models;
  const names = info.models.map((m) => m.name).join(", ");
  $("summary").textContent = `${info.models.length} model${info.models.length > 1 ? "s" : ""}: ${names}`;
  const methodSelect = $("map-method");
  for (const m of info.map_methods) methodSelect.append(el("option", { value: m }, METHOD_NAMES[m] || m));
  const shown = Math.min(2, state.models.length);
  for (let i = 0; i < shown; i++) state.panes.push(makePane(i, i));
  document.body.classList.toggle("two", shown > 1);

  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    if (state.selected >= 0) showWord(state.completions[state.selected]);
    else showWord($("search").value, { typed: true });
  });
  $("search").addEventListener("input", requestCompletions);
  $("search").addEventListener("keydown", onSearchKey);
  $("search").addEventListener("blur", () => setTimeout(hideCompletions, 150));
  $("analogy-form").addEventListener("submit", (event) => { event.preventDefault(); solveAnalogy(); });
  $("map-method").addEventListener("change", () => { if (state.word) showWord(state.word, { push: false }); });
  $("topn").addEventListener("change", () => { if (state.word) showWord(state.word, { push: false }); });
  window.addEventListener("hashchange", fromHash);
  document.body.dataset.ready = "1";
  fromHash();
}

function fromHash() {
  const word = new URLSearchParams(location.hash.slice(1)).get("word");
  if (word && word !== state.word) showWord(word, { push: false });
}

document.addEventListener("DOMContentLoaded", start);
