// Reminders (领券提醒 and the cart nudge, docs/protocol.md "Reminders").
// Viewer page: the room's private `coupon_reminder` / `cart_nudge` frame
// shows a dismissible banner; its button claims the coupon through the
// claim API (POST /api/v1/coupons/{id}/claims) or opens the cart drawer
// (cart.js's #cart-open). Console: the 提醒 panel lists the claimable
// coupons (GET /api/v1/shows/{id}/coupons), sends `remind_coupon` /
// `nudge_carts`, and shows the waiting-cart count and the last results.
// Words come from data-* attributes of the templates (the i18n catalogue);
// all text goes in with textContent.
import { el, list } from "./room.js";

const $ = (id) => document.getElementById(id);
const en = () => document.documentElement.lang === "en";

// ------------------------------------------------ viewer page

let shown = null;

// Called with each frame the viewer page receives.
export function remindersViewer(f) {
  if (!f || (f.type !== "coupon_reminder" && f.type !== "cart_nudge")) return;
  const box = $("reminder");
  if (!box) return;
  const T = box.dataset;
  shown = f;
  box.dataset.kind = f.type === "coupon_reminder" ? "coupon" : "cart";
  $("reminder-message").textContent = "";
  const act = $("reminder-act");
  act.disabled = false;
  if (f.type === "coupon_reminder") {
    $("reminder-text").textContent = T.couponText;
    $("reminder-name").textContent = f.name;
    act.hidden = f.sign_in;
    act.textContent = T.claim;
    $("reminder-sign-in").hidden = !f.sign_in;
  } else {
    $("reminder-text").textContent = T.cartText;
    $("reminder-name").textContent = "";
    act.hidden = false;
    act.textContent = T.openCart;
    $("reminder-sign-in").hidden = true;
  }
  box.hidden = false;
}

async function act() {
  const f = shown;
  if (!f) return;
  if (f.type === "cart_nudge") {
    $("reminder").hidden = true;
    $("cart-open").click();
    return;
  }
  const root = $("room");
  const res = await fetch(`/api/v1/coupons/${f.coupon}/claims`, { method: "POST", headers: { "X-CSRF-Token": root.dataset.csrf } });
  const body = await res.json().catch(() => ({}));
  if (res.ok) {
    $("reminder-act").textContent = $("reminder").dataset.claimed;
    $("reminder-act").disabled = true;
    // the coupon list's own button for it, if shown
    document.querySelectorAll(`#coupons [data-coupon="${f.coupon}"] button`).forEach((b) => {
      b.textContent = $("reminder").dataset.claimed;
      b.disabled = true;
    });
  } else {
    $("reminder-message").textContent = (body.error && body.error.message) || body.message || String(res.status);
  }
}

if ($("reminder")) {
  $("reminder-act").addEventListener("click", act);
  $("reminder-close").addEventListener("click", () => { $("reminder").hidden = true; shown = null; });
}

// ------------------------------------------------ console

let consoleSend = null;

// Wires the console's panel: `send` sends a console message.
export async function initRemindersConsole(room, send) {
  consoleSend = send;
  const panel = $("reminders");
  if (!panel) return;
  $("remind-coupon-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const coupon = Number($("remind-coupon").value);
    if (coupon > 0) consoleSend({ type: "remind_coupon", coupon });
  });
  $("nudge-carts").addEventListener("click", () => consoleSend({ type: "nudge_carts" }));
  const res = await fetch(`/api/v1/shows/${room}/coupons`);
  const coupons = res.ok ? await res.json() : [];
  const select = $("remind-coupon");
  if (coupons.length === 0) {
    select.replaceChildren(el("option", { value: "", text: panel.dataset.none }));
    $("remind-coupon-send").disabled = true;
    return;
  }
  select.replaceChildren(...coupons.map((c) =>
    el("option", { value: String(c.id), text: `${c.name} · ${en() ? c.summary_en : c.summary_zh}` })));
}

const results = [];

// Called with each frame the console receives.
export function remindersConsole(f) {
  if (!f || !$("reminders")) return;
  if (f.type === "reminders") {
    results.splice(0, results.length, ...f.recent);
    if (f.carts_waiting != null) $("carts-waiting").textContent = String(f.carts_waiting);
  } else if (f.type === "carts_waiting") {
    $("carts-waiting").textContent = String(f.count);
    return;
  } else if (f.type === "reminder_sent") {
    results.push(f);
    while (results.length > 5) results.shift();
  } else {
    return;
  }
  const T = $("reminders").dataset;
  list($("reminder-results"), results.slice().reverse(), (r) =>
    el("li", { "data-kind": r.kind },
      el("b", { text: r.kind === "coupon" ? `${T.coupon} ${r.name || ""}` : T.cart }), " ",
      el("span", { class: "targeted", text: `${r.targeted} ${T.targeted}` }),
      r.automatic ? el("small", { text: ` (${T.automatic})` }) : "",
      " ", el("small", { text: new Date(r.at_ms).toLocaleTimeString() })));
}
