// The floor of benchmarks/sync_latency.py: what syncing costs with nothing but Yjs. One Y.Doc
// per page, synced through a plain websocket relay (every message to every other socket), with a
// pointer in awareness, a scroll position in a Y.Map and a text field as a Y.Text, applied to
// the page as they arrive. Bundled by the benchmark with esbuild from js/node_modules.
import * as Y from "yjs";
import * as awarenessProtocol from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";

const doc = new Y.Doc();
const awareness = new awarenessProtocol.Awareness(doc);
const socket = new WebSocket(new URLSearchParams(location.search).get("relay"));
socket.binaryType = "arraybuffer";
const REMOTE = "remote";
const stamp = () => performance.timeOrigin + performance.now();
window.seen = { pointer: [], scroll: [], text: [] };

const frame = (type, write) => {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
};
const send = (message) => socket.readyState === 1 && socket.send(message);
doc.on("update", (update, origin) => {
  if (origin !== REMOTE) send(frame(0, (e) => syncProtocol.writeUpdate(e, update)));
});
awareness.on("update", ({ added, updated }, origin) => {
  if (origin === REMOTE) return;
  const changed = added.concat(updated);
  send(frame(1, (e) => encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(awareness, changed))));
});
socket.onmessage = ({ data }) => {
  const decoder = decoding.createDecoder(new Uint8Array(data));
  const type = decoding.readVarUint(decoder);
  if (type === 0) syncProtocol.readSyncMessage(decoder, encoding.createEncoder(), doc, REMOTE);
  else awarenessProtocol.applyAwarenessUpdate(awareness, decoding.readVarUint8Array(decoder), REMOTE);
};
socket.onopen = () => (window.ready = true);

// Inputs: the pointer, scrolling and typing.
const field = document.getElementById("field");
const text = doc.getText("field");
const scroll = doc.getMap("scroll");
addEventListener("pointermove", (e) => awareness.setLocalStateField("pointer", [e.clientX, e.clientY]));
addEventListener("scroll", () => scroll.set("y", scrollY), { passive: true });
let shown = "";
field.addEventListener("input", () => {
  const value = field.value;
  let at = 0;
  while (at < shown.length && at < value.length && shown[at] === value[at]) at++;
  doc.transact(() => {
    text.delete(at, shown.length - at);
    text.insert(at, value.slice(at));
  });
  shown = value;
});

// Effects: drawn as they arrive, each stamped.
const dot = document.getElementById("pointer");
awareness.on("change", (_, origin) => {
  if (origin !== REMOTE) return;
  for (const [id, state] of awareness.getStates()) {
    if (id === doc.clientID || !state.pointer) continue;
    dot.style.transform = `translate(${state.pointer[0]}px, ${state.pointer[1]}px)`;
    seen.pointer.push(stamp());
  }
});
scroll.observe((event) => {
  if (event.transaction.origin !== REMOTE) return;
  window.scrollTo({ top: scroll.get("y"), behavior: "instant" });
  seen.scroll.push([stamp(), scroll.get("y")]);
});
text.observe((event) => {
  if (event.transaction.origin !== REMOTE) return;
  shown = field.value = text.toString();
  seen.text.push(stamp());
});
