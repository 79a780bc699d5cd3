// document.cookie throws in the sandbox (opaque origin). The stand-in is a local view of the
// session jar's non-HttpOnly cookies for this document, handed over by the proxy in the agent
// tag's data-cobrowse-cookies; assignments update the view at once and go to the jar as
// text/plain POSTs to {prefix}_/cookie?url={upstream URL} (body: the cookie string, as in
// Set-Cookie), one at a time so that the jar applies them in the page's order.
// Limits: the view ignores Path/Domain scoping after load, and frames do not see each other's
// assignments until they reload.

export function standInCookie({ initial, endpoint, currentUrl }) {
  try {
    void document.cookie;
    return; // cookies work here (not sandboxed): leave them alone
  } catch {
    // SecurityError in the sandbox: stand in
  }
  const jar = new Map();
  for (const pair of (initial ?? "").split(";")) {
    const cookie = parsePair(pair);
    if (cookie) jar.set(cookie.name, cookie.value);
  }
  const send = orderedSender();
  Object.defineProperty(Document.prototype, "cookie", {
    configurable: true,
    enumerable: true,
    get() {
      return [...jar].map(([name, value]) => (name ? `${name}=${value}` : value)).join("; ");
    },
    set(value) {
      const text = `${value}`;
      const cookie = parseCookie(text);
      if (!cookie) return;
      if (cookie.expired) jar.delete(cookie.name);
      else jar.set(cookie.name, cookie.value);
      send(`${endpoint}?url=${encodeURIComponent(currentUrl())}`, text);
    },
  });
}

/**
 * `send(url, body)`: POSTs that reach the server in call order (beacons may overtake each other).
 * Keepalive requests outlive the page; what is still queued when it goes is sent as beacons.
 */
function orderedSender() {
  const nativeFetch = window.fetch;
  const sendBeacon = Navigator.prototype.sendBeacon;
  const queue = [];
  let busy = false;
  const next = () => {
    const item = queue.shift();
    busy = Boolean(item);
    if (!item) return;
    const options = { method: "POST", body: item.body, keepalive: true, mode: "no-cors" };
    nativeFetch(item.url, options)
      .catch(() => {})
      .finally(next);
  };
  addEventListener("pagehide", () => {
    for (const { url, body } of queue.splice(0)) {
      try {
        sendBeacon.call(navigator, url, body);
      } catch {
        // the local view was updated; the jar misses this one
      }
    }
  });
  return (url, body) => {
    queue.push({ url, body });
    if (!busy) next();
  };
}

function parsePair(text) {
  const eq = text.indexOf("=");
  const name = eq < 0 ? "" : text.slice(0, eq).trim();
  const value = (eq < 0 ? text : text.slice(eq + 1)).trim();
  return name || value ? { name, value } : null;
}

/** {name, value, expired} of one `document.cookie = ...` assignment; null if it sets nothing. */
export function parseCookie(text) {
  const [pair, ...attributes] = text.split(";");
  const cookie = parsePair(pair);
  if (!cookie) return null;
  let maxAge = null;
  let expires = null;
  for (const attribute of attributes) {
    const eq = attribute.indexOf("=");
    const key = (eq < 0 ? attribute : attribute.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? "" : attribute.slice(eq + 1).trim();
    if (key === "httponly") return null; // scripts cannot set HttpOnly cookies
    if (key === "max-age" && /^-?\d+$/.test(value)) maxAge = Number(value);
    if (key === "expires" && !Number.isNaN(Date.parse(value))) expires = Date.parse(value);
  }
  // Max-Age wins over Expires.
  cookie.expired = maxAge !== null ? maxAge <= 0 : expires !== null && expires <= Date.now();
  return cookie;
}
