// The replay page (直播回放) and the replay editor (回放剪辑), one module:
// #room's data-mode says which. Both play the recording
// (/live/shows/{id}/replay.flv) with mpegts.js as a file, not live: its
// onMetaData lists every keyframe's position, so seeking fetches from the
// keyframe with an HTTP Range request. The timeline
// (/api/v1/shows/{id}/replay) drives the rest as the video's time moves:
// on the replay page the product card shown at that moment of the show,
// bought through the viewer page's own product sheet and cart (cart.js
// listens for the same zhibo:sheet event); in the editor, the highlights
// and the clips trimmed around them. User text goes in with textContent.
import { el, list, yuan } from "./room.js";

const root = document.getElementById("room");
const room = root.dataset.room;
const mode = root.dataset.mode;
const $ = (id) => document.getElementById(id);
const en = () => document.documentElement.lang === "en";
const video = $("replay-video");
let timeline = { cards: [], highlights: [], duration_ms: 0 };
let player = null;
let shown = undefined;

export function mmss(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/// The card on screen at `ms` of the recording, if any.
export function cardAt(cards, ms) {
  return cards.find((c) => c.from_ms <= ms && ms < c.to_ms) || null;
}

// A seek asked for before the player has the recording's metadata.
let pendingSeek = null;

function seek(ms) {
  render(ms);
  if (video && video.readyState > 0) video.currentTime = ms / 1000;
  else pendingSeek = ms / 1000;
}

function render(ms) {
  $("replay-time").textContent = mmss(ms);
  if (mode !== "replay") return;
  const card = cardAt(timeline.cards, ms);
  const key = card ? `${card.product}@${card.from_ms}` : null;
  if (key === shown) return;
  shown = key;
  const box = $("replay-card");
  box.hidden = !card;
  box.dataset.product = card ? String(card.product) : "";
  if (!card) return;
  $("replay-card-title").textContent = card.title;
  $("replay-card-price").textContent = card.live_price_fen == null ? "" : yuan(card.live_price_fen);
  document.querySelectorAll("#replay-cards li").forEach((li) => li.classList.toggle("now", li.dataset.from === String(card.from_ms)));
}

function startPlayer() {
  const mpegts = window.mpegts;
  if (!video) return;
  if (!mpegts || !mpegts.getFeatureList().mseLivePlayback) {
    const note = $("replay-note");
    if (note) note.hidden = false;
    return;
  }
  player = mpegts.createPlayer(
    { type: "flv", isLive: false, url: `/live/shows/${room}/replay.flv` },
    { seekType: "range", lazyLoad: true, enableStashBuffer: true },
  );
  player.attachMediaElement(video);
  player.load();
  video.addEventListener("loadedmetadata", () => {
    if (pendingSeek != null) { video.currentTime = pendingSeek; pendingSeek = null; }
  });
  video.addEventListener("timeupdate", () => render(video.currentTime * 1000));
}

// ------------------------------------------------ the replay page: shoppable cards

// The product sheet, as on the viewer page (GET /api/v1/shows/{id}/sheet/{product}).
async function openSheet(product) {
  const res = await fetch(`/api/v1/shows/${room}/sheet/${product}`);
  if (!res.ok) return;
  const s = await res.json();
  $("sheet-title").textContent = s.title;
  list($("sheet-facts"), s.facts, (f) => el("li", { text: `${f.label}：${f.value}` }));
  list($("sheet-skus"), s.skus, (k) => el("li", { "data-sku": String(k.id) },
    el("span", { text: `${k.specs} · ` }), el("span", { class: "price", text: yuan(k.payable_fen) }),
    el("span", { text: ` · ${k.stock}` })));
  list($("sheet-explain"), en() ? s.quote.explanation_en : s.quote.explanation_zh, (line) => el("li", { text: line }));
  $("sheet-payable").textContent = yuan(s.quote.payable_fen);
  document.dispatchEvent(new CustomEvent("zhibo:sheet", { detail: s })); // cart.js: the buy box
  $("product-sheet").showModal();
}

function replayPage() {
  list($("replay-cards"), timeline.cards, (c) =>
    el("li", { "data-product": String(c.product), "data-from": String(c.from_ms) },
      el("button", { type: "button", class: "seek", text: `${mmss(c.from_ms)}–${mmss(c.to_ms)}`, onclick: () => seek(c.from_ms) }), " ",
      el("span", { text: c.title }), " ",
      el("span", { class: "price", text: c.live_price_fen == null ? "" : yuan(c.live_price_fen) }), " ",
      el("button", { type: "button", class: "buy", text: "购买 / Buy", onclick: () => openSheet(c.product) })));
  $("replay-highlights-box").hidden = timeline.highlights.length === 0;
  list($("replay-highlights"), timeline.highlights, (h) =>
    el("li", { "data-seq": String(h.seq) },
      el("button", { type: "button", class: "seek", text: mmss(h.at_ms), onclick: () => seek(h.at_ms) }), " ",
      el("span", { text: h.note || "" })));
  $("replay-buy").addEventListener("click", () => {
    const product = $("replay-card").dataset.product;
    if (product) openSheet(product);
  });
  const start = Number(root.dataset.start) || 0;
  if (start > 0) seek(start * 1000); else render(0);
}

// ------------------------------------------------ the editor: highlights and clips

async function api(method, path, body) {
  const res = await fetch(path, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { ok: res.ok, status: res.status, data: await res.json().catch(() => ({})) };
}

function problem(r) {
  const e = r.data.error || {};
  const fields = (e.fields || []).map((f) => `${f.field}: ${f.message}`);
  return fields.length ? fields.join("；") : e.message || String(r.status);
}

async function loadClips() {
  const r = await api("GET", `/api/v1/shows/${room}/clips`);
  if (!r.ok) return;
  list($("clips"), r.data, (c) => el("li", { "data-clip": String(c.id) },
    el("b", { text: c.title }), " ", el("span", { text: `${mmss(c.start_ms)}–${mmss(c.end_ms)}` }), " ",
    el("a", { href: c.flv, download: "", text: "FLV" }), " · ", el("a", { href: c.mp4, download: "", text: "MP4" })));
}

function editor() {
  const duration = timeline.duration_ms / 1000;
  $("replay-highlights-empty").hidden = timeline.highlights.length > 0;
  list($("replay-highlights"), timeline.highlights, (h) =>
    el("li", { "data-seq": String(h.seq) },
      el("button", { type: "button", class: "seek", text: mmss(h.at_ms), onclick: () => seek(h.at_ms) }), " ",
      el("span", { text: h.note || "" }), " ",
      el("button", { type: "button", class: "trim", text: "剪辑前后 15 秒 / clip ±15 s", onclick: () => {
        // tenths of a second, rounded down so the end never passes the recording's
        const tenths = (s) => (Math.floor(s * 10) / 10).toFixed(1);
        $("clip-start").value = tenths(Math.max(0, h.at_ms / 1000 - 15));
        $("clip-end").value = tenths(Math.min(duration, h.at_ms / 1000 + 15));
        $("clip-title").value = h.note || "";
        $("clip-highlight").value = String(h.seq);
      } })));
  $("clip-from-player").addEventListener("click", () => {
    const t = video ? video.currentTime.toFixed(1) : "0";
    if (!$("clip-start").value) $("clip-start").value = t; else $("clip-end").value = t;
  });
  $("clip-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    const body = { start_secs: Number($("clip-start").value), end_secs: Number($("clip-end").value) };
    if ($("clip-title").value.trim()) body.title = $("clip-title").value.trim();
    if ($("clip-highlight").value) body.highlight = Number($("clip-highlight").value);
    const r = await api("POST", `/api/v1/shows/${room}/clips`, body);
    $("clip-message").textContent = r.ok ? `已保存 / saved: ${r.data.title}` : problem(r);
    if (r.ok) { $("clip-highlight").value = ""; loadClips(); }
  });
  loadClips();
}

async function main() {
  const res = await fetch(`/api/v1/shows/${room}/replay`);
  if (!res.ok) return;
  timeline = await res.json();
  if ($("replay-duration") && mode === "replay") $("replay-duration").textContent = mmss(timeline.duration_ms);
  if (mode === "replay") replayPage(); else editor();
  root.dataset.ready = "true";
  startPlayer();
}

main();
