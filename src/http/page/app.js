// Practice page: hear → type → see what you missed. Plain JS, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  items: [], index: 0, checked: false, audioUrl: null, audioToken: 0, progress: null,
  // Target languages offered by the translation helper (from /metadata).
  translationLanguages: [],
};
const SVG = "http://www.w3.org/2000/svg";

// Sent as a bearer token: the server accepts it whatever API_KEY_HEADER names.
function apiHeaders(extra = {}) {
  const key = localStorage.getItem("lw-api-key") || "";
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

// A request to the API. Failures throw an Error with `status` (0 when the
// server could not be reached) and a message a learner can act on; a down
// server or a refused key is also shown in the banner, whatever the tab.
async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: apiHeaders(options.headers || {}) });
  } catch {
    throw failure(0, "cannot reach the server");
  }
  const body = response.headers.get("content-type")?.includes("json") ? await response.json().catch(() => null) : null;
  if (!response.ok) {
    const detail = body && typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`;
    throw failure(response.status, detail);
  }
  setBanner(null);
  return body;
}

function failure(status, detail) {
  let message = detail;
  if (status === 401 || status === 403) {
    message = `the server refused the API key (${detail}); set it under Settings`;
  }
  const error = Object.assign(new Error(message), { status });
  if (status === 0 || status === 401 || status === 403) setBanner(`Server problem: ${message}.`);
  return error;
}

function setBanner(message) {
  $("banner").hidden = !message;
  $("banner").textContent = message || "";
}

function showError(element, message) {
  element.textContent = message;
  element.classList.add("error");
}

function showInfo(element, message) {
  element.textContent = message;
  element.classList.remove("error");
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------- practice

async function loadItems(event) {
  event?.preventDefault();
  const params = new URLSearchParams({ per_page: "100", sort: "created_at.asc" });
  const tag = $("filter-tag").value.trim();
  if (tag) params.append("tag", tag);
  if ($("filter-difficulty").value) params.set("difficulty", $("filter-difficulty").value);
  if ($("filter-new").checked) params.set("practiced", "false");
  showInfo($("item-count"), "Loading items…");
  try {
    const page = await api(`/v1/items?${params}`);
    state.items = page.items;
    state.index = 0;
    if (!state.items.length) {
      showInfo($("item-count"), "No items match.");
      $("exercise").hidden = true;
      return;
    }
    showItem();
  } catch (e) {
    $("exercise").hidden = true;
    showError($("item-count"), `Could not load items: ${e.message}.`);
  }
}

function current() {
  return state.items[state.index];
}

function showItem() {
  const item = current();
  showInfo($("item-count"), `Item ${state.index + 1} of ${state.items.length} · difficulty ${item.difficulty ?? "?"}`);
  $("exercise").hidden = false;
  $("result").hidden = true;
  for (const id of ["score", "words-right", "exact-score", "diff"]) $(id).replaceChildren();
  $("check-status").textContent = "";
  $("answer").value = "";
  state.checked = false;
  showTranslationHelper(item);
  loadAudio(item.id);
  $("answer").focus();
}

// Why an item's speech failed, by the class `tts-status` reports.
const FAILURES = {
  unsupported_locale: "no speech engine on this server speaks the item's language",
  engine_unavailable: "the speech engine is not available",
  blank_text: "the item has nothing to speak",
  unspeakable_text: "the speech engine cannot read any of the item's words",
  unsupported_voice: "the item's voice is not installed",
  engine_timeout: "the speech engine took too long",
  disk_full: "the server has no room for the audio",
  engine_failed: "the speech engine failed",
};

// Waits for the item's speech through `tts-status` (backing off from
// 0.5 s to 3 s), then loads the audio; a failed item is shown at once.
// With `autoplay` the audio plays as soon as it is loaded.
async function loadAudio(id, { autoplay = false } = {}) {
  const token = ++state.audioToken;
  const stale = () => token !== state.audioToken;
  const status = $("audio-status");
  $("audio-duration").textContent = "";
  $("retry-audio").hidden = true;
  $("play").disabled = true;
  showInfo(status, "loading audio…");
  let delay = 500;
  for (let waited = 0; ; waited += delay, delay = Math.min(delay * 1.5, 3000)) {
    let tts;
    try {
      tts = await api(`/v1/items/${id}/tts-status`);
    } catch (e) {
      if (stale()) return;
      showError(status, `no audio: ${e.message}`);
      $("retry-audio").hidden = false;
      return;
    }
    if (stale()) return;
    if (tts.tts_status === "ready") break;
    if (tts.tts_status === "failed") {
      const reason = FAILURES[tts.tts_error] || FAILURES.engine_failed;
      showError(status, `No audio: ${reason} (${tts.tts_error || "failed"}).`);
      status.dataset.failure = tts.tts_error || "failed";
      $("retry-audio").hidden = false;
      return;
    }
    if (waited > 5 * 60 * 1000) {
      showError(status, "no audio: still being prepared after 5 minutes");
      $("retry-audio").hidden = false;
      return;
    }
    showInfo(status, "audio is being prepared…");
    await sleep(delay);
    if (stale()) return;
  }
  try {
    const response = await fetch(`/v1/items/${id}/audio`, { headers: apiHeaders() });
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      throw new Error(body.detail || `HTTP ${response.status}`);
    }
    const blob = await response.blob();
    if (stale()) return;
    if (state.audioUrl) URL.revokeObjectURL(state.audioUrl);
    state.audioUrl = URL.createObjectURL(blob);
    $("audio").src = state.audioUrl;
    $("play").disabled = false;
    showInfo(status, "");
    delete status.dataset.failure;
    if (autoplay) play();
  } catch (e) {
    if (!stale()) showError(status, `no audio: ${e.message}`);
  }
}

// "Try again": a failed item's speech is queued again; anything else
// (the server was unreachable, say) is simply asked again.
async function retryAudio() {
  const item = current();
  if (!item) return;
  const status = $("audio-status");
  $("retry-audio").hidden = true;
  if (status.dataset.failure) {
    showInfo(status, "asking the server to try again…");
    try {
      await api(`/v1/items/${item.id}/tts/retry`, { method: "POST" });
    } catch (e) {
      // 409: it is no longer failed (another retry won); look again.
      if (e.status !== 409) {
        showError(status, `could not retry: ${e.message}`);
        $("retry-audio").hidden = false;
        return;
      }
    }
  }
  loadAudio(item.id);
}

// "New voice": the server makes the item's audio again (a new synthesis,
// in the next voice where the engine has several); the page waits for it
// like for any audio and plays it when it is ready.
async function newVoice() {
  const item = current();
  if (!item) return;
  const status = $("audio-status");
  const button = $("new-voice");
  button.disabled = true;
  showInfo(status, "asking for new audio…");
  try {
    await api(`/v1/items/${item.id}/audio/refresh`, { method: "POST" });
  } catch (e) {
    showError(status, `could not make new audio: ${e.message}`);
    button.disabled = false;
    return;
  }
  button.disabled = false;
  loadAudio(item.id, { autoplay: true });
}

// ---------------------------------------------------------------- translation

const LANGUAGE_NAME = (language) => language.language_name || language.language_code;

// The translation helper is offered only when the server has a provider;
// its languages come from /metadata, as the frontend reads them.
async function loadMetadata() {
  try {
    const metadata = await api("/metadata?fields=features,providers");
    const provider = metadata.providers?.translation?.provider;
    state.translationLanguages = provider && provider !== "none"
      ? metadata.features?.translation_languages || []
      : [];
  } catch {
    state.translationLanguages = [];
  }
  const item = current();
  if (item) showTranslationHelper(item);
}

// Closed until asked for: the learner hears first, then may read.
function showTranslationHelper(item) {
  const helper = $("translation");
  const languages = state.translationLanguages.filter((l) => l.language_code !== item.locale);
  helper.hidden = languages.length === 0;
  helper.open = false;
  $("translation-text").replaceChildren();
  const select = $("translation-lang");
  const chosen = select.value;
  select.replaceChildren(...languages.map((l) => new Option(LANGUAGE_NAME(l), l.language_code)));
  if (languages.some((l) => l.language_code === chosen)) select.value = chosen;
}

async function translate() {
  const item = current();
  if (!item) return;
  const out = $("translation-text");
  const button = $("translate");
  button.disabled = true;
  showInfo(out, "Translating…");
  try {
    const translation = await api(`/v1/items/${item.id}/translations`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ target_lang: $("translation-lang").value }),
    });
    if (current() !== item) return;
    showInfo(out, translation.translated_text ?? "(no translation)");
    out.lang = translation.target_lang;
  } catch (e) {
    showError(out, `Could not translate: ${e.message}.`);
  } finally {
    button.disabled = false;
  }
}

function play() {
  const audio = $("audio");
  if (!audio.src) return;
  audio.playbackRate = $("slow").checked ? 0.75 : 1;
  audio.currentTime = 0;
  audio.play().catch(() => { showInfo($("audio-status"), "press Play to listen"); });
}

async function check() {
  const item = current();
  if (!item) return;
  const button = $("submit");
  button.disabled = true;
  showInfo($("check-status"), "Checking…");
  try {
    const attempt = await api("/v1/attempts", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ item_id: item.id, text: $("answer").value }),
    });
    showInfo($("check-status"), "");
    showResult(attempt);
    state.checked = true;
  } catch (e) {
    showError($("check-status"), `Could not check: ${e.message}.`);
  } finally {
    button.disabled = false;
  }
}

// The learner-facing score (`percentage_spoken`) is the headline; the
// contract's exact-text score is shown beside it only when it differs.
function showResult(attempt) {
  const score = attempt.percentage_spoken ?? attempt.percentage;
  const pairs = attempt.alignment || [];
  const reference = pairs.filter((p) => p.reference !== null);
  const right = reference.filter((p) => p.op === "equal").length;
  $("score").textContent = `${score} %`;
  $("words-right").textContent = `${right} of ${reference.length} words right`;
  $("exact-score").textContent = score === attempt.percentage ? "" : `· exact text: ${attempt.percentage} %`;
  const diff = $("diff");
  diff.replaceChildren();
  for (const pair of pairs) diff.append(pairElement(pair));
  $("result").hidden = false;
}

function pairElement(pair) {
  const span = document.createElement("span");
  span.className = `op-${pair.op}`;
  if (pair.op === "substitute") {
    const del = document.createElement("del");
    const ins = document.createElement("ins");
    if (pair.letters && similar(pair.letters)) {
      for (const run of pair.letters) {
        if (run.reference !== null) del.append(letterRun(run.op, run.reference, { delete: "missing", substitute: "wrong" }));
        if (run.attempt !== null) ins.append(letterRun(run.op, run.attempt, { insert: "extra", substitute: "wrong" }));
      }
    } else {
      del.textContent = pair.reference;
      ins.textContent = pair.attempt;
    }
    span.append(del, " → ", ins);
    span.title = `wrong: you wrote “${pair.attempt}”`;
  } else if (pair.op === "equal" && pair.spoken) {
    span.classList.add("spoken");
    span.textContent = pair.reference;
    span.title = `correct: “${pair.attempt}” is how it is said`;
  } else {
    span.textContent = pair.op === "insert" ? pair.attempt : pair.reference;
    span.title = { equal: "correct", delete: "missed", insert: "extra" }[pair.op];
  }
  return span;
}

// Letter marks help only when the words share most of their letters.
function similar(letters) {
  const length = (s) => [...(s || "")].length;
  const same = letters.filter((r) => r.op === "equal").reduce((n, r) => n + length(r.reference), 0);
  const all = letters.reduce((n, r) => n + Math.max(length(r.reference), length(r.attempt)), 0);
  return same * 2 >= all;
}

function letterRun(op, text, marks) {
  if (!marks[op]) return document.createTextNode(text);
  const mark = document.createElement("mark");
  mark.className = marks[op];
  mark.title = marks[op];
  mark.textContent = text;
  return mark;
}

function next() {
  if (!state.items.length) return;
  state.index = (state.index + 1) % state.items.length;
  showItem();
}

// ---------------------------------------------------------------- progress

async function showProgress() {
  const status = $("progress-status");
  showInfo(status, "Loading progress…");
  const list = $("missed");
  let progress, words;
  try {
    [progress, words] = await Promise.all([
      api("/v1/stats/progress?days=30&spoken=true"),
      api("/v1/stats/words?limit=15"),
    ]);
  } catch (e) {
    state.progress = null;
    $("chart-box").hidden = true;
    $("chart-empty").hidden = true;
    list.replaceChildren();
    showError(status, `Could not load progress: ${e.message}.`);
    return;
  }
  showInfo(status, "");
  state.progress = progress.progress;
  drawChart(state.progress);
  list.replaceChildren();
  for (const w of words.words) {
    const li = document.createElement("li");
    li.textContent = `${w.word} — missed ${w.missed} of ${w.seen}`;
    list.append(li);
  }
  if (!words.words.length) {
    const li = document.createElement("li");
    li.textContent = "Nothing missed yet.";
    list.append(li);
  }
}

// The last 30 local days, oldest first, as YYYY-MM-DD.
function lastDays(count) {
  const days = [];
  const today = new Date();
  for (let back = count - 1; back >= 0; back--) {
    const d = new Date(today.getFullYear(), today.getMonth(), today.getDate() - back);
    const pad = (n) => String(n).padStart(2, "0");
    days.push(`${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`);
  }
  return days;
}

const shortDate = (iso) => `${Number(iso.slice(8, 10))}.${Number(iso.slice(5, 7))}.`;

function svg(name, attributes, text) {
  const element = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== undefined) element.textContent = text;
  return element;
}

// Daily attempts (bars, left axis) and the daily learner-facing score
// (dots joined by a line, right axis, 0–100 %) over all 30 days, so one
// day of data is one narrow bar with its value written beside its dot.
// Drawn in CSS pixels at the box's width: text stays 12 px at any size.
function drawChart(days) {
  const box = $("chart");
  box.replaceChildren();
  $("chart-empty").hidden = days.length > 0;
  $("chart-box").hidden = days.length === 0;
  box.dataset.days = String(days.length);
  if (!days.length) return;
  const width = Math.max(box.clientWidth, 280);
  const height = width < 500 ? 220 : 260;
  const pad = { left: 40, right: 46, top: 28, bottom: 40 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const slots = lastDays(30);
  const byDate = new Map(days.map((d) => [d.date, d]));
  const maxAttempts = Math.max(...days.map((d) => d.attempts), 1);
  const top = maxAttempts <= 4 ? maxAttempts : Math.ceil(maxAttempts / 4) * 4;
  const step = w / slots.length;
  const x = (i) => pad.left + i * step + step / 2;
  const yCount = (n) => pad.top + h - (n / top) * h;
  const yScore = (p) => pad.top + h - (p / 100) * h;
  const score = (d) => d.avg_percentage_spoken ?? d.avg_percentage;
  const chart = svg("svg", {
    width, height, viewBox: `0 0 ${width} ${height}`, role: "img",
    "aria-label": `Attempts and average score per day over the last 30 days; ${days.length} day(s) with attempts`,
  });
  // Grid and axes.
  const ticks = [...new Set([0, top / 2, top].map((n) => Math.round(n)))];
  for (const n of ticks) {
    chart.append(svg("line", { x1: pad.left, x2: pad.left + w, y1: yCount(n), y2: yCount(n), class: "grid" }));
    chart.append(svg("text", { x: pad.left - 6, y: yCount(n) + 4, "text-anchor": "end", class: "axis" }, n));
  }
  for (const p of [0, 50, 100]) {
    chart.append(svg("text", { x: pad.left + w + 6, y: yScore(p) + 4, "text-anchor": "start", class: "axis" }, `${p} %`));
  }
  chart.append(svg("text", { x: 2, y: 14, "text-anchor": "start", class: "axis-title" }, "attempts"));
  chart.append(svg("text", { x: width - 2, y: 14, "text-anchor": "end", class: "axis-title" }, "score"));
  // Date labels: the first day, the middle and today, clear of each other.
  for (const i of [0, 15, 29]) {
    const anchor = i === 0 ? "start" : i === 29 ? "end" : "middle";
    const label = i === 29 ? `today ${shortDate(slots[i])}` : shortDate(slots[i]);
    const at = i === 0 ? pad.left : i === 29 ? pad.left + w : x(i);
    chart.append(svg("text", { x: at, y: height - 20, "text-anchor": anchor, class: "axis" }, label));
  }
  chart.append(svg("text", { x: pad.left + w / 2, y: height - 4, "text-anchor": "middle", class: "axis-title" }, "day"));
  // Bars.
  slots.forEach((date, i) => {
    const d = byDate.get(date);
    if (!d) return;
    const y = yCount(d.attempts);
    const bar = svg("rect", { x: x(i) - step * 0.35, y, width: step * 0.7, height: pad.top + h - y, class: "bar" });
    bar.append(svg("title", {}, `${date}: ${d.attempts} attempt(s), average ${score(d)} %`));
    chart.append(bar);
  });
  // Score line and dots.
  const points = slots.map((date, i) => [i, byDate.get(date)]).filter(([, d]) => d);
  if (points.length > 1) {
    const path = points.map(([i, d], k) => `${k ? "L" : "M"}${x(i)},${yScore(score(d))}`).join(" ");
    chart.append(svg("path", { d: path, class: "line" }));
  }
  for (const [i, d] of points) {
    chart.append(svg("circle", { cx: x(i), cy: yScore(score(d)), r: 4, class: "dot" }));
  }
  // The newest day's score, written next to its dot, inside the plot.
  const [lastIndex, last] = points[points.length - 1];
  const labelY = Math.max(yScore(score(last)) - 8, pad.top - 6);
  const anchor = x(lastIndex) > pad.left + w / 2 ? "end" : "start";
  chart.append(svg("text", { x: x(lastIndex) + (anchor === "end" ? -6 : 6), y: labelY, "text-anchor": anchor, class: "value" }, `${Math.round(score(last))} %`));
  box.append(chart);
}

// ---------------------------------------------------------------- wiring

function showTab(name) {
  $("practice-view").hidden = name !== "practice";
  $("progress-view").hidden = name !== "progress";
  $("tab-practice").classList.toggle("active", name === "practice");
  $("tab-progress").classList.toggle("active", name === "progress");
  if (name === "progress") showProgress();
}

function saveKey(event) {
  event.preventDefault();
  localStorage.setItem("lw-api-key", $("api-key").value.trim());
  $("settings").open = false;
  setBanner(null);
  if ($("progress-view").hidden) loadItems();
  else showProgress();
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = localStorage.getItem("lw-api-key") || "";
  $("key-form").addEventListener("submit", saveKey);
  $("filters").addEventListener("submit", loadItems);
  $("play").addEventListener("click", play);
  $("retry-audio").addEventListener("click", retryAudio);
  $("new-voice").addEventListener("click", newVoice);
  $("translate").addEventListener("click", translate);
  $("submit").addEventListener("click", check);
  $("next").addEventListener("click", next);
  $("tab-practice").addEventListener("click", () => showTab("practice"));
  $("tab-progress").addEventListener("click", () => showTab("progress"));
  $("audio").addEventListener("loadedmetadata", (e) => {
    $("audio-duration").textContent = `${e.target.duration.toFixed(1)} s`;
  });
  $("answer").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) {
      e.preventDefault();
      state.checked ? next() : check();
    }
  });
  document.addEventListener("keydown", (e) => {
    if (e.key === " " && e.ctrlKey) {
      e.preventDefault();
      play();
    }
  });
  let resize;
  window.addEventListener("resize", () => {
    clearTimeout(resize);
    resize = setTimeout(() => state.progress && drawChart(state.progress), 100);
  });
  loadItems();
  loadMetadata();
});
