// slmguard review UI: one item at a time, labelled with the keyboard.
// The allowed tier/category combinations come from the server (/api/config, label/rules.py),
// so the form and the API refuse the same things.
"use strict";

const KEYS = "abcdefghijklmopqrtvwxy"; // n, s, u and z are commands
const $ = (id) => document.getElementById(id);
const S = {
  config: null, detail: null, tier: null, cats: new Set(), version: 0,
  skip: [], undo: [], busy: false, keyOf: {}, codeOf: {}, pre: null,
};

function reviewer() { return $("reviewer").value.trim(); }

function message(text, kind = "info") {
  const m = $("message");
  m.textContent = text;
  m.className = "message " + kind;
}

function banner(text, kind = "info") {
  const b = $("banner");
  b.hidden = !text;
  b.textContent = text || "";
  b.className = "banner " + kind;
}

async function api(path, options = {}) {
  const res = await fetch(path, {headers: {"Content-Type": "application/json"}, ...options});
  let body = null;
  try { body = await res.json(); } catch (_e) { body = null; }
  return {status: res.status, body};
}

function cat(code) { return S.config.rules.categories.find((c) => c.code === code); }

function buildCategories() {
  const box = $("cats");
  box.innerHTML = "";
  S.config.rules.categories.forEach((c, i) => {
    const key = KEYS[i] || "";
    if (key) { S.keyOf[c.code] = key; S.codeOf[key] = c.code; }
    const b = document.createElement("button");
    b.className = "cat " + c.tier;
    b.dataset.code = c.code;
    b.innerHTML = `<kbd>${key || "&nbsp;"}</kbd><span class="code">${c.code}</span><span class="name">${escapeHtml(c.name)}</span>`;
    b.addEventListener("click", () => toggleCategory(c.code));
    b.addEventListener("mouseenter", () => define(c.code));
    box.appendChild(b);
  });
  const sel = $("category");
  sel.innerHTML = S.config.rules.categories.map((c) => `<option value="${c.code}">${c.code} ${escapeHtml(c.name)}</option>`).join("");
}

function define(code) {
  const c = cat(code);
  if (!c) return;
  const ex = c.examples.slice(0, 3).map((e) => `<li>${escapeHtml(e)}</li>`).join("");
  $("definition").innerHTML =
    `<div><b>${c.code} · ${escapeHtml(c.name)}</b> <span class="muted">${escapeHtml(c.name_ko)}</span>` +
    ` <span class="pill ${c.tier}">${c.tier} · ${c.action}</span></div>` +
    `<p>${escapeHtml(c.description)}</p>` + (ex ? `<ul class="examples">${ex}</ul>` : "");
}

function render() {
  document.querySelectorAll(".tier").forEach((b) => b.classList.toggle("on", b.dataset.tier === S.tier));
  const allowed = S.tier ? new Set(S.config.rules.allowed[S.tier]) : null;
  document.querySelectorAll(".cat").forEach((b) => {
    const code = b.dataset.code;
    b.classList.toggle("on", S.cats.has(code));
    const off = allowed !== null && !allowed.has(code);
    b.classList.toggle("off", off);
    b.title = off ? S.config.rules.reasons[S.tier][code] : "";
  });
  $("cathint").textContent = S.tier === "safe" ? "a safe label carries none" :
    S.tier ? "at least one" : "a letter picks its tier too";
  saveDraft();
}

function setTier(tier) {
  S.tier = tier;
  const allowed = new Set(S.config.rules.allowed[tier]);
  const dropped = [...S.cats].filter((c) => !allowed.has(c));
  dropped.forEach((c) => S.cats.delete(c));
  if (dropped.length) message(`Removed ${dropped.join(", ")}: not allowed with ${tier}.`, "warn");
  else message("");
  render();
}

function toggleCategory(code) {
  define(code);
  if (S.cats.has(code)) { S.cats.delete(code); message(""); render(); return; }
  if (S.tier === null) S.tier = cat(code).tier === "sensitive" ? "sensitive" : "unsafe";
  if (!S.config.rules.allowed[S.tier].includes(code)) {
    message("Refused: " + S.config.rules.reasons[S.tier][code], "error");
    const b = document.querySelector(`.cat[data-code="${code}"]`);
    b.classList.remove("shake"); void b.offsetWidth; b.classList.add("shake");
    return;
  }
  S.cats.add(code);
  message("");
  render();
}

function highlight(expl) {
  const max = Math.max(0.05, ...expl.weights.map(Math.abs));
  return expl.pieces.map((p, i) => {
    const w = expl.weights[i];
    if (!p.trim() || Math.abs(w) < 0.01) return escapeHtml(p);
    const a = Math.min(0.85, Math.abs(w) / max * 0.7 + 0.1).toFixed(2);
    const color = w > 0 ? `rgba(220, 38, 38, ${a})` : `rgba(37, 99, 235, ${a * 0.6})`;
    return `<mark style="background:${color}" title="${w > 0 ? "+" : ""}${w.toFixed(3)} ${expl.target}">${escapeHtml(p)}</mark>`;
  }).join("");
}

function showItem(d, prefill = null) {
  S.detail = d;
  const it = d.item;
  $("empty").hidden = true; $("itemview").hidden = false;
  $("text").innerHTML = highlight(d.explanation);
  $("text").lang = it.lang === "ko" ? "ko" : "en";
  const top = d.explanation.pieces.filter((_p, i) => d.explanation.weights[i] > 0.01)
    .sort((a, b) => d.explanation.weights[d.explanation.pieces.indexOf(b)] - d.explanation.weights[d.explanation.pieces.indexOf(a)])
    .slice(0, 4);
  $("why").innerHTML = top.length ? `Words that raised the ${d.explanation.target} score: ` + top.map((w) => `<b>${escapeHtml(w)}</b>`).join(", ")
    : `No single word moves the ${d.explanation.target} score much.`;
  $("meta").textContent = [it.source, it.lang, it.seen > 1 ? `seen ${it.seen}×` : "", `confidence margin ${it.margin.toFixed(2)}`,
    d.version ? `version ${d.version}` : "unlabelled"].filter(Boolean).join(" · ");
  $("vlabel").textContent = it.label; $("vlabel").className = "badge " + it.label;
  $("vaction").textContent = it.action;
  $("vmodel").textContent = S.config.model;
  for (const k of ["unsafe", "sensitive"]) {
    const v = it[k + "_score"];
    $("bar-" + k).style.width = (v * 100).toFixed(1) + "%";
    $("num-" + k).textContent = v.toFixed(2);
  }
  const cats = Object.entries(it.categories).sort((a, b) => b[1] - a[1]).slice(0, 4).filter((e) => e[1] >= 0.05);
  $("topcats").innerHTML = cats.map(([c, p]) => `<span class="pill ${it.flagged.includes(c) ? "flag" : ""}" title="${escapeHtml(cat(c)?.name || c)}">${c} ${p.toFixed(2)}</span>`).join(" ")
    || `<span class="muted small">no category above 0.05</span>`;
  const prev = [...d.history.slice().reverse().map((h) => ({...h, similarity: 1})),
    ...d.similar.filter((s) => s.item_key !== it.key)];
  $("previous").innerHTML = prev.length ? prev.map((p) =>
    `<div class="prev"><span class="badge ${p.tier}">${p.tier}</span> ${p.categories.join(", ")}` +
    ` <span class="muted">by ${escapeHtml(p.reviewer)}${p.similarity < 1 ? ` · similar text (${(p.similarity * 100).toFixed(0)}%): “${escapeHtml(p.text.slice(0, 80))}”` : " · this text"}</span>` +
    (p.note ? `<div class="muted small">“${escapeHtml(p.note)}”</div>` : "") + `</div>`).join("") : "None yet.";
  S.version = d.version;
  S.pre = null;
  const draft = loadDraft(it.key);
  const fill = prefill || draft;
  S.tier = fill ? fill.tier : null;
  S.cats = new Set(fill ? fill.categories : []);
  $("note").value = fill ? fill.note || "" : "";
  message(draft && !prefill ? "Restored your unsaved label for this item." : "");
  render();
  $("progress").textContent = `${d.remaining} left of ${d.total}`;
}

function showEmpty(d) {
  S.detail = null;
  $("itemview").hidden = true; $("empty").hidden = false;
  $("progress").textContent = `0 left of ${d.total}`;
}

function nextQuery(extraSkip = null) {
  const skip = [...new Set(extraSkip ? [...S.skip, extraSkip] : S.skip)];
  const q = new URLSearchParams({reviewer: reviewer(), strategy: $("strategy").value, skip: skip.join(",")});
  if ($("strategy").value === "category") q.set("category", $("category").value);
  return "/api/next?" + q;
}

// While the reviewer reads an item, the next one (with its explanation) is fetched, so Enter
// shows it at once. It is only used when the queue settings have not changed since.
function prefetch(key) {
  const url = nextQuery(key);
  S.pre = {key, url, promise: api(url).catch(() => null)};
}

async function loadNext(after = null) {
  if (!reviewer()) { message("Type your name in Reviewer first: labels are recorded with it.", "error"); $("reviewer").focus(); return; }
  let r = null;
  if (after && S.pre && S.pre.key === after && S.pre.url === nextQuery(after)) r = await S.pre.promise;
  S.pre = null;
  if (!r) {
    try { r = await api(nextQuery()); } catch (_e) { banner("Connection lost: cannot load the next item. Retrying in 3 s…", "error"); setTimeout(loadNext, 3000); return; }
  }
  banner("");
  if (r.status !== 200) { message(r.body?.detail || `Error ${r.status}`, "error"); return; }
  if (r.body.item) { showItem(r.body); prefetch(r.body.item.key); } else showEmpty(r.body);
}

async function save() {
  if (!S.detail || S.busy) return;
  if (!reviewer()) { message("Type your name in Reviewer first.", "error"); $("reviewer").focus(); return; }
  if (!S.tier) { message("Choose a tier first: 1 safe, 2 sensitive, 3 unsafe.", "error"); return; }
  const body = {key: S.detail.item.key, tier: S.tier, categories: [...S.cats], note: $("note").value,
    reviewer: reviewer(), expected_version: S.version};
  S.busy = true;
  let r;
  try { r = await api("/api/labels", {method: "POST", body: JSON.stringify(body)}); }
  catch (_e) {
    S.busy = false;
    banner("Connection lost: the label was NOT saved. It is still in the form; press Enter to try again.", "error");
    return;
  }
  S.busy = false;
  banner("");
  if (r.status === 409) {
    S.version = r.body.version;
    message("Conflict: " + r.body.detail, "conflict");
    return;
  }
  if (r.status !== 200) { message("Refused: " + (r.body?.detail || `error ${r.status}`), "error"); return; }
  clearDraft(body.key);
  S.undo.push({key: body.key, version: r.body.version, label: body});
  if (S.undo.length % 5 === 1) refreshStats();
  await loadNext(body.key);
  message(`Saved ${body.tier}${body.categories.length ? " · " + body.categories.join(", ") : ""}.`, "ok");
}

async function refreshStats() {
  const r = await api("/api/stats").catch(() => null);
  if (!r || r.status !== 200) return;
  const a = r.body.agreement;
  $("stats").textContent = `${r.body.labelled_items} labelled` + (a.items ?
    ` · reviewers agree on ${(a.tier_agreement * 100).toFixed(0)}% of ${a.items} shared items (κ ${a.tier_kappa === null ? "–" : a.tier_kappa.toFixed(2)})` : "");
}

async function skip() {
  if (!S.detail) return;
  const key = S.detail.item.key;
  S.skip.push(key);
  await loadNext(key);
  message("Skipped.");
}

async function undo() {
  const last = S.undo.pop();
  if (!last) { message("Nothing to undo.", "warn"); return; }
  let r;
  try { r = await api("/api/labels/undo", {method: "POST", body: JSON.stringify({key: last.key, reviewer: last.label.reviewer, version: last.version})}); }
  catch (_e) { S.undo.push(last); banner("Connection lost: could not undo. Try again.", "error"); return; }
  if (r.status !== 200) { message(r.body?.detail || `Error ${r.status}`, "error"); return; }
  const d = await api(`/api/items/${last.key}?reviewer=${encodeURIComponent(reviewer())}`);
  showItem({...d.body, remaining: (S.detail ? 1 : 0) + Number($("progress").textContent.split(" ")[0] || 0),
    total: S.config.items}, last.label);
  message("Undone: the label is back in the form. Change it and press Enter.", "warn");
}

// Unsaved labels survive a reload or a lost connection.
function saveDraft() {
  if (!S.detail) return;
  const d = {tier: S.tier, categories: [...S.cats], note: $("note").value};
  if (d.tier || d.note) localStorage.setItem("draft:" + S.detail.item.key, JSON.stringify(d));
}
function loadDraft(key) { try { return JSON.parse(localStorage.getItem("draft:" + key)); } catch (_e) { return null; } }
function clearDraft(key) { localStorage.removeItem("draft:" + key); }

async function retrain() {
  const r = await api("/api/retrain", {method: "POST"});
  $("retrainpanel").hidden = false;
  if (r.status !== 200) { $("retrainstatus").textContent = r.body?.detail || `Error ${r.status}`; return; }
  pollRetrain();
}

async function pollRetrain() {
  const r = await api("/api/retrain");
  const j = r.body;
  const pct = j.total ? ` ${j.done}/${j.total}` : "";
  $("retrainstatus").innerHTML = `<b>${j.state}</b> · ${escapeHtml(j.stage)}${pct} · ${j.seconds}s` +
    (j.error ? `<div class="message error">${escapeHtml(j.error)}</div>` : "") +
    `<pre>${escapeHtml(j.log.slice(-4).join("\n"))}</pre>`;
  if (j.state === "running") { setTimeout(pollRetrain, 1000); return; }
  if (j.result) $("retrainresult").innerHTML = comparison(j.result);
}

function comparison(res) {
  let html = `<p>Saved the retrained model to <code>${escapeHtml(res.model)}</code> (${res.labels} labels).</p>`;
  if (res.extended_with && res.extended_with.length)
    html += `<p>The policy adds ${res.extended_with.map(c => `<code>${escapeHtml(c)}</code>`).join(", ")}: the guard was extended with it, and its other outputs are unchanged.</p>`;
  for (const [name, ba] of Object.entries(res.comparison)) {
    html += `<table><caption>${name} (${ba.after.n} rows)</caption><tr><th></th><th>before</th><th>after</th><th>change</th></tr>`;
    for (const k of Object.keys(ba.after)) {
      if (k === "n") continue;
      const b = ba.before[k], a = ba.after[k];
      const fmt = (v) => v === null || v === undefined ? "–" : v.toFixed(3);
      const diff = a !== null && b !== null && b !== undefined ? a - b : null;
      html += `<tr><td>${k}</td><td>${fmt(b)}</td><td>${fmt(a)}</td><td class="${diff > 0 ? "up" : diff < 0 ? "down" : ""}">${diff === null ? "–" : (diff > 0 ? "+" : "") + diff.toFixed(3)}</td></tr>`;
    }
    html += "</table>";
  }
  return html;
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c]));
}

document.addEventListener("keydown", (e) => {
  const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
  if (typing) {
    if (e.key === "Escape") document.activeElement.blur();
    else if (e.key === "Enter" && (e.ctrlKey || document.activeElement.id === "reviewer")) {
      const id = document.activeElement.id;
      e.preventDefault(); document.activeElement.blur(); // the reviewer's change event loads the queue
      if (id === "note") save();
    }
    return;
  }
  if (e.ctrlKey || e.metaKey || e.altKey) return;
  const k = e.key;
  if (k === "1" || k === "2" || k === "3") setTier(["safe", "sensitive", "unsafe"][Number(k) - 1]);
  else if (k === "Enter") { e.preventDefault(); save(); }
  else if (k === "s") skip();
  else if (k === "u") undo();
  else if (k === "n") { e.preventDefault(); $("note").focus(); }
  else if (S.codeOf[k]) toggleCategory(S.codeOf[k]);
  else return;
  e.preventDefault();
});

$("note").addEventListener("input", saveDraft);
$("reviewer").addEventListener("change", () => { localStorage.setItem("reviewer", reviewer()); S.undo = []; loadNext(); });
$("strategy").addEventListener("change", () => { $("category").hidden = $("strategy").value !== "category"; S.skip = []; loadNext(); $("strategy").blur(); });
$("category").addEventListener("change", () => { S.skip = []; loadNext(); $("category").blur(); });
$("tiers").addEventListener("click", (e) => { const b = e.target.closest(".tier"); if (b) setTier(b.dataset.tier); });
$("save").addEventListener("click", save);
$("skip").addEventListener("click", skip);
$("undo").addEventListener("click", undo);
$("retrain").addEventListener("click", retrain);
$("closeretrain").addEventListener("click", () => { $("retrainpanel").hidden = true; });

(async function init() {
  const r = await api("/api/config");
  S.config = r.body;
  buildCategories();
  const params = new URLSearchParams(location.search);
  $("reviewer").value = params.get("reviewer") || localStorage.getItem("reviewer") || "";
  if (params.get("strategy")) $("strategy").value = params.get("strategy");
  await loadNext();
  refreshStats();
  document.body.dataset.ready = "1";
})();
