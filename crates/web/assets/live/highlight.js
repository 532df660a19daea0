// 标记高光 on the console: the button sends `mark_highlight` with the
// optional note; the room answers every console with a `highlight` frame
// (docs/protocol.md) once the mark is in the log, shown here with its
// stream time. Clips are trimmed after the show on the replay editor.

const $ = (id) => document.getElementById(id);

function mmss(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** Wires the button; `send` sends a console message. */
export function highlightTools(send) {
  const button = $("mark-highlight");
  if (!button) return;
  button.addEventListener("click", () => {
    const note = $("highlight-note").value.trim();
    send(note ? { type: "mark_highlight", note } : { type: "mark_highlight" });
    $("highlight-note").value = "";
  });
}

/** A `highlight` frame: the mark is stored. */
export function highlightMarked(f) {
  const out = $("highlight-marked");
  if (!out) return;
  const at = f.stream_ms == null ? "未推流 / not streaming" : mmss(f.stream_ms);
  out.textContent = `已标记高光 / highlight marked · ${at}${f.note ? ` · ${f.note}` : ""}`;
}
