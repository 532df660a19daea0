// The flash sale (秒杀) on both pages (docs/protocol.md, "Flash sale").
// Viewer: the sale card with its countdown (against the server's clock
// sent in the frame), price and units left; the delivery address kept in
// this browser and sent with each attempt; a request id per press, so a
// retried press is a replay, never a second order. Console: open and stop,
// the sale's figures, and the live stock view with its sell-out warning.
// All text goes in with textContent.
import { el, list, yuan } from "./room.js";

const $ = (id) => document.getElementById(id);
const ADDRESS_KEY = "zhibo.flash.address";

let sale = null;        // the card as last sent
let offset = 0;         // server clock − this browser's clock, ms
let timer = null;

function newRequest() {
  const raw = new Uint8Array(8);
  crypto.getRandomValues(raw);
  return Array.from(raw, (b) => b.toString(16).padStart(2, "0")).join("");
}

// ---- viewer

// Call with every frame the viewer page renders; `send` sends a message.
export function flashViewer(f, send) {
  const box = $("flash-sale");
  if (!box || !f) return;
  if (!box.dataset.wired) wireViewer(box, send);
  if (f.type === "snapshot") showSale(f.flash_sale || null);
  else if (f.type === "flash_sale") showSale(f);
  else if (f.type === "flash_sale_left" && sale && sale.sale === f.sale) { sale.left = f.left; drawSale(); }
  else if (f.type === "flash_result") result(f);
}

function showSale(card) {
  sale = card;
  if (card) offset = card.now_ms - Date.now();
  drawSale();
  clearInterval(timer);
  if (card && card.state !== "ended") timer = setInterval(drawSale, 250);
}

function drawSale() {
  const box = $("flash-sale");
  const d = box.dataset;
  box.hidden = !sale;
  if (!sale) return;
  const now = Date.now() + offset;
  let state = sale.state;
  if (state === "scheduled" && now >= sale.starts_at_ms) state = "running";
  if (state === "running" && sale.ends_at_ms && now >= sale.ends_at_ms) state = "ended";
  $("flash-price").textContent = yuan(sale.price_fen);
  $("flash-left").textContent = `${d.left} ${sale.left} / ${sale.quantity} · ${d.limit} ${sale.per_buyer}`;
  const secs = Math.max(0, Math.ceil((sale.starts_at_ms - now) / 1000));
  $("flash-state").textContent = state === "scheduled" ? `${d.startsIn} ${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, "0")}`
    : state === "running" ? d.running : d.ended;
  box.dataset.state = state;
  // Also done once this buyer may buy no more (won up to the limit, or refused for it).
  const done = d.limitFor === String(sale.sale);
  $("flash-buy").disabled = state !== "running" || sale.left === 0 || d.signedIn !== "true" || done;
}

function wireViewer(box, send) {
  box.dataset.wired = "1";
  const fields = ["name", "phone", "region", "detail"];
  let saved = {};
  try { saved = JSON.parse(localStorage.getItem(ADDRESS_KEY) || "{}"); } catch { saved = {}; }
  fields.forEach((k) => { $(`flash-${k}`).value = saved[k] || ""; });
  // One request id per press; kept until answered, so pressing again while
  // waiting replays the same attempt.
  let pending = null;
  $("flash-buy").addEventListener("click", () => {
    if (!sale) return;
    const address = Object.fromEntries(fields.map((k) => [k, $(`flash-${k}`).value.trim()]));
    localStorage.setItem(ADDRESS_KEY, JSON.stringify(address));
    pending = pending || newRequest();
    box.dataset.request = pending;
    send({ type: "flash_buy", sale: sale.sale, quantity: 1, request: pending, address });
  });
  box.addEventListener("flash-answered", () => { pending = null; });
  if (box.dataset.signedIn !== "true") $("flash-message").textContent = box.dataset.signIn;
}

function result(f) {
  const box = $("flash-sale");
  if (f.request === box.dataset.request) box.dispatchEvent(new Event("flash-answered"));
  $("flash-message").textContent = f.ok ? `${box.dataset.won} #${f.order} · ${yuan(f.price_fen * f.quantity)}` : f.message;
  box.dataset.result = f.ok ? "won" : f.reason;
  const won = (box.dataset.won_units = String(Number(f.ok ? f.quantity : 0) + Number(box.dataset.won_units || 0)));
  if (f.reason === "limit_reached" || (sale && Number(won) >= sale.per_buyer)) box.dataset.limitFor = String(f.sale);
  drawSale();
}

// ---- console

// Call with every frame the console renders; `products` is the lineup.
export function flashConsole(f, send, products) {
  const box = $("flash-console");
  if (!box || !f) return;
  if (!box.dataset.wired) wireConsole(box, send);
  if (f.type === "snapshot" || f.type === "flash_sale") {
    const card = f.type === "snapshot" ? f.flash_sale : f;
    box.dataset.sale = card && card.state !== "ended" ? card.sale : "";
    $("flash-stop").disabled = !box.dataset.sale;
    if (!card || card.state === "ended") $("flash-stats").textContent = "—";
  }
  if (f.type === "flash_sale_stats") {
    $("flash-stats").textContent = `${f.sold} / ${f.pending} / ${f.remaining} / ${f.attempts} / ${f.attempts_per_s}`;
  }
  if (f.type === "stock_view") stockView(f.skus, products);
  const select = $("flash-product");
  if (select && products && select.options.length !== products.length) {
    list(select, products, (p) => el("option", { value: String(p.product), text: p.title }));
  }
}

function wireConsole(box, send) {
  box.dataset.wired = "1";
  $("flash-open").addEventListener("submit", (e) => {
    e.preventDefault();
    const n = (id) => Number($(id).value);
    const duration = $("flash-duration").value.trim();
    send({
      type: "open_flash_sale", product: n("flash-product"), sku: n("flash-sku"),
      price_fen: Math.round(n("flash-price-yuan") * 100), quantity: n("flash-quantity"), per_buyer: n("flash-per-buyer"),
      countdown_secs: n("flash-countdown"), ...(duration ? { duration_secs: Number(duration) } : {}),
    });
  });
  $("flash-stop").addEventListener("click", () => {
    if (box.dataset.sale) send({ type: "stop_flash_sale", sale: Number(box.dataset.sale) });
  });
}

function stockView(rows, products) {
  const title = (id) => (products || []).find((p) => p.product === id)?.title || `#${id}`;
  const warning = $("stock-view").dataset.warning;
  list($("stock-view-rows"), rows, (r) =>
    el("tr", { "data-sku": r.sku, class: r.warning ? "warn" : "" },
      el("td", { text: `${title(r.product)} · ${r.label}` }),
      el("td", { class: "num", text: String(r.stock) }),
      el("td", { class: "num", text: r.flash_left == null ? "" : String(r.flash_left) }),
      el("td", { class: "num", text: String(r.per_minute) }),
      el("td", { text: r.warning ? `⚠ ${warning}${r.sells_out_in_s == null ? "" : ` (${r.sells_out_in_s}s)`}` : "" })));
}
