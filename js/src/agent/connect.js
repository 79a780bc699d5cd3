// The handshake (docs/protocol.md, "Agent <-> widget"): accept exactly one {cobrowse: "connect"}
// that comes from the embedding widget's window and carries a MessagePort; ignore everything else.
// Only captured natives touch the event: a page script's patch would otherwise get the port.
import { hasOwn } from "../protocol/captured.js";
import {
  listen,
  messageData,
  messageOrigin,
  messagePorts,
  messageSource,
  stopImmediatePropagation,
  unlisten,
} from "./natives.js";

/** Calls `onPort(port)` once, for the first valid connect sent by `parent`. */
export function awaitConnect(parent, onPort) {
  const origin = location.origin;
  const onMessage = (event) => {
    // The widget posts from the Jupyter page, whose origin is the proxy's; a proxied page that
    // embeds this one as a frame posts as "null" and must not get its messages.
    if (messageSource(event) !== parent || messageOrigin(event) !== origin) return;
    const data = messageData(event);
    const ports = messagePorts(event);
    const port = hasOwn(ports, 0) ? ports[0] : null;
    const connect = typeof data === "object" && data !== null && hasOwn(data, "cobrowse");
    if (!port || !connect || data.cobrowse !== "connect") return;
    // Registered first and in the capture phase, so page scripts never see the widget's port.
    stopImmediatePropagation(event);
    unlisten(window, "message", onMessage, true);
    onPort(port);
  };
  listen(window, "message", onMessage, true);
}
