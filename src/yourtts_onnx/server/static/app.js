// The web page: speaks text through POST /v1/audio/speech and manages voices through /v1/voices.
// No dependencies, no network beyond this server.
"use strict";

const $ = (id) => document.getElementById(id);
const KEY_STORAGE = "yourtts-onnx-api-key";
const state = { details: null, audioUrl: null, apiKey: localStorage.getItem(KEY_STORAGE) || "" };

function headers(extra = {}) {
  const h = { ...extra };
  if (state.apiKey) h["Authorization"] = "Bearer " + state.apiKey;
  return h;
}

class ApiError extends Error {
  constructor(status, message) { super(message); this.status = status; }
}

async function api(path, options = {}) {
  const response = await fetch(path, { ...options, headers: headers(options.headers || {}) });
  if (!response.ok) {
    let message = response.status + " " + response.statusText;
    try {
      const body = await response.json();
      if (body && body.error) message = typeof body.error === "string" ? body.error : body.error.message;
    } catch (_) { /* not JSON */ }
    throw new ApiError(response.status, message);
  }
  return response;
}

function showError(error) {
  const box = $("error");
  if (!error) { box.hidden = true; box.textContent = ""; return; }
  box.textContent = error.message || String(error);
  box.hidden = false;
  if (error.status === 401) $("auth").hidden = false;
}

function option(value, label) {
  const o = document.createElement("option");
  o.value = value;
  o.textContent = label;
  return o;
}

async function loadDetails() {
  const details = await (await api("/details")).json();
  state.details = details;
  const language = $("language");
  language.replaceChildren(...details.languages.map((l) => option(l, l)));
  if (details.default_language) language.value = details.default_language;
  const format = $("format");
  format.replaceChildren(...details.formats.filter((f) => f !== "pcm").map((f) => option(f, f)));
  format.value = "wav";
  $("char-limit").textContent = details.limits.max_text_chars;
  $("text").maxLength = details.limits.max_text_chars;
  $("clone-panel").hidden = !details.can_clone;
  $("auth").hidden = !details.auth_required || Boolean(state.apiKey);
}

async function loadVoices(selected) {
  const voices = (await (await api("/v1/voices")).json()).data;
  const select = $("voice");
  const builtin = document.createElement("optgroup");
  builtin.label = "Built-in speakers";
  const saved = document.createElement("optgroup");
  saved.label = "Saved voices";
  for (const v of voices) {
    if (v.alias_of) continue; // OpenAI's voice names (alloy, ...): the same speakers under other names
    const label = v.builtin || v.name === v.id ? v.id : `${v.name} (${v.id})`;
    const o = option(v.id, v.damaged ? `${label} (damaged: delete it)` : label);
    o.dataset.builtin = v.builtin ? "1" : "";
    (v.builtin ? builtin : saved).appendChild(o);
  }
  select.replaceChildren(...[builtin, saved].filter((g) => g.children.length));
  if (selected) select.value = selected;
  updateDeleteButton();
}

function updateDeleteButton() {
  const o = $("voice").selectedOptions[0];
  $("delete-voice").disabled = !o || Boolean(o.dataset.builtin);
}

async function speak(event) {
  event.preventDefault();
  showError(null);
  const text = $("text").value;
  if (!text.trim()) { showError(new Error("Type some text first.")); return; }
  const format = $("format").value || "wav";
  const button = $("synthesize");
  button.disabled = true;
  $("status").textContent = "Synthesizing…";
  const started = performance.now();
  try {
    const response = await api("/v1/audio/speech", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        model: "yourtts",
        input: text,
        voice: $("voice").value || null,
        language: $("language").value || null,
        speed: Number($("speed").value),
        response_format: format,
      }),
    });
    const blob = await response.blob();
    if (state.audioUrl) URL.revokeObjectURL(state.audioUrl);
    state.audioUrl = URL.createObjectURL(blob);
    const player = $("player");
    player.src = state.audioUrl;
    const link = $("download");
    link.href = state.audioUrl;
    link.download = "speech." + (format === "opus" ? "ogg" : format);
    $("result").hidden = false;
    const seconds = response.headers.get("X-Audio-Duration");
    $("status").textContent = `Done in ${((performance.now() - started) / 1000).toFixed(2)} s` +
      (seconds ? `, ${Number(seconds).toFixed(2)} s of audio` : "");
    player.play().catch(() => { /* autoplay may be blocked; the controls are there */ });
  } catch (error) {
    $("status").textContent = "";
    showError(error);
  } finally {
    button.disabled = false;
  }
}

async function cloneVoice(event) {
  event.preventDefault();
  showError(null);
  const files = $("clone-files").files;
  const name = $("clone-name").value.trim();
  if (!name || !files.length) { showError(new Error("Give a name and at least one recording.")); return; }
  const body = new FormData();
  body.append("name", name);
  for (const f of files) body.append("files", f, f.name);
  const button = $("clone");
  button.disabled = true;
  $("clone-status").textContent = "Cloning…";
  try {
    const voice = await (await api("/v1/voices", { method: "POST", body })).json();
    await loadVoices(voice.id);
    $("clone-status").textContent = `Saved as "${voice.id}".`;
    $("clone-form").reset();
  } catch (error) {
    $("clone-status").textContent = "";
    showError(error);
  } finally {
    button.disabled = false;
  }
}

async function deleteVoice() {
  const id = $("voice").value;
  if (!id || !confirm(`Delete the saved voice "${id}"?`)) return;
  showError(null);
  try {
    await api("/v1/voices/" + encodeURIComponent(id), { method: "DELETE" });
    await loadVoices();
  } catch (error) {
    showError(error);
  }
}

async function start() {
  showError(null);
  try {
    await loadDetails();
    await loadVoices();
  } catch (error) {
    showError(error);
  }
}

$("speak-form").addEventListener("submit", speak);
$("clone-form").addEventListener("submit", cloneVoice);
$("delete-voice").addEventListener("click", deleteVoice);
$("voice").addEventListener("change", updateDeleteButton);
$("speed").addEventListener("input", () => { $("speed-value").textContent = Number($("speed").value).toFixed(2); });
$("text").addEventListener("input", () => { $("char-count").textContent = $("text").value.length; });
$("api-key").value = state.apiKey;
$("save-key").addEventListener("click", () => {
  state.apiKey = $("api-key").value.trim();
  localStorage.setItem(KEY_STORAGE, state.apiKey);
  start();
});
start();
