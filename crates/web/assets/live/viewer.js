// The viewer page (观众页): comments, likes, the product bag and the card
// being presented, over the room's WebSocket.
import { connect, el, list, yuan } from "./room.js";
import { flashViewer } from "./flash_sale.js";
import { streamViewer } from "./stream.js";
import { remindersViewer } from "./reminders.js";

const root = document.getElementById("room");
const room = root.dataset.room;
const $ = (id) => document.getElementById(id);
const t = JSON.parse($("room-text").textContent);

const live = connect(room, "viewer", {
  render(s, f) {
    // A console's answer to a viewer's question, shown pinned-style.
    if (f && f.type === "reply") {
      $("reply-question").textContent = `${f.name}：${f.question}`;
      $("reply-text").textContent = f.text;
      $("reply").hidden = false;
    }
    $("online").textContent = s.online;
    $("likes").textContent = s.likes;
    $("topic").textContent = s.topic || "";
    $("topic").hidden = !s.topic;
    const card = $("card");
    card.hidden = !s.card;
    if (s.card) {
      $("card-title").textContent = s.card.title;
      $("card-price").textContent = yuan(s.card.live_price);
      $("card-list-price").textContent = s.card.list_price > 0 ? yuan(s.card.list_price) : "";
      $("card-stock").textContent = `${t.stock} ${s.card.stock}`;
    }
    list($("bag"), s.products.filter((p) => p.listed), (p) =>
      el("li", { "data-product": p.product, onclick: () => { live.send({ type: "product_click", product: p.product }); openSheet(p.product); } },
        el("span", { class: "title", text: p.title }),
        el("span", { class: "price", text: yuan(p.live_price) }),
        p.list_price > 0 ? el("s", { text: yuan(p.list_price) }) : ""));
    list($("comments"), s.comments.slice(-50), (c) =>
      el("li", { "data-id": c.id }, el("b", { text: c.name + "：" }), el("span", { class: "text", text: c.text })));
    $("comments").scrollTop = $("comments").scrollHeight;
    renderInteractions(s);
    renderPresentation(s, f);
    flashViewer(f, live.send);
    remindersViewer(f);
    streamViewer(f, room);
  },
  likes(count) { for (let i = 0; i < Math.min(count, 5); i++) heart(); },
  error(f) { $("notice").textContent = f.message; $("notice").hidden = false; setTimeout(() => ($("notice").hidden = true), 3000); },
  status(s) { root.dataset.connection = s; },
});

$("comment-form").addEventListener("submit", (e) => {
  e.preventDefault();
  const input = $("comment-text");
  const text = input.value.trim();
  if (text) live.send({ type: "comment", text });
  input.value = "";
});
$("like").addEventListener("click", () => { live.send({ type: "like", count: 1 }); heart(); });
$("follow").addEventListener("click", () => live.send({ type: "follow" }));
$("card").addEventListener("click", () => { const c = live.state.card; if (c) openSheet(c.product); });

// 分享: the link goes to the clipboard when the browser allows it; the
// sheet always shows the link (to copy by hand) and its QR code.
const watchUrl = location.origin + location.pathname;
$("share").addEventListener("click", async () => {
  $("share-link").value = watchUrl;
  $("share-status").textContent = t.copy;
  $("share-sheet").showModal();
  live.send({ type: "share" });
  try {
    await navigator.clipboard.writeText(watchUrl);
    $("share-status").textContent = t.copied;
  } catch { $("share-link").select(); }
});

// The product sheet: facts, options and the pricing engine's breakdown
// for one unit of the cheapest option (GET /api/v1/shows/{id}/sheet/{product}).
async function openSheet(product) {
  const res = await fetch(`/api/v1/shows/${room}/sheet/${product}`);
  if (!res.ok) return;
  const s = await res.json();
  $("sheet-title").textContent = s.title;
  list($("sheet-facts"), s.facts, (f) => el("li", { text: `${f.label}：${f.value}` }));
  // each option at what one unit of it costs in this show (the live price
  // takes the same amount off every option), the shop's price struck through
  list($("sheet-skus"), s.skus, (k) => {
    const lower = k.payable_fen < k.price_fen;
    return el("li", { "data-sku": String(k.id) },
      el("span", { text: `${k.specs} · ` }),
      el("span", { class: "price", text: yuan(k.payable_fen) }),
      lower ? " " : "", lower ? el("s", { text: yuan(k.price_fen) }) : "",
      el("span", { text: ` · ${t.stock} ${k.stock}` }));
  });
  const lines = document.documentElement.lang === "en" ? s.quote.explanation_en : s.quote.explanation_zh;
  list($("sheet-explain"), lines, (line) => el("li", { text: line }));
  $("sheet-payable").textContent = yuan(s.quote.payable_fen);
  document.dispatchEvent(new CustomEvent("zhibo:sheet", { detail: s })); // cart.js: the buy box
  $("product-sheet").showModal();
}

// 领券: the shop's claimable coupons; claiming needs a signed-in buyer.
async function loadCoupons() {
  const res = await fetch(`/api/v1/shows/${room}/coupons`);
  if (!res.ok) return;
  const coupons = await res.json();
  $("coupon-box").hidden = coupons.length === 0;
  list($("coupons"), coupons, (c) => el("li", { class: "coupon", "data-coupon": String(c.id) },
    el("span", { class: "title", text: `${c.name} · ${document.documentElement.lang === "en" ? c.summary_en : c.summary_zh} · ${t.stock} ${c.left}` }), " ",
    root.dataset.signedIn === "true"
      ? el("button", { type: "button", text: t.claim, onclick: (e) => claim(c.id, e.target) })
      : el("a", { href: `/login?next=${encodeURIComponent(location.pathname)}`, text: t.sign_in })));
}
async function claim(id, button) {
  const res = await fetch(`/api/v1/coupons/${id}/claims`, { method: "POST", headers: { "X-CSRF-Token": root.dataset.csrf } });
  const body = await res.json().catch(() => ({}));
  if (res.ok) { button.textContent = t.claimed; button.disabled = true; loadCoupons(); }
  else { $("notice").textContent = body.message || String(res.status); $("notice").hidden = false; }
}
loadCoupons();

// The running lottery with how to join, the last draw's winners, and a
// grab button per red packet with shares left.
function renderInteractions(s) {
  const l = s.lottery;
  $("lottery").hidden = !l;
  if (l) {
    $("lottery-prize").textContent = l.prize;
    $("lottery-hint").textContent = l.join === "comment"
      ? `评论「${l.keyword}」参与 / comment "${l.keyword}" to join`
      : "关注主播参与 / follow to join";
    const secs = Math.max(0, Math.round((l.ends_at_ms - Date.now()) / 1000));
    $("lottery-left").textContent = `${l.entrants} 人参与 · ${secs} s`;
  }
  $("lottery-drawn").hidden = !s.drawn;
  if (s.drawn) {
    $("lottery-drawn").textContent = s.drawn.winners.length
      ? `${s.drawn.prize} 中奖 / winners：${s.drawn.winners.join("、")}`
      : `${s.drawn.prize}：无人参与 / no entrants`;
  }
  list($("red-packets"), s.red_packets, (p) =>
    el("li", { "data-id": p.id },
      el("span", { text: `红包 ${yuan(p.total_fen)} · 剩 ${p.left}/${p.count}` }), " ",
      p.id in s.grabbed
        ? el("b", { text: `抢到 ${yuan(s.grabbed[p.id])}` })
        : el("button", { type: "button", class: "grab", text: "抢 / grab", onclick: () => live.send({ type: "grab_red_packet", id: p.id }) })));
  renderPoll(s);
}

// The open (or just closed) poll: one button per option with its tally;
// after voting (or once closed) the buttons give way to the counts.
function renderPoll(s) {
  const p = s.poll;
  $("poll").hidden = !p;
  if (!p) return;
  $("poll-question").textContent = p.closed ? `${p.question}（已结束 / closed）` : p.question;
  const done = p.closed || p.id in s.voted;
  list($("poll-options"), p.options, (o, i) =>
    el("li", { "data-option": String(i) },
      done
        ? el("span", { text: `${s.voted[p.id] === i ? "✓ " : ""}${o}` })
        : el("button", { type: "button", class: "vote", text: o, onclick: () => {
          s.voted[p.id] = i;
          live.send({ type: "vote", poll: p.id, option: i });
          renderPoll(s);
        } }),
      " ", el("small", { text: `${p.votes[i] || 0} 票` })));
}

function heart() {
  const h = el("span", { class: "heart", text: "❤" });
  h.style.left = 60 + Math.random() * 30 + "%";
  $("hearts").append(h);
  h.addEventListener("animationend", () => h.remove());
}

// The pinned comment (置顶评论) above the stream, and the welcome line for
// viewers who just entered (it fades after a few seconds). Text only.
let welcomeTimer = 0;
function renderPresentation(s, f) {
  const p = s.pinned_comment;
  $("pinned-comment").hidden = !p;
  $("pinned-name").textContent = p ? p.name + "：" : "";
  $("pinned-text").textContent = p ? p.text : "";
  if (f && f.type === "welcome") {
    $("welcome").textContent = f.text;
    $("welcome").hidden = false;
    $("welcome").classList.remove("faded");
    clearTimeout(welcomeTimer);
    welcomeTimer = setTimeout(() => $("welcome").classList.add("faded"), 4000);
  }
}
