// The live console (中控台): push and take down product cards, list and
// delist, pin a topic, hide comments, mute viewers; live figures.
import { connect, el, list, yuan } from "./room.js";

const root = document.getElementById("console");
const room = root.dataset.room;
const $ = (id) => document.getElementById(id);
const t = JSON.parse($("console-text").textContent);

const live = connect(room, "console", {
  render(s) {
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
