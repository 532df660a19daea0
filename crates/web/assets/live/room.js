// zhibo live room client: shared by the viewer page and the console.
// Connects to /ws/rooms/{room}/{kind}, keeps a small state from the
// snapshot and frames (docs/protocol.md), and calls render hooks. All user
// text is put into the page with textContent, never as HTML.
export function connect(room, kind, hooks) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  let ws;
  let retry = 500;
  const state = { card: null, products: [], comments: [], topic: null, online: 0, likes: 0, you: null, status: "planned",
    lottery: null, drawn: null, red_packets: [], grabbed: {}, poll: null, voted: {} };
  function open() {
    ws = new WebSocket(`${proto}//${location.host}/ws/rooms/${room}/${kind}`);
    ws.onopen = () => { retry = 500; hooks.status && hooks.status("open"); };
    ws.onclose = () => { hooks.status && hooks.status("closed"); setTimeout(open, retry); retry = Math.min(retry * 2, 10000); };
    ws.onmessage = (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch { return; }
      if (msg.type === "batch") msg.frames.forEach(apply); else apply(msg);
    };
  }
  function apply(f) {
    switch (f.type) {
      case "snapshot":
        Object.assign(state, { card: f.card, products: f.products || [], comments: f.comments || [], topic: f.topic,
          online: f.online, likes: f.likes, you: f.you, status: f.status, title: f.title, stats: f.stats });
        Object.assign(state, { lottery: f.lottery || null, drawn: null, red_packets: (f.red_packets || []).map((p) => ({ ...p, left: p.count })),
          poll: f.poll || null });
        Object.assign(state, { pinned_comment: f.pinned_comment || null, welcome_template: f.welcome_template, welcome: null });
        break;
      case "comment": state.comments.push(f); if (state.comments.length > 200) state.comments.shift(); break;
      case "comment_hidden": state.comments = state.comments.filter((c) => c.id !== f.id); break;
      case "card_pushed": state.card = f; break;
      case "card_unpushed": state.card = null; break;
      case "listed": case "delisted":
        state.products.forEach((p) => { if (p.product === f.product) p.listed = f.type === "listed"; }); break;
      // lineup tools: a live price or the sellable stock changed; the card follows
      case "price_changed": case "stock": {
        const key = f.type === "stock" ? "stock" : "live_price";
        const value = f.type === "stock" ? f.stock : f.live_price;
        state.products.forEach((p) => { if (p.product === f.product) p[key] = value; });
        if (state.card && state.card.product === f.product) state.card[key] = value;
        break;
      }
      case "topic": state.topic = f.text; break;
      case "likes": state.likes = f.total; hooks.likes && hooks.likes(f.count); break;
      case "viewer_count": state.online = f.online; break;
      case "status": state.status = f.status; break;
      // interactions: lottery (福袋) and red packets (红包)
      case "lottery_opened": state.lottery = f; state.drawn = null; break;
      case "lottery_joined": if (state.lottery && state.lottery.id === f.id) state.lottery.entrants = f.entrants; break;
      case "lottery_drawn": state.lottery = null; state.drawn = f; break;
      case "red_packet_sent": state.red_packets.push({ ...f, left: f.count }); break;
      case "red_packet_grabbed":
        if (state.you && f.viewer === state.you.viewer) state.grabbed[f.id] = f.amount_fen;
        state.red_packets.forEach((p) => { if (p.id === f.id) p.left = f.left; });
        state.red_packets = state.red_packets.filter((p) => p.left > 0); break;
      // polls (投票): tallies come on the room's tick
      case "poll_opened": state.poll = { ...f, closed: false }; break;
      case "poll_tally": case "poll_closed":
        if (state.poll && state.poll.id === f.id) Object.assign(state.poll, { votes: f.votes, total: f.total, closed: f.type === "poll_closed" });
        break;
      // presentation: the welcome line, the console's lineup order, the pinned comment
      case "welcome": state.welcome = f; break;
      case "welcome_template": state.welcome_template = f.template; break;
      case "lineup_reordered": {
        const at = new Map(f.products.map((id, i) => [id, i]));
        state.products.sort((a, b) => (at.get(a.product) ?? 1e9) - (at.get(b.product) ?? 1e9));
        break;
      }
      case "pinned_comment": state.pinned_comment = f.comment; break;
      case "error": hooks.error && hooks.error(f); return;
    }
    hooks.render(state, f);
  }
  open();
  return {
    state,
    send(msg) { if (ws && ws.readyState === 1) ws.send(JSON.stringify({ v: 1, ...msg })); },
  };
}

export function yuan(fen) {
  return "¥" + (fen / 100).toFixed(2);
}

// Replaces the children of `el` with one element per item, built by `make`.
export function list(el, items, make) {
  el.replaceChildren(...items.map(make));
}

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "text") node.textContent = v; else if (k.startsWith("on")) node.addEventListener(k.slice(2), v); else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}
