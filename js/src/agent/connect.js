// The handshake (docs/protocol.md, "Agent <-> widget"): accept exactly one {cobrowse: "connect"}
// that comes from the embedding widget's window and carries a MessagePort; ignore everything else.

/** Calls `onPort(port)` once, for the first valid connect sent by `parent`. */
export function awaitConnect(parent, onPort) {
  const onMessage = (event) => {
    const { data, source, ports, origin } = event;
    // The widget posts from the Jupyter page, whose origin is the proxy's; a proxied page that
    // embeds this one as a frame posts as "null" and must not get its messages.
    if (source !== parent || origin !== location.origin) return;
    if (!ports[0] || data?.cobrowse !== "connect") return;
    // Registered first and in the capture phase, so page scripts never see the widget's port.
    event.stopImmediatePropagation();
    removeEventListener("message", onMessage, true);
    onPort(ports[0]);
  };
  addEventListener("message", onMessage, true);
}
