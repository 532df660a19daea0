// The live console (中控台): push and take down product cards, list and
// delist, pin a topic, hide comments, mute viewers; live figures.
import { connect, el, list, yuan } from "./room.js";
import { automation } from "./automation.js";
import { flashConsole } from "./flash_sale.js";
import { highlightMarked, highlightTools } from "./highlight.js";
import { initStreamPanel, streamConsole } from "./stream.js";
import { initRemindersConsole, remindersConsole } from "./reminders.js";
import { applySuggestion, commentTools, orderTools, renderPresentation, wirePresentation } from "./presentation.js";

const root = document.getElementById("console");
const room = root.dataset.room;
const $ = (id) => document.getElementById(id);
const t = JSON.parse($("console-text").textContent);

let lastLineup = "";
initStreamPanel(room);
initRemindersConsole(room, (m) => live.send(m));
const live = connect(room, "console", {
  render(s, f) {
    // The figures come every second: they redraw their strip alone.
    if (f && f.type === "figures") { figures(f); return; }
    if (f && (f.type === "stream" || f.type === "stream_state")) { streamConsole(f); return; }
    if (f && f.type === "highlight") { highlightMarked(f); return; }
    if (f) moderation(f);
    if (f && f.type === "run_sheet") runSheet(f);
    if (f && f.type === "automation") automation(f, live.send);
    flashConsole(f, live.send, s.products);
    remindersConsole(f);
    if (f && f.type === "suggestion") suggestion(f.suggestion);
    $("online").textContent = s.online;
    $("likes").textContent = s.likes;
    if (!hasFigures) $("comment-count").textContent = s.comments.length;
    $("current-card").textContent = s.card ? s.card.title : t.none;
    $("current-topic").textContent = s.topic || t.none;
    // Rebuilt only when the lineup changed, so a price or stock being typed
    // survives the figures' frames.
    const lineupKey = JSON.stringify([s.products, s.card && s.card.product]);
    if (lineupKey !== lastLineup) {
      lastLineup = lineupKey;
      list($("lineup"), s.products, (p, i) =>
      el("tr", { "data-product": p.product, class: s.card && s.card.product === p.product ? "pushed" : "" },
        el("td", { text: p.title }),
        el("td", { class: "num", text: yuan(p.live_price) }),
        el("td", { class: "num", text: String(p.stock) }),
        el("td", {}, lineupTools(p)),
        el("td", {}, el("button", { type: "button", class: "push", text: t.push, onclick: () => live.send({ type: "push_card", product: p.product }) })),
        el("td", {}, el("button", { type: "button", class: "list", text: p.listed ? t.delist : t.list,
          onclick: () => live.send({ type: p.listed ? "delist" : "list", product: p.product }) })),
        el("td", {}, orderTools(p, i, s.products.length, live.send, t))));
    }
    list($("comments"), s.comments.slice(-100), (c) =>
      el("li", { "data-id": c.id },
        el("b", { text: c.name + "：" }), el("span", { class: "text", text: c.text }), " ",
        el("button", { type: "button", class: "hide", text: t.hide, onclick: () => live.send({ type: "hide_comment", comment: c.id }) }),
        ...commentTools(c, s.pinned_comment && s.pinned_comment.id === c.id, live.send, t)));
    renderInteractions(s);
    renderPresentation(s, t);
  },
  error(f) { $("notice").textContent = f.message; $("notice").hidden = false; },
  status(s) { root.dataset.connection = s; },
});

$("unpush").addEventListener("click", () => live.send({ type: "unpush_card" }));
highlightTools(live.send);

// Lineup tools: a new live price (yuan, sent as fen) and a manual stock
// change (+/- units with a note), both answered by the room's frames.
function lineupTools(p) {
  const price = el("input", { class: "live-price", inputmode: "decimal", size: "6", placeholder: yuan(p.live_price), "aria-label": "直播价 / live price" });
  const delta = el("input", { class: "stock-delta", type: "number", step: "1", size: "4", placeholder: "±", "aria-label": "库存变动 / stock change" });
  const setPrice = () => {
    const m = /^(\d+)(?:\.(\d{1,2}))?$/.exec(price.value.trim());
    if (!m) { $("notice").textContent = "直播价格式不对 / live price: use yuan such as 79.90"; $("notice").hidden = false; return; }
    live.send({ type: "set_live_price", product: p.product, price_fen: Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0")) });
  };
  const adjust = () => {
    const n = Number(delta.value);
    if (!Number.isInteger(n) || n === 0) { $("notice").textContent = "库存变动须为非零整数 / stock change: a whole number, not 0"; $("notice").hidden = false; return; }
    const note = window.prompt("调整原因 / reason for the change", "直播间调整") || "";
    live.send({ type: "adjust_stock", product: p.product, delta: n, note });
  };
  return el("span", { class: "lineup-tools" },
    price, el("button", { type: "button", class: "set-price", text: "改价 / price", onclick: setPrice }), " ",
    delta, el("button", { type: "button", class: "adjust-stock", text: "改库存 / stock", onclick: adjust }));
}

// The reorder suggestion (I1.1.3): the room says when it changes; null
// takes the banner down. Text only, never HTML.
function suggestion(s) {
  const banner = $("suggestion");
  banner.hidden = !s;
  if (s) $("suggestion-text").textContent = `${s.reason_zh} / ${s.reason_en}`;
  $("suggestion-apply").onclick = s ? () => applySuggestion(s, live.state.products, live.send) : null;
}
wirePresentation(live.send);
$("topic-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const text = $("topic-text").value.trim();
  live.send(text ? { type: "pin_topic", text } : { type: "unpin_topic" });
});

// Interaction tools: the running lottery (a preview of what viewers see),
// the last draw, and red packets with shares left.
function renderInteractions(s) {
  const l = s.lottery;
  $("lottery-now").textContent = l
    ? `进行中 / open：${l.prize} · ${l.entrants} 人参与 / entrants`
    : s.drawn ? `已开奖 / drawn：${s.drawn.prize} → ${s.drawn.winners.join("、") || "—"}` : t.none;
  list($("red-packets-now"), s.red_packets, (p) => el("li", { text: `${yuan(p.total_fen)} · ${p.left}/${p.count}` }));
  const p = s.poll;
  $("poll-now").textContent = p
    ? `${p.closed ? "已结束 / closed" : "进行中 / open"}：${p.question} · ` +
      p.options.map((o, i) => `${o} ${p.votes[i] || 0}`).join(" / ") + ` · 共 ${p.total} 票 / votes`
    : t.none;
}

$("poll-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const options = $("poll-options").value.split("\n").map((o) => o.trim()).filter((o) => o);
  live.send({ type: "open_poll", question: $("poll-question").value.trim(), options });
});
$("poll-close").addEventListener("click", () => live.send({ type: "close_poll" }));

// The run sheet timer (console-only `run_sheet` frames): the segment on
// now, its time left counted down here from the frame's `now` (the room's
// clock), and 超时 once it passes its planned length.
const sheet = { frame: null, offset: 0 };
const clock = (ms) => new Date(ms).toLocaleTimeString("zh-CN", { hour: "2-digit", minute: "2-digit" });
function runSheet(f) {
  sheet.frame = f;
  sheet.offset = f.now - Date.now();
  const current = f.current ? f.current.index : -1;
  list($("segments"), f.segments, (g) =>
    el("tr", { "data-index": String(g.index), class: g.index === current ? "pushed" : g.done ? "done" : "" },
      el("td", { text: g.title }),
      el("td", { text: g.planned_start_ms == null ? "—" : `${clock(g.planned_start_ms)}–${clock(g.planned_end_ms)}` }),
      el("td", { class: "num", text: String(g.minutes) }),
      el("td", {}, el("button", { type: "button", class: "start", text: "开始 / start",
        onclick: () => live.send({ type: "start_segment", index: g.index }) }))));
  tickRunSheet();
}
function tickRunSheet() {
  const f = sheet.frame;
  const c = f && f.current;
  $("segment-end").disabled = !c;
  if (!c) { $("segment-now").textContent = t.none; $("segment-left").textContent = ""; $("segment-overrun").hidden = true; return; }
  $("segment-now").textContent = `当前 / now：${f.segments[c.index].title}`;
  const left = Math.round((c.ends_at_ms - (Date.now() + sheet.offset)) / 1000);
  const mmss = (secs) => `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`;
  $("segment-left").textContent = left >= 0 ? `剩余 / left ${mmss(left)}` : `超出 / over ${mmss(-left)}`;
  $("segment-overrun").hidden = left >= 0 && !c.overrun;
}
$("segment-end").addEventListener("click", () => live.send({ type: "end_segment" }));
setInterval(tickRunSheet, 1000);

$("lottery-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const join = $("lottery-join").value;
  const msg = { type: "open_lottery", prize: $("lottery-prize").value.trim(), winners: Number($("lottery-winners").value),
    join, duration_secs: Number($("lottery-duration").value) };
  if (join === "comment") msg.keyword = $("lottery-keyword").value.trim();
  live.send(msg);
});
$("lottery-draw").addEventListener("click", () => live.send({ type: "draw_lottery" }));
$("red-packet-form").addEventListener("submit", (e) => {
  e.preventDefault();
  // Yuan typed with at most two decimals, turned into fen without floats.
  const m = $("red-packet-total").value.trim().match(/^(\d{1,7})(?:\.(\d{1,2}))?$/);
  if (!m) { $("notice").textContent = "总额格式不对 / total: use yuan such as 88.88"; $("notice").hidden = false; return; }
  const total_fen = Number(m[1]) * 100 + Number((m[2] || "").padEnd(2, "0"));
  live.send({ type: "send_red_packet", total_fen, count: Number($("red-packet-count").value) });
});

// Comment moderation (docs/protocol.md, console-only frames): comments held
// by the sensitive-word filter, to approve or reject, and the question
// queue with how long each has waited on the room's clock and its quick
// answers (from the product's facts).
const mod = { held: new Map(), questions: new Map(), offset: 0 };
function moderation(f) {
  switch (f.type) {
    case "moderation":
      mod.offset = f.now - Date.now();
      mod.held = new Map(f.held.map((h) => [h.id, h]));
      mod.questions = new Map(f.questions.map((q) => [q.comment, q]));
      $("moderation-mode").textContent = f.mode === "hold" ? "先审后发 / hold for review" : "直接拦截 / block";
      $("moderation-words").textContent = String(f.words);
      break;
    case "comment_held": mod.held.set(f.id, f); break;
    case "held_resolved": mod.held.delete(f.id); break;
    case "question_asked": mod.questions.set(f.comment, f); break;
    case "question_answered": mod.questions.delete(f.comment); break;
    default: return;
  }
  renderModeration();
}

function waited(askedAt) {
  const secs = Math.max(0, Math.floor((Date.now() + mod.offset - askedAt) / 1000));
  return secs < 60 ? `${secs}秒 / s` : `${Math.floor(secs / 60)}分${secs % 60}秒 / ${Math.floor(secs / 60)} min ${secs % 60} s`;
}

function renderModeration() {
  list($("held"), [...mod.held.values()], (h) =>
    el("li", { "data-id": h.id },
      el("b", { text: h.name + "：" }), el("span", { class: "text", text: h.text }), " ",
      el("small", { text: "[" + h.words.join("、") + "] " }),
      el("button", { type: "button", class: "approve", text: "通过 / approve", onclick: () => live.send({ type: "approve_comment", comment: h.id }) }),
      el("button", { type: "button", class: "reject", text: "驳回 / reject", onclick: () => live.send({ type: "reject_comment", comment: h.id }) })));
  list($("questions"), [...mod.questions.values()], (q) => {
    const reply = el("input", { class: "reply", maxlength: "200", placeholder: "回复 / reply" });
    return el("li", { "data-comment": q.comment },
      el("b", { text: q.name + "：" }), el("span", { class: "text", text: q.text }), " ",
      el("small", { class: "waited", "data-asked": String(q.asked_at), text: waited(q.asked_at) }),
      el("ul", { class: "suggestions" }, ...q.suggestions.map((s) =>
        el("li", {}, el("button", { type: "button", class: "use", text: "用 / use", onclick: () => { reply.value = s.text; } }), " ", el("span", { text: s.text })))),
      reply,
      el("button", { type: "button", class: "answer", text: "已回答 / answered", onclick: () => {
        const text = reply.value.trim();
        live.send(text ? { type: "answer_question", comment: q.comment, reply: text } : { type: "answer_question", comment: q.comment });
      } }));
  });
  $("question-count").textContent = String(mod.questions.size);
}

// The waits tick once a second without re-rendering the list (a reply
// being typed is kept).
setInterval(() => {
  document.querySelectorAll("#questions .waited").forEach((n) => { n.textContent = waited(Number(n.dataset.asked)); });
}, 1000);

// Live figures (console-only `figures` frame, docs/protocol.md): the strip
// and a sparkline per trend series, drawn as SVG DOM (no chart library).
let hasFigures = false;
const SVG = "http://www.w3.org/2000/svg";
function figures(f) {
  hasFigures = true;
  const n = (id, v) => { $(id).textContent = String(v); };
  n("online", f.online); n("fig-peak", f.peak); n("fig-entries", f.entries); n("fig-viewers", f.viewers);
  n("likes", f.likes); n("comment-count", f.comments); n("fig-followers", f.new_followers);
  n("fig-clicks", f.product_clicks); n("fig-orders", f.orders);
  const secs = f.avg_watch_secs;
  n("fig-watch", `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`);
  $("fig-gmv").textContent = yuan(f.gmv_fen);
  $("fig-conversion").textContent = `${Math.floor(f.conversion_permille / 10)}.${f.conversion_permille % 10}%`;
  // Simulated viewers' orders (模拟订单): shown apart, only once there are some.
  $("fig-simulated").hidden = !f.simulated_orders;
  n("fig-sim-orders", f.simulated_orders);
  $("fig-sim-gmv").textContent = yuan(f.simulated_gmv_fen);
  document.querySelectorAll("#figures svg.spark").forEach((svg) => spark(svg, f.trend[svg.dataset.series] || []));
}
function spark(svg, values) {
  const w = Number(svg.getAttribute("width")), h = Number(svg.getAttribute("height"));
  const max = Math.max(1, ...values);
  const step = values.length > 1 ? w / (values.length - 1) : 0;
  const points = values.map((v, i) => `${(i * step).toFixed(1)},${(h - 1 - (v / max) * (h - 2)).toFixed(1)}`).join(" ");
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("points", points);
  line.setAttribute("fill", "none");
  line.setAttribute("stroke", "currentColor");
  line.setAttribute("stroke-width", "1.5");
  const title = document.createElementNS(SVG, "title");
  title.textContent = `最高 / max ${Math.max(0, ...values)}`;
  svg.replaceChildren(title, line);
}
