// Run-sheet automation on the console (流程单自动化): the pending automatic
// actions from the console-only `automation` frame (docs/protocol.md), each
// with a countdown ticking here in the browser from the due time the room
// sent (shifted by the room's clock, the frame's `now`), and 取消 / 立即执行
// buttons that send `cancel_action` / `fire_action`. The room sends a new
// frame whenever the list changes. Text goes in with textContent only.
import { el, list } from "./room.js";

const KINDS = { push_card: "推送讲解卡 / push card", lottery: "定时福袋 / lottery", reminder: "定时提醒 / reminder" };
const state = { frame: null, offset: 0 };
const $ = (id) => document.getElementById(id);

// Renders a fresh `automation` frame; `send` sends a console message.
export function automation(f, send) {
  state.frame = f;
  state.offset = f.now - Date.now();
  const box = $("automation");
  if (!box) return;
  box.hidden = false;
  $("automation-empty").hidden = f.actions.length > 0;
  list($("automation-list"), f.actions, (a) => {
    const times = a.times == null ? "" : ` (${a.occurrence + 1}/${a.times})`;
    return el("li", { "data-action": String(a.id), "data-kind": a.kind },
      el("strong", { text: (KINDS[a.kind] || a.kind) + times }), " ",
      el("span", { class: "detail", text: a.detail }), " ",
      el("span", { class: "countdown", "data-due": a.due_at_ms == null ? "" : String(a.due_at_ms),
        "data-segment": a.waiting_for_segment == null ? "" : String(a.waiting_for_segment) }), " ",
      el("button", { type: "button", class: "cancel", text: "取消 / Cancel",
        onclick: () => send({ type: "cancel_action", action: a.id }) }), " ",
      el("button", { type: "button", class: "fire", text: "立即执行 / Fire now",
        onclick: () => send({ type: "fire_action", action: a.id }) }));
  });
  tick();
}

// Once a second: each countdown from its due time on the room's clock.
function tick() {
  const now = Date.now() + state.offset;
  document.querySelectorAll("#automation-list .countdown").forEach((c) => {
    if (c.dataset.due === "") {
      const n = Number(c.dataset.segment) + 1;
      c.textContent = c.dataset.segment === "" ? "" : `等待第 ${n} 段开始 / waits for segment ${n}`;
      return;
    }
    const secs = Math.round((Number(c.dataset.due) - now) / 1000);
    const h = Math.floor(secs / 3600);
    const m = Math.floor((secs % 3600) / 60);
    const s = String(secs % 60).padStart(2, "0");
    const left = h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
    c.textContent = secs > 0 ? `还有 / in ${left}` : "即将执行 / due now";
  });
}
setInterval(tick, 1000);
