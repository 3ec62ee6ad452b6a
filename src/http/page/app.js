// Practice page: hear → type → see what you missed. Plain JS, no CDN.
"use strict";

const $ = (id) => document.getElementById(id);
const state = { items: [], index: 0, checked: false, audioUrl: null };

// Sent as a bearer token: the server accepts it whatever API_KEY_HEADER names.
function apiHeaders(extra = {}) {
  const key = localStorage.getItem("lw-api-key") || "";
  return key ? { ...extra, Authorization: `Bearer ${key}` } : extra;
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: apiHeaders(options.headers || {}) });
  const body = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    const detail = body && typeof body.detail === "string" ? body.detail : `HTTP ${response.status}`;
    throw Object.assign(new Error(detail), { status: response.status });
  }
  return body;
}

// ---------------------------------------------------------------- practice

async function loadItems(event) {
  event?.preventDefault();
  const params = new URLSearchParams({ per_page: "100", sort: "created_at.asc" });
  const tag = $("filter-tag").value.trim();
  if (tag) params.append("tag", tag);
  if ($("filter-difficulty").value) params.set("difficulty", $("filter-difficulty").value);
  if ($("filter-new").checked) params.set("practiced", "false");
  try {
    const page = await api(`/v1/items?${params}`);
    state.items = page.items;
    state.index = 0;
    if (!state.items.length) {
      $("item-count").textContent = "No items match.";
      $("exercise").hidden = true;
      return;
    }
    showItem();
  } catch (e) {
    $("item-count").textContent = `Could not load items: ${e.message}`;
  }
}

function current() {
  return state.items[state.index];
}

function showItem() {
  const item = current();
  $("item-count").textContent = `Item ${state.index + 1} of ${state.items.length} · difficulty ${item.difficulty ?? "?"}`;
  $("exercise").hidden = false;
  $("result").hidden = true;
  $("answer").value = "";
  state.checked = false;
  loadAudio(item.id);
  $("answer").focus();
}

async function loadAudio(id, attempt = 0) {
  const audio = $("audio");
  $("audio-duration").textContent = "";
  $("audio-status").textContent = "loading audio…";
  try {
    const response = await fetch(`/v1/items/${id}/audio`, { headers: apiHeaders() });
    if (response.status === 400 && attempt < 60) {
      $("audio-status").textContent = "audio is being prepared…";
      setTimeout(() => current()?.id === id && loadAudio(id, attempt + 1), 1000);
      return;
    }
    if (!response.ok) {
      const body = await response.json().catch(() => ({}));
      $("audio-status").textContent = `no audio: ${body.detail || response.status}`;
      return;
    }
    const blob = await response.blob();
    if (state.audioUrl) URL.revokeObjectURL(state.audioUrl);
    state.audioUrl = URL.createObjectURL(blob);
    audio.src = state.audioUrl;
    $("audio-status").textContent = "";
  } catch (e) {
    $("audio-status").textContent = `no audio: ${e.message}`;
  }
}

function play() {
  const audio = $("audio");
  audio.playbackRate = $("slow").checked ? 0.75 : 1;
  audio.currentTime = 0;
  audio.play().catch(() => { $("audio-status").textContent = "press Play to listen"; });
}

async function check() {
  const item = current();
  if (!item) return;
  try {
    const attempt = await api("/v1/attempts", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ item_id: item.id, text: $("answer").value }),
    });
    showResult(attempt);
    state.checked = true;
  } catch (e) {
    $("score").textContent = `Could not check: ${e.message}`;
    $("result").hidden = false;
  }
}

function showResult(attempt) {
  $("score").textContent = `${attempt.percentage} %`;
  $("wer").textContent = `${attempt.words_correct}/${attempt.words_ref} words · WER ${attempt.wer.toFixed(2)}`;
  const diff = $("diff");
  diff.replaceChildren();
  for (const pair of attempt.alignment || []) {
    const span = document.createElement("span");
    span.className = `op-${pair.op}`;
    if (pair.op === "substitute") {
      const del = document.createElement("del");
      del.textContent = pair.reference;
      const ins = document.createElement("ins");
      ins.textContent = pair.attempt;
      span.append(del, " → ", ins);
      span.title = "wrong";
    } else {
      span.textContent = pair.op === "insert" ? pair.attempt : pair.reference;
      span.title = { equal: "correct", delete: "missed", insert: "extra" }[pair.op];
    }
    diff.append(span);
  }
  $("result").hidden = false;
}

function next() {
  if (!state.items.length) return;
  state.index = (state.index + 1) % state.items.length;
  showItem();
}

// ---------------------------------------------------------------- progress

async function showProgress() {
  const [progress, words] = await Promise.all([
    api("/v1/stats/progress?days=30").catch(() => ({ progress: [] })),
    api("/v1/stats/words?limit=15").catch(() => ({ words: [] })),
  ]);
  drawChart(progress.progress);
  const list = $("missed");
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

function drawChart(days) {
  const canvas = $("chart");
  const ctx = canvas.getContext("2d");
  const { width, height } = canvas;
  ctx.clearRect(0, 0, width, height);
  $("chart-empty").hidden = days.length > 0;
  canvas.dataset.days = String(days.length);
  if (!days.length) return;
  const pad = { left: 40, right: 40, top: 20, bottom: 40 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const maxAttempts = Math.max(...days.map((d) => d.attempts), 1);
  const step = w / days.length;
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = "#9db4e8";
  days.forEach((d, i) => {
    const barH = (d.attempts / maxAttempts) * h;
    ctx.fillRect(pad.left + i * step + step * 0.15, pad.top + h - barH, step * 0.7, barH);
  });
  ctx.strokeStyle = "#1d6b35";
  ctx.lineWidth = 2;
  ctx.beginPath();
  days.forEach((d, i) => {
    const x = pad.left + i * step + step / 2;
    const y = pad.top + h - (d.avg_percentage / 100) * h;
    i ? ctx.lineTo(x, y) : ctx.moveTo(x, y);
  });
  ctx.stroke();
  ctx.fillStyle = "#1d6b35";
  days.forEach((d, i) => {
    ctx.beginPath();
    ctx.arc(pad.left + i * step + step / 2, pad.top + h - (d.avg_percentage / 100) * h, 4, 0, 2 * Math.PI);
    ctx.fill();
  });
  ctx.fillStyle = "#1d2330";
  ctx.fillText(`${maxAttempts} attempts`, 2, pad.top + 4);
  ctx.fillText("100 %", width - pad.right + 4, pad.top + 4);
  ctx.fillText(days[0].date, pad.left, height - 12);
  if (days.length > 1) ctx.fillText(days[days.length - 1].date, width - pad.right - 70, height - 12);
}

// ---------------------------------------------------------------- wiring

function showTab(name) {
  $("practice-view").hidden = name !== "practice";
  $("progress-view").hidden = name !== "progress";
  $("tab-practice").classList.toggle("active", name === "practice");
  $("tab-progress").classList.toggle("active", name === "progress");
  if (name === "progress") showProgress();
}

document.addEventListener("DOMContentLoaded", () => {
  $("api-key").value = localStorage.getItem("lw-api-key") || "";
  $("api-key").addEventListener("change", (e) => localStorage.setItem("lw-api-key", e.target.value.trim()));
  $("filters").addEventListener("submit", loadItems);
  $("play").addEventListener("click", play);
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
  loadItems();
});
