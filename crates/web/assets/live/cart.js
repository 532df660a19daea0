// The viewer page's cart and orders (购物车 / 我的订单): add a SKU from the
// product sheet, see the pricing engine's breakdown of the whole cart,
// check out with an address, pay with the sandbox (沙箱支付, no money
// moves), and follow one's orders. Everything goes through /api/v1 (see
// crates/web/src/api/orders.rs); user text goes in with textContent only.
// Its words come from the page's language: templates/orders_cart.html puts
// them on #cart-sheet's data-* attributes from the i18n catalogue.
import { el, list, yuan } from "./room.js";

const root = document.getElementById("room");
const room = root.dataset.room;
const signedIn = root.dataset.signedIn === "true";
const $ = (id) => document.getElementById(id);
const en = () => document.documentElement.lang === "en";
const ADDRESS_KEY = "zhibo.address";
const T = document.getElementById("cart-sheet").dataset;

function say(text) {
  $("cart-message").textContent = text;
}

async function api(method, path, body, headers = {}) {
  const res = await fetch(path, {
    method,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf, ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const data = await res.json().catch(() => ({}));
  return { ok: res.ok, status: res.status, data };
}

/// The error's message with each field it names, as the API words it.
function problem(r) {
  const e = r.data.error || {};
  const fields = (e.fields || []).map((f) => `${f.field}: ${f.message}`);
  return fields.length ? fields.join("；") : e.message || String(r.status);
}

// ------------------------------------------------ the product sheet's buy box

// viewer.js announces each sheet it opens with its data.
document.addEventListener("zhibo:sheet", (e) => {
  const s = e.detail;
  const box = $("sheet-buy");
  if (!box) return;
  if (!signedIn) {
    box.replaceChildren(el("a", { href: `/login?next=${encodeURIComponent(location.pathname)}`, id: "sheet-sign-in",
      text: T.signIn }));
    return;
  }
  const select = el("select", { id: "sheet-sku", "aria-label": T.option },
    ...s.skus.map((k) => el("option", { value: String(k.id), text: `${k.specs || T.defaultSpec} · ${yuan(k.payable_fen)}` })));
  if (s.quoted_sku_id) select.value = String(s.quoted_sku_id);
  const qty = el("input", { id: "sheet-qty", type: "number", min: "1", max: "99999", value: "1", "aria-label": T.quantity });
  const add = el("button", { type: "button", id: "add-to-cart", text: T.add });
  add.addEventListener("click", async () => {
    const sku = select.value;
    const current = (cart && cart.items.find((i) => String(i.sku_id) === sku)) || { quantity: 0 };
    const quantity = current.quantity + Math.max(0, parseInt(qty.value, 10) || 0);
    const r = await api("PUT", `/api/v1/shows/${room}/cart/${sku}`, { quantity });
    if (!r.ok) { $("sheet-buy-message").textContent = problem(r); return; }
    showCart(r.data);
    $("sheet-buy-message").textContent = T.added;
  });
  box.replaceChildren(select, " ", qty, " ", add, el("p", { id: "sheet-buy-message", role: "status" }));
});

// ------------------------------------------------ the cart

let cart = null;
let placed = null;

function showCart(c) {
  cart = c;
  $("cart-count").textContent = c.items.reduce((n, i) => n + i.quantity, 0);
  $("pay-label").textContent = en() ? c.payment_label_en : c.payment_label_zh;
  list($("cart-items"), c.items, (i) => {
    const qty = el("input", { type: "number", min: "0", max: "99999", value: String(i.quantity), class: "cart-qty",
      "aria-label": `${T.quantity}: ${i.title}` });
    qty.addEventListener("change", () => setQuantity(i.sku_id, parseInt(qty.value, 10) || 0));
    return el("li", { "data-sku": String(i.sku_id) },
      el("span", { class: "title", text: `${i.title} ${i.specs}` }), " ",
      el("span", { class: "price", text: yuan(i.unit_price_fen) }), " × ", qty, " ",
      el("button", { type: "button", class: "cart-remove", text: T.remove, onclick: () => setQuantity(i.sku_id, 0) }));
  });
  const q = c.quote;
  $("cart-empty").hidden = c.items.length > 0;
  $("cart-priced").hidden = !q;
  if (q) {
    $("cart-subtotal").textContent = yuan(q.subtotal_fen);
    $("cart-discount").textContent = yuan(q.discount_fen);
    $("cart-payable").textContent = yuan(q.payable_fen);
    list($("cart-breakdown"), en() ? q.explanation_en : q.explanation_zh, (line) => el("li", { text: line }));
  }
}

async function setQuantity(sku, quantity) {
  const r = await api("PUT", `/api/v1/shows/${room}/cart/${sku}`, { quantity });
  if (r.ok) showCart(r.data); else say(problem(r));
}

async function loadCart() {
  if (!signedIn) return;
  const r = await api("GET", `/api/v1/shows/${room}/cart`);
  if (r.ok) showCart(r.data);
}

$("cart-open").addEventListener("click", async () => {
  $("cart-sign-in").hidden = signedIn;
  $("checkout-form").hidden = !signedIn;
  say("");
  await loadCart();
  $("cart-sheet").showModal();
});

// The last address, kept in this browser only, to save typing next time.
const fields = ["name", "phone", "region", "detail"];
try {
  const saved = JSON.parse(localStorage.getItem(ADDRESS_KEY) || "{}");
  fields.forEach((f) => { if (saved[f]) $(`address-${f}`).value = saved[f]; });
} catch { /* no saved address */ }

$("checkout-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  if (!cart || !cart.quote) { say(T.empty); return; }
  const address = Object.fromEntries(fields.map((f) => [f, $(`address-${f}`).value]));
  localStorage.setItem(ADDRESS_KEY, JSON.stringify(address));
  // One key per attempt: a retried click answers with the same order.
  const key = placed && placed.pending ? placed.key : crypto.randomUUID();
  placed = { key, pending: true };
  const r = await api("POST", `/api/v1/shows/${room}/checkout`, { address, expected_total_fen: cart.quote.payable_fen },
    { "Idempotency-Key": key });
  if (!r.ok) {
    placed = null;
    say(problem(r));
    if (r.status === 409) loadCart(); // a new price or less stock: show the cart as it is now
    return;
  }
  placed = { key, pending: false, order: r.data };
  showPay(r.data);
  loadCart();
});

/// An order's status in the page's language.
const status = (o) => (en() ? o.status_en : o.status_zh);

function showPay(order) {
  $("pay-box").hidden = false;
  $("pay-order").textContent = `${T.order} ${order.id} · ${yuan(order.total_fen)} · ${status(order)}`;
  $("pay-button").dataset.order = String(order.id);
  $("pay-button").focus();
  say(T.placed);
}

async function pay(id) {
  const r = await api("POST", `/api/v1/me/orders/${id}/payment`, {});
  if (!r.ok) { say(problem(r)); return false; }
  say(`${T.paid} · ${r.data.reference}`);
  $("pay-box").hidden = true;
  return true;
}

$("pay-button").addEventListener("click", () => pay($("pay-button").dataset.order));

// ------------------------------------------------ my orders

async function loadOrders() {
  const r = await api("GET", `/api/v1/me/orders?show=${room}`);
  if (!r.ok) { $("orders-message").textContent = problem(r); return; }
  $("orders-empty").hidden = r.data.length > 0;
  list($("my-orders"), r.data, (o) => {
    const items = o.lines
      .map((l) => `${l.title} ${l.specs} ×${l.quantity}${l.gift_promotion_id ? ` (${T.gift})` : ""}`)
      .join("; ");
    const actions = [];
    if (o.status === "pending_payment") {
      actions.push(el("button", { type: "button", class: "order-pay", text: T.pay,
        onclick: async () => { await pay(o.id); loadOrders(); } }));
      actions.push(el("button", { type: "button", class: "order-cancel", text: T.cancel,
        onclick: async () => { const c = await api("POST", `/api/v1/me/orders/${o.id}/cancel`, {});
          if (!c.ok) $("orders-message").textContent = problem(c); loadOrders(); } }));
    }
    return el("li", { "data-order": String(o.id), "data-status": o.status },
      el("b", { text: `${o.id} · ${status(o)}` }), " ",
      el("span", { class: "price", text: yuan(o.total_fen) }), " ",
      el("small", { text: items }), " ", ...actions);
  });
}

$("orders-open").addEventListener("click", async () => {
  if (signedIn) await loadOrders();
  $("orders-sign-in").hidden = signedIn;
  $("orders-sheet").showModal();
});

loadCart();
