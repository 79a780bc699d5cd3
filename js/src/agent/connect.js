// The handshake (docs/protocol.md, "Agent <-> widget"): accept a {cobrowse: "connect"} that
// comes from a window in `sources` with the Jupyter page's origin and carries a MessagePort;
// ignore everything else. Only captured natives touch the event: a page script's patch would
// otherwise get the port.
import { hasOwn } from "../protocol/captured.js";
import {
  listen,
  messageData,
  messageOrigin,
  messagePorts,
  messageSource,
  stopImmediatePropagation,
} from "./natives.js";

/** Calls `onPort(port, source)` for each valid connect sent by one of `sources`. Every one is
 * kept from the page's scripts, so none of them ever holds a port to the widget. */
export function awaitConnect(sources, onPort) {
  const origin = location.origin;
  const trusted = (source) => {
    for (let i = 0; i < sources.length; i++) if (sources[i] === source) return true;
    return false;
  };
  const onMessage = (event) => {
    // The widget posts from the Jupyter page, whose origin is the proxy's; a proxied page
    // (this one's parent, when it is a frame in a page) posts as "null" and is not heard.
    const source = messageSource(event);
    if (!trusted(source) || messageOrigin(event) !== origin) return;
    const data = messageData(event);
    const ports = messagePorts(event);
    const port = hasOwn(ports, 0) ? ports[0] : null;
    const connect = typeof data === "object" && data !== null && hasOwn(data, "cobrowse");
    if (!port || !connect || data.cobrowse !== "connect") return;
    // Registered first and in the capture phase, so page scripts never see the widget's port.
    stopImmediatePropagation(event);
    onPort(port, source);
  };
  listen(window, "message", onMessage, true);
}
