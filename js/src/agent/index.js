// The co-browsing agent, injected first in <head> of every proxied page. Once the widget connects
// it reports the user's scroll and pointer and applies the room's, over one MessagePort.
import { awaitConnect } from "./connect.js";
import { describe, resolve } from "./locator.js";
import { remotePointers } from "./overlay.js";
import { trackPointer } from "./pointers.js";
import { syncScroll } from "./scroll.js";
import { upstreamMapper } from "./urls.js";
import { toAnchor, toPointers } from "./validate.js";

const LOADED = Symbol.for("cobrowse-agent");

function main(script) {
  // Top-level (not in the widget's iframe) or already running in this document: stay inert.
  if (window.parent === window || LOADED in window) return;
  Object.defineProperty(window, LOADED, { value: true });
  const { cobrowseUrl: url = location.href, cobrowsePrefix: prefix = "" } = script?.dataset ?? {};
  const mapUrl = upstreamMapper(prefix, location.href);
  awaitConnect(window.parent, (port) => start(port, url, mapUrl));
}

function start(port, url, mapUrl) {
  const send = (message) => port.postMessage(message);
  const locate = {
    describe: (element) => describe(element, mapUrl),
    resolve: (locator) => resolve(locator, document, mapUrl),
  };
  send({ type: "hello", url, title: document.title });
  const scrollTo = syncScroll({ send: (anchor) => send({ type: "scroll", anchor }), ...locate });
  trackPointer({ send: (pointer) => send({ type: "pointer", pointer }), ...locate });
  const drawPointers = remotePointers(locate.resolve);
  port.onmessage = ({ data }) => {
    if (data?.type === "scroll-to") {
      const anchor = toAnchor(data.anchor);
      if (anchor) scrollTo(anchor);
    } else if (data?.type === "pointers") {
      const pointers = toPointers(data.pointers);
      if (pointers) drawPointers(pointers);
    }
  };
}

main(document.currentScript);
