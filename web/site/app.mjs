// The page: loads the model with a progress bar, speaks with streaming playback, clones voices from the
// microphone or a file and keeps them in IndexedDB. Every failure becomes a visible message.

import { decodeAudio } from './audio_input.mjs';
import { wavBytes } from './lib/wav.mjs';
import { StreamPlayer } from './player.mjs';
import { MicRecorder } from './recorder.mjs';
import { VoiceStore } from './voice_store.mjs';
import { YourTTS } from './yourtts.mjs';

const $ = (id) => document.getElementById(id);
const api = new YourTTS();
const player = new StreamPlayer();
const recorder = new MicRecorder();
let store = null;
let downloadUrl = null;
let speaking = false;
const SAVED = 'saved:';
const BUILTIN = 'builtin:';

window.yourtts = api;
window.yourttsPage = { player, store: () => store, highlighted: [] };

function showError(message) {
  $('error').textContent = message;
  $('error').hidden = !message;
}

function showWarning(message) {
  $('warning').textContent = message ?? '';
  $('warning').hidden = !message;
}

function setStatus(message) {
  $('status').textContent = message;
}

function formatBytes(n) {
  return n >= 1048576 ? `${(n / 1048576).toFixed(1)} MB` : `${Math.round(n / 1024)} kB`;
}

// -- loading ------------------------------------------------------------------------------------------

async function loadModel() {
  $('retry').hidden = true;
  $('loading').hidden = false;
  showError('');
  const started = performance.now();
  try {
    const params = new URLSearchParams(location.search);
    const info = await api.load(params.get('model') ?? undefined, {
      provider: params.get('ep') ?? 'auto',
      threads: params.has('threads') ? Number(params.get('threads')) : undefined,
      reload: true,
      onProgress: ({ loaded, total, file, cached }) => {
        $('progress').max = Math.max(total, loaded, 1);
        $('progress').value = loaded;
        $('progress-label').textContent = `${cached ? 'From the cache' : 'Downloading'}: ${file} (${formatBytes(loaded)} of ${formatBytes(total)})`;
      },
    });
    $('progress').value = $('progress').max;
    $('progress-label').textContent = `Model ready in ${((performance.now() - started) / 1000).toFixed(1)} s (${info.filesFromCache} of ${info.files} files from the cache)`;
    $('backend').textContent = `Inference: ${info.label}${info.notes.length ? ` — ${info.notes.join('; ')}` : ''}`;
    fillLanguages(info);
    await fillVoices();
    const inf = api.config.inference;
    $('noise-scale').value = inf.noise_scale;
    $('noise-scale-dp').value = inf.noise_scale_dp;
    $('length-scale').value = inf.length_scale;
    $('speak').disabled = false;
    $('record').disabled = !info.canClone;
    $('clone-file').disabled = !info.canClone;
    if (!info.canClone) $('clone-status').textContent = 'This model has no speaker encoder: it cannot clone voices.';
    document.body.dataset.ready = 'true';
  } catch (err) {
    showError(`The model could not be loaded: ${err.message}`);
    $('progress-label').textContent = 'Loading failed.';
    $('retry').hidden = false;
    document.body.dataset.ready = 'failed';
  }
}

function fillLanguages(info) {
  const select = $('language');
  select.replaceChildren(...info.languages.map((name) => new Option(name, name)));
  select.value = api.language(undefined).name;
}

async function fillVoices(selected) {
  const select = $('voice');
  const builtin = document.createElement('optgroup');
  builtin.label = 'Built-in';
  builtin.append(...api.info.speakers.map((name) => new Option(name, BUILTIN + name)));
  const saved = document.createElement('optgroup');
  saved.label = 'Saved in this browser';
  try {
    store ??= await new VoiceStore().open();
    for (const voice of await store.list()) saved.append(new Option(voice.name, SAVED + voice.name));
  } catch (err) {
    showWarning(`Saved voices are unavailable: ${err.message}`);
  }
  select.replaceChildren(builtin, saved);
  if (selected) select.value = selected;
  updateDeleteButton();
}

function updateDeleteButton() {
  $('delete-voice').disabled = !$('voice').value.startsWith(SAVED);
}

// -- the word being spoken ----------------------------------------------------------------------------

// The text shown with one <span class="word"> per word known so far (words arrive with each sentence's
// first chunk); while the audio plays, the word under the audio clock gets the class "speaking".
const karaoke = { text: [], words: [], spans: [], frame: null, current: -1 };

function showWords(text) {
  karaoke.text = Array.from(text); // word offsets count code points
  karaoke.words = [];
  karaoke.current = -1;
  window.yourttsPage.highlighted = [];
  renderWords();
  $('spoken').hidden = false;
}

function renderWords() {
  const nodes = [];
  karaoke.spans = [];
  let at = 0;
  for (const [i, w] of karaoke.words.entries()) {
    if (w.start_char > at) nodes.push(document.createTextNode(karaoke.text.slice(at, w.start_char).join('')));
    const span = document.createElement('span');
    span.className = i === karaoke.current ? 'word speaking' : 'word';
    span.textContent = karaoke.text.slice(w.start_char, w.end_char).join('');
    nodes.push(span);
    karaoke.spans.push(span);
    at = w.end_char;
  }
  nodes.push(document.createTextNode(karaoke.text.slice(at).join('')));
  $('spoken').replaceChildren(...nodes);
}

function addWords(words) {
  if (!words?.length) return;
  karaoke.words.push(...words);
  renderWords();
}

function highlight() {
  const t = player.position;
  let index = -1;
  if (t !== null) index = karaoke.words.findIndex((w) => w.start_time <= t && t < w.end_time);
  if (index !== karaoke.current) {
    karaoke.spans[karaoke.current]?.classList.remove('speaking');
    karaoke.spans[index]?.classList.add('speaking');
    karaoke.current = index;
    if (index >= 0) window.yourttsPage.highlighted.push(index);
  }
  karaoke.frame = speaking || player.remaining > 0 ? requestAnimationFrame(highlight) : null;
}

function startHighlighting() {
  if (karaoke.frame === null) karaoke.frame = requestAnimationFrame(highlight);
}

// -- speaking -----------------------------------------------------------------------------------------

function number(id, label) {
  const value = $(id).value.trim();
  if (value === '') return undefined;
  const x = Number(value);
  if (!Number.isFinite(x)) throw new Error(`${label} must be a number`);
  return x;
}

async function voiceOptions() {
  const value = $('voice').value;
  if (value.startsWith(SAVED)) {
    const name = value.slice(SAVED.length);
    const voice = await store.get(name);
    if (!voice) throw new Error(`the saved voice '${name}' is gone`);
    if (voice.dim !== api.config.speaker_embedding.dim) throw new Error(`the saved voice '${name}' was made for another model`);
    return { embedding: voice.embedding };
  }
  return value ? { voice: value.slice(BUILTIN.length) } : {};
}

async function speak(event) {
  event?.preventDefault();
  if (speaking) return;
  showError('');
  showWarning('');
  const text = $('text').value;
  let request;
  try {
    const plan = api.plan(text, $('language').value); // empty text, unknown characters: reported at once
    if (plan.warning) showWarning(plan.warning);
    request = {
      text,
      language: $('language').value,
      ...(await voiceOptions()),
      noiseScale: number('noise-scale', 'Noise'),
      lengthScale: number('length-scale', 'Length scale'),
      noiseScaleDp: number('noise-scale-dp', 'Duration noise'),
    };
  } catch (err) {
    showError(err.message);
    return;
  }
  speaking = true;
  $('speak').disabled = true;
  $('stop').disabled = false;
  $('download').setAttribute('aria-disabled', 'true');
  setStatus('Speaking…');
  player.start();
  showWords(text);
  startHighlighting();
  const started = performance.now();
  let firstAudio = null;
  try {
    const result = await api.synthesize(request, {
      stream: true,
      onChunk: (chunk) => {
        if (firstAudio === null && chunk.kind === 'audio') firstAudio = performance.now() - started;
        addWords(chunk.words);
        player.push(chunk.samples, api.info.sampleRate);
      },
    });
    const seconds = result.samples.length / result.sampleRate;
    const took = (performance.now() - started) / 1000;
    if (downloadUrl) URL.revokeObjectURL(downloadUrl);
    downloadUrl = URL.createObjectURL(new Blob([wavBytes(result.samples, result.sampleRate)], { type: 'audio/wav' }));
    $('download').href = downloadUrl;
    $('download').setAttribute('aria-disabled', 'false');
    window.yourttsPage.last = { samples: result.samples, sampleRate: result.sampleRate, words: result.words, firstAudioMs: firstAudio, totalMs: took * 1000, cancelled: result.cancelled };
    setStatus(result.cancelled
      ? `Stopped after ${seconds.toFixed(1)} s of audio.`
      : `Done: ${seconds.toFixed(1)} s of audio in ${took.toFixed(2)} s (first audio after ${((firstAudio ?? 0) / 1000).toFixed(2)} s; real-time factor ${(took / Math.max(seconds, 1e-9)).toFixed(2)}).`);
  } catch (err) {
    player.stop();
    showError(err.message);
    setStatus('');
  } finally {
    speaking = false;
    $('speak').disabled = false;
    $('stop').disabled = true;
  }
}

function stop() {
  api.stop();
  player.stop();
  $('stop').disabled = true;
}

// -- cloning ------------------------------------------------------------------------------------------

function cloneStatus(message) {
  $('clone-status').textContent = message;
}

async function cloneFrom(blobOrFile, label, source) {
  showError('');
  const name = $('clone-name').value.trim();
  if (!name) {
    showError('Give the voice a name first.');
    return;
  }
  cloneStatus(`Computing the voice from ${label}…`);
  try {
    const { samples, sampleRate } = await decodeAudio(blobOrFile, label);
    const embedding = await api.embed(samples, sampleRate, label, {
      onProgress: ({ loaded, total, cached }) => {
        cloneStatus(`${cached ? 'Loading' : 'Downloading'} the speaker encoder (once): ${formatBytes(loaded)} of ${formatBytes(total)}…`);
      },
    });
    store ??= await new VoiceStore().open();
    await store.save(name, embedding, source);
    await fillVoices(SAVED + name);
    cloneStatus(`Saved the voice '${name}' (${(samples.length / sampleRate).toFixed(1)} s of audio); it is selected.`);
  } catch (err) {
    cloneStatus('');
    showError(`Could not clone the voice: ${err.message}`);
  }
}

async function toggleRecording() {
  const button = $('record');
  if (!recorder.recording) {
    showError('');
    try {
      await recorder.start();
    } catch (err) {
      showError(err.message);
      return;
    }
    button.textContent = 'Stop recording';
    button.classList.add('recording');
    cloneStatus('Recording… speak for 5–10 seconds, then press "Stop recording".');
    return;
  }
  button.textContent = 'Record';
  button.classList.remove('recording');
  const { blob, seconds } = await recorder.stop();
  await cloneFrom(blob, `the recording (${seconds.toFixed(1)} s)`, 'microphone');
}

async function deleteVoice() {
  const value = $('voice').value;
  if (!value.startsWith(SAVED)) return;
  const name = value.slice(SAVED.length);
  if (!confirm(`Delete the saved voice '${name}'?`)) return;
  try {
    await store.delete(name);
    await fillVoices();
    cloneStatus(`Deleted '${name}'.`);
  } catch (err) {
    showError(`Could not delete the voice: ${err.message}`);
  }
}

// -- wiring -------------------------------------------------------------------------------------------

$('speak-form').addEventListener('submit', speak);
$('stop').addEventListener('click', stop);
$('retry').addEventListener('click', loadModel);
$('voice').addEventListener('change', updateDeleteButton);
$('record').addEventListener('click', toggleRecording);
$('delete-voice').addEventListener('click', deleteVoice);
$('clone-file').addEventListener('change', async (event) => {
  const file = event.target.files?.[0];
  event.target.value = '';
  if (file) await cloneFrom(file, `'${file.name}'`, 'file');
});
window.addEventListener('unhandledrejection', (event) => showError(`Unexpected error: ${event.reason?.message ?? event.reason}`));

loadModel();
