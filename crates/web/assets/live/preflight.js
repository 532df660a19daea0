// 开播前检查 (pre-flight check): the camera and microphone tested in the
// browser (getUserMedia, a live level meter, the camera's resolution and
// frame rate), an upload test against /api/v1/shows/{room}/preflight/upload
// timed here, and the test push polled from .../preflight/push. Each check
// turns its checklist row green. Text goes in with textContent only; every
// message comes from the page's catalogue texts.

const $ = (id) => document.getElementById(id);
const root = $("preflight");
const room = root ? root.dataset.room : null;
let T = {};
try { T = JSON.parse($("preflight-text").textContent); } catch { /* the rows keep their server text */ }

// ---- the checklist

const checks = {};

function mark(name, state, detail) {
  const row = $(`check-${name}`);
  if (!row) return;
  // a check that passed stays passed: a later silence does not undo it
  if (checks[name] === "ok" && state !== "ok") return;
  checks[name] = state;
  row.dataset.state = state;
  row.querySelector(".mark").textContent = state === "ok" ? "✓" : state === "fail" ? "✗" : "○";
  row.querySelector(".verdict").textContent =
    state === "ok" ? T.passed : state === "fail" ? T.not_passed : T.waiting;
  if (detail !== undefined) row.querySelector(".detail").textContent = detail;
  const all = ["camera", "mic", "bandwidth", "key", "push"].every((n) => checks[n] === "ok");
  $("all-passed").hidden = !all;
}

// ---- camera and microphone

let stream = null;
let audioContext = null;
let meterTimer = null;

function deviceError(e) {
  switch (e && e.name) {
    case "NotAllowedError":
    case "SecurityError":
      return T.denied;
    case "NotFoundError":
    case "OverconstrainedError":
      return T.no_device;
    case "NotReadableError":
    case "AbortError":
      return T.busy;
    default:
      return `${T.no_device} (${e && e.name ? e.name : e})`;
  }
}

function showError(message) {
  const box = $("devices-error");
  box.textContent = message;
  box.hidden = !message;
}

/** Asks for camera and microphone together; when that finds no device,
 * asks for each alone so the page can say which one is missing. */
async function openDevices() {
  try {
    return await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
  } catch (e) {
    if (e.name !== "NotFoundError" && e.name !== "OverconstrainedError") throw e;
  }
  const tryOne = (c) => navigator.mediaDevices.getUserMedia(c).catch((e) => {
    if (e.name === "NotFoundError" || e.name === "OverconstrainedError") return null;
    throw e;
  });
  const video = await tryOne({ video: true });
  const audio = await tryOne({ audio: true });
  if (!video) mark("camera", "fail", T.no_camera);
  if (!audio) mark("mic", "fail", T.no_mic);
  if (!video && !audio) {
    const none = new Error("no device");
    none.name = "NotFoundError";
    throw none;
  }
  return new MediaStream([...(video ? video.getTracks() : []), ...(audio ? audio.getTracks() : [])]);
}

function showCamera(track) {
  const video = $("camera-preview");
  video.srcObject = new MediaStream([track]);
  video.hidden = false;
  const playing = video.play();
  if (playing && playing.catch) playing.catch(() => {});
  $("camera-name").textContent = track.label || "—";
  const read = () => {
    const s = track.getSettings ? track.getSettings() : {};
    const w = s.width || video.videoWidth, h = s.height || video.videoHeight;
    if (w && h) {
      const fps = s.frameRate ? `${Math.round(s.frameRate * 10) / 10} fps` : "—";
      $("camera-resolution").textContent = `${w}×${h}`;
      $("camera-fps").textContent = fps;
      mark("camera", "ok", `${w}×${h} · ${fps}`);
      return true;
    }
    return false;
  };
  if (!read()) video.addEventListener("loadedmetadata", read, { once: true });
  track.addEventListener("ended", () => mark("camera", "fail", T.no_camera));
}

function showMicrophone(track) {
  $("mic-name").textContent = track.label || "";
  const Context = window.AudioContext || window.webkitAudioContext;
  if (!Context) return;
  audioContext = new Context();
  const source = audioContext.createMediaStreamSource(new MediaStream([track]));
  const analyser = audioContext.createAnalyser();
  analyser.fftSize = 1024;
  source.connect(analyser);
  const samples = new Float32Array(analyser.fftSize);
  const meter = $("mic-level");
  let peak = 0;
  // a timer, not animation frames: the meter keeps moving in a background tab
  meterTimer = setInterval(() => {
    analyser.getFloatTimeDomainData(samples);
    let sum = 0;
    for (const x of samples) sum += x * x;
    const rms = Math.sqrt(sum / samples.length);
    // about -60 dB .. 0 dB onto 0 .. 1, so quiet speech still shows
    const level = rms > 0 ? Math.max(0, Math.min(1, 1 + Math.log10(rms) / 3)) : 0;
    meter.value = level;
    meter.dataset.level = level.toFixed(2);
    peak = Math.max(peak, level);
    if (level > 0.2) mark("mic", "ok", `${Math.round(peak * 100)}%`);
  }, 100);
  if (audioContext.state === "suspended") audioContext.resume().catch(() => {});
}

function stopDevices() {
  if (meterTimer) { clearInterval(meterTimer); meterTimer = null; }
  if (audioContext) { audioContext.close().catch(() => {}); audioContext = null; }
  if (stream) { for (const t of stream.getTracks()) t.stop(); stream = null; }
  const video = $("camera-preview");
  video.srcObject = null;
  video.hidden = true;
  $("mic-level").value = 0;
  $("devices-start").hidden = false;
  $("devices-stop").hidden = true;
}

async function startDevices() {
  showError("");
  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    showError(T.insecure);
    mark("camera", "fail", T.insecure);
    mark("mic", "fail", T.insecure);
    return;
  }
  stopDevices();
  try {
    stream = await openDevices();
  } catch (e) {
    const message = deviceError(e);
    showError(message);
    mark("camera", "fail", message);
    mark("mic", "fail", message);
    return;
  }
  const [video] = stream.getVideoTracks();
  const [audio] = stream.getAudioTracks();
  if (video) showCamera(video);
  if (audio) showMicrophone(audio);
  $("devices-start").hidden = true;
  $("devices-stop").hidden = false;
  $("devices-stop").focus();
}

// ---- upload bandwidth

/** The page's rule, said on the page: 70% of the measured upload, at most
 * 6000 kbps, rounded down to 100 kbps. */
export function recommendedKbps(mbps) {
  return Math.min(6000, Math.floor((mbps * 1000 * 0.7) / 100) * 100);
}
const ENOUGH_KBPS = 1500;
const CHUNK = 512 * 1024;
const CHUNKS = 8;

function csrfToken() {
  const raw = document.body.getAttribute("hx-headers");
  try { return raw ? JSON.parse(raw)["X-CSRF-Token"] : ""; } catch { return ""; }
}

function randomChunk() {
  const bytes = new Uint8Array(CHUNK);
  // getRandomValues fills at most 64 KiB at a time; random bytes cannot be
  // compressed on the way
  for (let at = 0; at < bytes.length; at += 65536) crypto.getRandomValues(bytes.subarray(at, at + 65536));
  return bytes;
}

async function errorMessage(r) {
  try { const body = await r.json(); return body.error.message; } catch { return `HTTP ${r.status}`; }
}

async function testBandwidth() {
  const button = $("bandwidth-start");
  const progress = $("bandwidth-progress");
  const error = $("bandwidth-error");
  button.disabled = true;
  error.hidden = true;
  progress.hidden = false;
  progress.value = 0;
  const body = randomChunk();
  let bytes = 0, ms = 0;
  try {
    for (let i = 0; i < CHUNKS; i++) {
      const started = performance.now();
      const r = await fetch(`/api/v1/shows/${room}/preflight/upload`, {
        method: "POST",
        credentials: "same-origin",
        cache: "no-store",
        headers: { "Content-Type": "application/octet-stream", "X-CSRF-Token": csrfToken() },
        body,
      });
      const took = performance.now() - started;
      if (!r.ok) throw new Error(await errorMessage(r));
      const answer = await r.json();
      // the first chunk opens the connection and warms TCP up: not counted
      if (i > 0) { bytes += answer.received; ms += took; }
      progress.value = (i + 1) / CHUNKS;
    }
    const mbps = (bytes * 8) / (Math.max(ms, 1) / 1000) / 1e6;
    const kbps = recommendedKbps(mbps);
    $("bandwidth-mbps").textContent = `${mbps >= 100 ? Math.round(mbps) : mbps.toFixed(1)} Mbps`;
    $("bandwidth-kbps").textContent = `${kbps} kbps`;
    mark("bandwidth", kbps >= ENOUGH_KBPS ? "ok" : "fail", `${mbps.toFixed(1)} Mbps → ${kbps} kbps`);
  } catch (e) {
    error.textContent = `${T.failed}: ${e.message}`;
    error.hidden = false;
    mark("bandwidth", "fail", e.message);
  } finally {
    button.disabled = false;
    progress.hidden = true;
  }
}

// ---- the test push

function showPush(s) {
  $("push-server").textContent = s.rtmp_port ? `rtmp://${location.hostname}:${s.rtmp_port}/${s.app}` : T.ingest_off;
  mark("key", s.has_key ? "ok" : "fail");
  const h = s.health || (s.last_push && s.last_push.health);
  const state = $("push-state");
  state.textContent = s.health ? T.push_live : s.last_push ? T.push_ended : T.push_none;
  state.dataset.state = s.state;
  if (h) {
    const codec = `${h.video_codec || "—"}${h.audio_codec ? ` + ${h.audio_codec}` : ""}`;
    const size = h.width ? `${h.width}×${h.height}` : "—";
    $("push-codec").textContent = codec;
    $("push-resolution").textContent = size;
    $("push-bitrate").textContent = `${h.bitrate_kbps} kbps`;
    $("push-fps").textContent = `${h.fps}`;
    const warnings = $("push-warnings");
    warnings.replaceChildren(...(h.warnings || []).map((w) => {
      const li = document.createElement("li");
      li.dataset.code = w.code;
      li.textContent = w.message;
      return li;
    }));
    warnings.hidden = !(h.warnings || []).length;
    if (s.received) mark("push", "ok", `${codec} · ${size} · ${h.bitrate_kbps} kbps`);
  }
}

let pushTimer = null;
async function pollPush() {
  try {
    const r = await fetch(`/api/v1/shows/${room}/preflight/push`, { credentials: "same-origin", cache: "no-store" });
    if (r.ok) showPush(await r.json());
  } catch { /* the next poll tries again */ }
  pushTimer = setTimeout(pollPush, 2000);
}

if (root) {
  $("devices-start").addEventListener("click", startDevices);
  $("devices-stop").addEventListener("click", () => { stopDevices(); $("devices-start").focus(); });
  $("bandwidth-start").addEventListener("click", testBandwidth);
  window.addEventListener("pagehide", () => { stopDevices(); if (pushTimer) clearTimeout(pushTimer); });
  pollPush();
}
