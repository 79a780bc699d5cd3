// The co-browsing agent, injected first in <head> of every proxied page (and frame). It installs
// the client runtime (URL mapping, cookie and storage stand-ins) everywhere. In the frame the
// widget embeds, once the widget connects, it also reports the user's scroll, pointer and
// same-document navigation and applies the room's, over one MessagePort. In a frame of that
// page, it asks the widget for a port of its own and shares the frame's fields.
import { closePort, listen, messageData, postToPort, startPort, userHasActed } from "./natives.js";
import { pageActions } from "./actions.js";
import { awaitConnect } from "./connect.js";
import { syncFields } from "./fields.js";
import { remoteFocus, remoteHighlights, trackFocus } from "./focus.js";
import { describe, resolve } from "./locator.js";
import { remotePointers } from "./overlay.js";
import { replaySafeClick, trackClicks } from "./clicks.js";
import { remoteNotes } from "./notes.js";
import { inViewport, positionAt, positionInFrame, trackPointer } from "./pointers.js";
import { remoteSelections, trackSelection } from "./selection.js";
import { remoteStrokes, trackStrokes } from "./strokes.js";
import { installRuntime } from "./runtime/index.js";
import { syncScroll } from "./scroll.js";
import { upstreamMapper } from "./urls.js";
import { widgetMessage } from "../protocol/validate.js";
import { RESULT_ID } from "../protocol/limits.js";

const RUNTIME = Symbol.for("cobrowse-runtime");
const LOADED = Symbol.for("cobrowse-agent");

function main(script) {
  // A second copy of the agent in this document stays inert.
  if (RUNTIME in window) return;
  Object.defineProperty(window, RUNTIME, { value: true });
  const data = script?.dataset ?? {};
  const { cobrowseUrl: url = "", cobrowsePrefix: prefix = "" } = data;
  const cookies = data.cobrowseCookies ?? "";
  const result = RESULT_ID.test(data.cobrowseResult ?? "") ? data.cobrowseResult : null;
  const hello = { type: "hello", site: data.cobrowseSite ?? "", result };
  const runtime = installRuntime({ url, prefix, cookies });
  // Top-level, or a page's own srcdoc document (never the widget's frame): the runtime only.
  if (window.parent === window || LOADED in window || location.protocol === "about:") return;
  Object.defineProperty(window, LOADED, { value: true });
  const mapUrl = upstreamMapper(prefix, location.href);
  // Captured now: a page script may replace `parent` on its window later.
  const [parent, grandparent] = [window.parent, window.parent.parent];
  let attach = null;
  awaitConnect([parent, grandparent], (port, source) => {
    attach ??= start(runtime, mapUrl, hello, source !== parent);
    attach(port);
  });
  // A frame of the widget's page: the widget links only its own frame's children.
  if (grandparent !== parent) grandparent.postMessage({ cobrowse: "frame" }, "*");
}

/** Sets up the agent; returns `attach(port)`, which makes `port` the link to the widget (a
 * later connect replaces an earlier one) and says hello on it. A frame in the page (`nested`)
 * shares its fields and the pointer over it only. */
function start(runtime, mapUrl, hello, nested) {
  let port = null;
  const send = (message) => port && postToPort(port, message);
  const locate = {
    describe: (element) => describe(element, mapUrl),
    resolve: (locator) => resolve(locator, document, mapUrl),
  };
  const fields = syncFields({ send, describe: locate.describe });
  const sendInventory = () => send({ type: "fields", fields: fields.inventory() });
  const onFields = (message) => {
    if (message?.type === "fields") fields.apply(message.fields);
    else if (message?.type === "privacy") {
      const first = !fields.hasRules();
      fields.setRules(message); // before any field is reported, their values included
      sendInventory();
      if (first) fields.watch(sendInventory);
    }
  };
  // A frame's pointer goes to the page's agent, which places it over the frame's element; its
  // leaving is the page's to tell (the pointer may be back on the page).
  if (nested)
    trackPointer({
      send: (at) => at && send({ type: "frame-pointer", ...at }),
      measure: inViewport,
    });
  const onMessage = nested
    ? (event) => onFields(widgetMessage(messageData(event)))
    : page({ send, runtime, locate, onFields, fields });
  return (next) => {
    if (port) closePort(port);
    port = next;
    listen(port, "message", onMessage);
    send({ ...hello, url: runtime.currentUrl(), title: document.title });
    startPort(port);
  };
}

/** The page's own sharing (scroll, pointer, navigation, marks); returns its message handler. */
function page({ send, runtime, locate, onFields, fields }) {
  // Whether the user has acted on this page: a script that rewrites the address by itself (per
  // language, with a timestamp...) must not drag everyone else along.
  runtime.onNavigated(({ url, title }) =>
    send({ type: "navigated", url, title, active: userHasActed() }),
  );
  // The next page's frames may ask for links before that page has loaded.
  listen(window, "pagehide", () => send({ type: "leaving" }), true);
  const scrollTo = syncScroll({ send: (anchor) => send({ type: "scroll", anchor }), ...locate });
  const sendPointer = (pointer) => send({ type: "pointer", pointer });
  trackPointer({ send: sendPointer, measure: (x, y) => positionAt(x, y, locate.describe) });
  const drawPointers = remotePointers(locate.resolve, replaySafeClick);
  const sendClick = (pointer) => send({ type: "click", pointer });
  trackClicks({ send: sendClick, ...locate });
  const perform = pageActions({ fields, sendClick, ...locate });
  trackFocus({ send: (locator) => send({ type: "focus", locator }), ...locate });
  const drawFocus = remoteFocus(locate.resolve);
  trackSelection({ send: (selection) => send({ type: "selection", selection }), ...locate });
  const drawSelections = remoteSelections(locate.resolve);
  const drawNotes = remoteNotes(locate.resolve);
  const drawHighlights = remoteHighlights();
  const setDrawing = trackStrokes({
    send: (stroke) => send({ type: "stroke", ...stroke }),
    ...locate,
  });
  const drawStrokes = remoteStrokes(locate.resolve);
  return (event) => {
    const message = widgetMessage(messageData(event));
    if (message?.type === "scroll-to") scrollTo(message.anchor);
    else if (message?.type === "pointers") drawPointers(message.pointers);
    else if (message?.type === "focus") drawFocus(message.marks);
    else if (message?.type === "selections") drawSelections(message.marks);
    else if (message?.type === "notes") drawNotes(message.marks);
    else if (message?.type === "strokes") drawStrokes(message.marks);
    else if (message?.type === "highlights") drawHighlights(message.marks);
    else if (message?.type === "draw") setDrawing(message.on, message.color);
    else if (message?.type === "command")
      send({ type: "done", id: message.id, error: perform(message) });
    else if (message?.type === "frame-pointer") {
      // The pointer is over one of this page's frames: placed over that frame's element.
      const { frame, x, y } = message;
      const pointer = positionInFrame(frame, x, y, locate.describe);
      if (pointer) sendPointer(pointer);
    } else onFields(message);
  };
}

main(document.currentScript);
