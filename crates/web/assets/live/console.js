// The live console (中控台): push and take down product cards, list and
// delist, pin a topic, hide comments, mute viewers; live figures.
import { connect, el, list, yuan } from "./room.js";

const root = document.getElementById("console");
const room = root.dataset.room;
const $ = (id) => document.getElementById(id);
const t = JSON.parse($("console-text").textContent);

const live = connect(room, "console", {
  render(s, f) {
    if (f) moderation(f);
    $("online").textContent = s.online;
    $("likes").textContent = s.likes;
    $("comment-count").textContent = s.comments.length;
    $("current-card").textContent = s.card ? s.card.title : t.none;
    $("current-topic").textContent = s.topic || t.none;
    list($("lineup"), s.products, (p) =>
      el("tr", { "data-product": p.product, class: s.card && s.card.product === p.product ? "pushed" : "" },
        el("td", { text: p.title }),
        el("td", { class: "num", text: yuan(p.live_price) }),
        el("td", { class: "num", text: String(p.stock) }),
        el("td", {}, el("button", { type: "button", class: "push", text: t.push, onclick: () => live.send({ type: "push_card", product: p.product }) })),
        el("td", {}, el("button", { type: "button", class: "list", text: p.listed ? t.delist : t.list,
          onclick: () => live.send({ type: p.listed ? "delist" : "list", product: p.product }) }))));
    list($("comments"), s.comments.slice(-100), (c) =>
      el("li", { "data-id": c.id },
        el("b", { text: c.name + "：" }), el("span", { class: "text", text: c.text }), " ",
        el("button", { type: "button", class: "hide", text: t.hide, onclick: () => live.send({ type: "hide_comment", comment: c.id }) }),
        el("button", { type: "button", class: "mute", text: t.mute, onclick: () => live.send({ type: "mute", viewer: c.viewer, minutes: 10 }) })));
    renderInteractions(s);
  },
  error(f) { $("notice").textContent = f.message; $("notice").hidden = false; },
  status(s) { root.dataset.connection = s; },
});

$("unpush").addEventListener("click", () => live.send({ type: "unpush_card" }));
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
}

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
