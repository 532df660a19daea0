// The console's line about the simulated audience (web/src/sim_audience):
// how many of the viewers online are simulated, so nobody takes them for
// real ones, with pause / resume and a link to the audience page. Polls
// the staff status route every 2 s; writes with textContent only.

function csrfToken() {
  const raw = document.body.getAttribute("hx-headers");
  try { return raw ? JSON.parse(raw)["X-CSRF-Token"] : ""; } catch { return ""; }
}

const root = document.getElementById("console");
if (root) {
  const room = root.dataset.room;
  const line = document.createElement("p");
  line.id = "sim-audience";
  line.hidden = true;
  const label = document.createElement("span");
  const button = document.createElement("button");
  button.type = "button";
  button.hidden = true;
  const link = document.createElement("a");
  link.href = `/live/shows/${room}/audience`;
  link.textContent = "模拟观众设置 / simulated audience";
  line.append(label, " ", button, " ", link);
  (document.getElementById("figures") || root.firstChild).after(line);
  let paused = false;

  async function refresh() {
    try {
      const r = await fetch(`/live/shows/${room}/audience/status`, { credentials: "same-origin" });
      if (!r.ok) return;
      const s = await r.json();
      line.hidden = false;
      if (!s.running) {
        label.textContent = "模拟观众：未启动 / simulated audience: off";
        button.hidden = true;
        return;
      }
      paused = s.paused;
      label.textContent = `在线中有 ${s.online} 位模拟观众（非真实观众） / simulated viewers online: ${s.online} (not real)`
        + (s.paused ? " · 已暂停 / paused" : "");
      button.hidden = false;
      button.textContent = s.paused ? "继续 / resume" : "暂停 / pause";
    } catch { /* the next poll tries again */ }
  }

  button.addEventListener("click", async () => {
    const body = new URLSearchParams({ action: paused ? "resume" : "pause" });
    await fetch(`/live/shows/${room}/audience`, {
      method: "POST", body, headers: { "X-CSRF-Token": csrfToken() }, credentials: "same-origin",
    });
    refresh();
  });
  refresh();
  setInterval(refresh, 2000);
}
