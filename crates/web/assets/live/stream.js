// The show's video (crates/media): on the viewer page, an mpegts.js player
// of /live/shows/{room}/stream.flv (native HLS where there is no MSE, as on
// iOS Safari) that starts when the room says the
// stream is live and comes back by itself after a drop, with the notice
// "主播暂时离开，马上回来" while the stream is down; on the console, the
// RTMP address and stream key (copy buttons, OBS advice) and the stream's
// health, live. Text goes in with textContent only.
import { el } from "./room.js";

const $ = (id) => document.getElementById(id);

// ---- viewer page

let player = null;
let viewerState = "off";
let retryTimer = null;

function stopPlayer() {
  if (retryTimer) { clearTimeout(retryTimer); retryTimer = null; }
  const video = $("stage-video");
  if (video && video.src && !player) { video.removeAttribute("src"); video.load(); }
  if (player) {
    try { player.pause(); player.unload(); player.detachMediaElement(); player.destroy(); } catch { /* already gone */ }
    player = null;
  }
}

function startPlayer(room) {
  const video = $("stage-video");
  const mpegts = window.mpegts;
  stopPlayer();
  if (!video) return;
  // Without MSE (iOS Safari) HTTP-FLV cannot play: the native player takes
  // the same stream as HLS.
  if (!mpegts || !mpegts.getFeatureList().mseLivePlayback) {
    if (video.canPlayType("application/vnd.apple.mpegurl")) {
      video.src = `/live/shows/${room}/hls/index.m3u8`;
      video.hidden = false;
      const playing = video.play();
      if (playing && playing.catch) playing.catch(() => {});
    }
    return;
  }
  player = mpegts.createPlayer(
    { type: "flv", isLive: true, url: `/live/shows/${room}/stream.flv` },
    { enableStashBuffer: false, liveBufferLatencyChasing: true, lazyLoad: false },
  );
  player.attachMediaElement(video);
  player.on(mpegts.Events.ERROR, () => {
    // the stream ended or is not up yet: try again while the room says live
    stopPlayer();
    if (viewerState === "live") retryTimer = setTimeout(() => startPlayer(room), 3000);
  });
  player.load();
  video.hidden = false;
  const playing = video.play();
  if (playing && playing.catch) playing.catch(() => { /* autoplay with sound refused: the viewer taps */ });
}

/** The viewer page's hook: call with every frame. */
export function streamViewer(f, room) {
  if (!f || f.type !== "stream_state") return;
  const before = viewerState;
  viewerState = f.state;
  const note = document.querySelector(".stage-note");
  const video = $("stage-video");
  if (note) {
    note.hidden = f.state === "live";
    if (f.state === "down") note.textContent = "主播暂时离开，马上回来 / the host will be right back";
    else if (f.state === "off") note.textContent = "直播尚未开始 / the stream has not started";
    note.dataset.stream = f.state;
  }
  if (f.state === "live" && (before !== "live" || !player)) startPlayer(room);
  if (f.state !== "live") {
    stopPlayer();
    if (video) video.hidden = true;
  }
}

// ---- console

const STATES = { live: "直播中 / live", down: "推流中断，等待恢复 / dropped, waiting", off: "未推流 / not streaming" };

function copyButton(getText) {
  return el("button", {
    type: "button",
    text: "复制 / copy",
    onclick: async (e) => {
      try { await navigator.clipboard.writeText(getText()); e.target.textContent = "已复制 / copied"; }
      catch { e.target.textContent = "请手动复制 / copy by hand"; }
    },
  });
}

function csrfToken() {
  const raw = document.body.getAttribute("hx-headers");
  try { return raw ? JSON.parse(raw)["X-CSRF-Token"] : ""; } catch { return ""; }
}

async function postJson(path) {
  const r = await fetch(path, { method: "POST", headers: { "X-CSRF-Token": csrfToken() }, credentials: "same-origin" });
  if (!r.ok) throw new Error(`${r.status}`);
  return r.json();
}

function field(label, id) {
  return el("div", {}, el("dt", { text: label }), el("dd", { id, text: "—" }));
}

/** Builds the stream panel into #stream-panel and loads the key status. */
export async function initStreamPanel(room) {
  const panel = $("stream-panel");
  if (!panel) return;
  const server = el("code", { id: "stream-server", text: "—" });
  const key = el("code", { id: "stream-key", text: "" });
  const keyNote = el("small", { id: "stream-key-note", text: "" });
  const message = el("p", { id: "stream-message", role: "status" });
  const make = el("button", { type: "button", id: "stream-key-new", text: "生成新推流码 / new stream key" });
  const revoke = el("button", { type: "button", id: "stream-key-revoke", text: "作废推流码 / revoke key" });
  panel.replaceChildren(
    el("h2", { text: "推流 / stream" }),
    el("p", {}, el("b", { id: "stream-state", text: STATES.off })),
    el("p", {}, "服务器 / server: ", server, " ", copyButton(() => server.textContent)),
    el("p", {}, "推流码 / stream key: ", key, " ", copyButton(() => key.textContent), " ", keyNote),
    el("p", {}, make, " ", revoke),
    message,
    el("dl", { class: "figures", id: "stream-health", style: "flex-wrap:wrap" },
      field("码率 / bitrate", "stream-bitrate"), field("帧率 / fps", "stream-fps"),
      field("分辨率 / resolution", "stream-resolution"), field("关键帧间隔 / keyframes", "stream-keyframes"),
      field("音频 / audio", "stream-audio"), field("时长 / uptime", "stream-uptime"),
      field("推流地址 / publisher", "stream-publisher")),
    el("ul", { id: "stream-warnings", class: "alert" }),
    el("details", {}, el("summary", { text: "OBS 设置建议 / OBS settings" }),
      el("ul", {},
        el("li", { text: "服务：自定义；服务器和推流码填上面两项 / Service: Custom; paste the server and key above" }),
        el("li", { text: "编码器 x264，CPU 预设 veryfast / Encoder x264, CPU preset veryfast" }),
        el("li", { text: "码率 2500–4000 kbps（CBR） / Bitrate 2500–4000 kbps (CBR)" }),
        el("li", { text: "关键帧间隔 2 秒 / Keyframe interval 2 s" }),
        el("li", { text: "音频 AAC 128 kbps / Audio AAC 128 kbps" }))),
  );
  make.onclick = async () => {
    try {
      const made = await postJson(`/live/shows/${room}/stream-key`);
      key.textContent = made.key;
      keyNote.textContent = "只显示这一次，请妥善保存 / shown only once: keep it safe";
    } catch (e) { message.textContent = `生成失败 / could not make a key (${e.message})`; }
  };
  revoke.onclick = async () => {
    try {
      await postJson(`/live/shows/${room}/stream-key/revoke`);
      key.textContent = "";
      keyNote.textContent = "已作废 / revoked";
    } catch (e) { message.textContent = `作废失败 / could not revoke (${e.message})`; }
  };
  try {
    const r = await fetch(`/live/shows/${room}/stream`, { credentials: "same-origin" });
    const s = await r.json();
    server.textContent = s.rtmp_port ? `rtmp://${location.hostname}:${s.rtmp_port}/${s.app}` : "推流服务未开启 / RTMP ingest is off";
    if (!key.textContent) {
      keyNote.textContent = s.has_key
        ? "已有推流码（出于安全不再显示），需要时生成新的 / a key exists (not shown again): make a new one if needed"
        : "还没有推流码 / no key yet";
    }
    streamConsole({ type: "stream", state: s.state, event: null, health: s.health });
  } catch { /* the frames still come over the socket */ }
}

function duration(secs) {
  const h = Math.floor(secs / 3600), m = Math.floor((secs % 3600) / 60), s = secs % 60;
  return `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
}

/** The console's hook for `stream` and `stream_state` frames. */
export function streamConsole(f) {
  if (!f || f.type !== "stream") return;
  const state = $("stream-state");
  if (!state) return;
  state.textContent = STATES[f.state] || f.state;
  state.dataset.state = f.state;
  if (f.event === "dropped") {
    const notice = $("notice");
    if (notice) { notice.textContent = "推流中断！等待主播重连 / the stream dropped: waiting for the publisher"; notice.hidden = false; }
  }
  const h = f.health;
  if (!h) return;
  const set = (id, text) => { const e = $(id); if (e) e.textContent = text; };
  set("stream-bitrate", `${h.bitrate_kbps} kbps`);
  set("stream-fps", `${h.fps}`);
  set("stream-resolution", h.width ? `${h.width}×${h.height}` : "—");
  set("stream-keyframes", h.keyframe_interval_ms ? `${(h.keyframe_interval_ms / 1000).toFixed(1)} s` : "—");
  set("stream-audio", h.audio ? `有 / yes (${h.audio_codec || "?"})` : "无 / none");
  set("stream-uptime", duration(h.uptime_secs || 0));
  set("stream-publisher", h.publisher || "—");
  const warnings = $("stream-warnings");
  if (warnings) warnings.replaceChildren(...(h.warnings || []).map((w) => el("li", { "data-code": w.code, text: w.message })));
}
