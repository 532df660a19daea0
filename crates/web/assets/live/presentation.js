// The console's presentation tools (docs/protocol.md, "Presentation"):
// moving a lineup product up, down or to a position (手动排序), applying the
// reorder suggestion, pinning a comment (置顶评论), muting for a chosen time
// and banning from the comment list, the welcome template (欢迎语), and the
// preview (预览) of what viewers see right now, drawn only from the frames
// the console already receives. All user text goes in with textContent.
import { el, list, yuan } from "./room.js";

const $ = (id) => document.getElementById(id);

// ↑, ↓ and "move to n" for the product at index `i` of `n` (positions are
// shown from 1, sent from 0).
export function orderTools(p, i, n, send, t) {
  const move = (position) => send({ type: "reorder_lineup", product: p.product, position });
  const button = (cls, text, title, enabled, onclick) => {
    const b = el("button", { type: "button", class: cls, text, title, "aria-label": title, onclick });
    b.disabled = !enabled;
    return b;
  };
  const to = el("input", { class: "move-to", type: "number", min: "1", max: String(n), step: "1", size: "3", "aria-label": t.move_to, placeholder: String(i + 1) });
  return el("span", { class: "order-tools" },
    button("move-up", "↑", t.move_up, i > 0, () => move(i - 1)),
    button("move-down", "↓", t.move_down, i < n - 1, () => move(i + 1)), " ",
    to, button("move", t.move, t.move_to, true, () => {
      const k = Number(to.value);
      if (Number.isInteger(k) && k >= 1 && k <= n) move(k - 1);
    }));
}

// The "apply / 采纳" button of the reorder suggestion: the suggested product
// takes the place of the one planned next.
export function applySuggestion(s, products, send) {
  const at = products.findIndex((p) => p.product === s.instead_of);
  if (at >= 0) send({ type: "reorder_lineup", product: s.product, position: at });
}

// Pin, mute (for the time chosen above the list, kept while the list is
// redrawn) and ban (after a confirm) for one comment.
export function commentTools(c, pinned, send, t) {
  return [
    el("button", { type: "button", class: "pin", text: pinned ? `✓ ${t.pin_comment}` : t.pin_comment,
      onclick: () => send({ type: "pin_comment", comment: c.id }) }), " ",
    el("button", { type: "button", class: "mute", text: t.mute_for,
      onclick: () => send({ type: "mute", viewer: c.viewer, minutes: Number($("mute-minutes").value) }) }), " ",
    el("button", { type: "button", class: "ban", text: t.ban, onclick: () => {
      if (window.confirm(`${t.ban_confirm}\n${c.name}`)) send({ type: "ban", viewer: c.viewer });
    } }),
  ];
}

// The welcome template form and the pinned comment's line and unpin button.
export function wirePresentation(send) {
  $("welcome-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const template = $("welcome-template").value.trim();
    if (template) send({ type: "set_welcome", template });
  });
  $("unpin-comment").addEventListener("click", () => send({ type: "unpin_comment" }));
}

export function renderPresentation(s, t) {
  $("current-welcome").textContent = s.welcome_template || "";
  const p = s.pinned_comment;
  $("pinned-now").textContent = p ? `${p.name}：${p.text}` : t.none;
  $("unpin-comment").disabled = !p;
  renderPreview(s, t);
}

// The phone: what a viewer's page shows now, in its order.
function renderPreview(s, t) {
  const phone = $("preview");
  if (!phone) return;
  const parts = [el("div", { class: "pv-head" }, el("b", { text: s.title || "" }), el("span", { text: ` ${t.online} ${s.online}` }))];
  const stage = el("div", { class: "pv-stage" });
  if (s.topic) stage.append(el("p", { class: "pv-topic", text: s.topic }));
  parts.push(stage);
  if (s.card) {
    parts.push(el("div", { class: "pv-card" },
      el("span", { class: "pv-badge", text: t.presenting }), " ",
      el("b", { class: "pv-card-title", text: s.card.title }), " ",
      el("span", { class: "pv-price", text: yuan(s.card.live_price) }), " ",
      s.card.list_price > 0 ? el("s", { text: yuan(s.card.list_price) }) : "", " ",
      el("small", { text: `${t.stock} ${s.card.stock}` })));
  }
  if (s.lottery) {
    const how = s.lottery.join === "comment" ? `「${s.lottery.keyword}」` : "♥";
    parts.push(el("p", { class: "pv-lottery", text: `${t.lottery} ${s.lottery.prize} · ${how} · ${s.lottery.entrants}` }));
  }
  for (const p of s.red_packets) parts.push(el("p", { class: "pv-lottery", text: `${t.red_packet} ${yuan(p.total_fen)} · ${p.left}/${p.count}` }));
  if (s.poll) {
    parts.push(el("p", { class: "pv-lottery", text: `${t.poll} ${s.poll.question} · ` + s.poll.options.map((o, i) => `${o} ${s.poll.votes[i] || 0}`).join(" / ") }));
  }
  if (s.pinned_comment) {
    parts.push(el("p", { class: "pv-pinned" }, el("span", { class: "pv-badge", text: t.pinned }), " ",
      el("b", { text: s.pinned_comment.name + "：" }), el("span", { class: "pv-pinned-text", text: s.pinned_comment.text })));
  }
  if (s.welcome) parts.push(el("p", { class: "pv-welcome", text: s.welcome.text }));
  const comments = el("ul", { class: "pv-comments" });
  list(comments, s.comments.slice(-5), (c) => el("li", {}, el("b", { text: c.name + "：" }), el("span", { text: c.text })));
  parts.push(comments);
  const bag = el("ol", { class: "pv-bag" });
  list(bag, s.products.filter((p) => p.listed), (p) => el("li", { "data-product": String(p.product) },
    el("span", { text: p.title }), " ", el("span", { class: "pv-price", text: yuan(p.live_price) })));
  parts.push(el("details", { class: "pv-bag-box", open: "" }, el("summary", { text: t.bag }), bag));
  phone.replaceChildren(...parts);
}
