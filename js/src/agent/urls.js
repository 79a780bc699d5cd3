// Mapping between upstream URLs and proxied ones (docs/protocol.md, "URLs").
//   upstreamMapper: proxied -> upstream, so locators name the same link for participants whose
//                   proxy sessions (tokens) differ.
//   proxyMapper:    upstream (absolute, root-relative, relative) -> proxied, for the runtime.

/**
 * A function mapping an absolute URL under `prefix` ({base_url}cobrowse/proxy/{token}/) to its
 * upstream URL; other URLs are returned unchanged.
 */
export function upstreamMapper(prefix, base) {
  let root = null;
  try {
    root = prefix ? new URL(prefix, base).href : null;
  } catch {
    // no usable prefix: keep URLs as they are
  }
  if (root && !root.endsWith("/")) root += "/";
  const wsRoot = root && root.replace(/^http/, "ws");
  return (url) => {
    let rest;
    if (root && url.startsWith(root)) rest = url.slice(root.length);
    else if (wsRoot && url.startsWith(wsRoot)) rest = url.slice(wsRoot.length);
    else return url;
    const match = /^(https?|wss?)\/([^/?#]+)(.*)$/s.exec(rest);
    return match ? `${match[1]}://${match[2]}${match[3] || "/"}` : url;
  };
}

/**
 * Returns `toProxy(url, ws = false)`: the proxied form of a URL the page uses, or `url` itself when
 * it needs no mapping (other schemes, fragments, URLs already under the prefix, relative URLs that
 * already resolve under it). `root` is the absolute proxy root (ending in "/"), `upstreamBase()`
 * the document's upstream base URL, `nativeBase()` the base the browser itself resolves against.
 * With `ws`, http(s) URLs become ws(s) (the WebSocket constructor accepts both). http(s) results
 * are root-relative paths (absolute with `absolute`), ws(s) results absolute.
 *
 */
export function proxyMapper({ root, upstreamBase, nativeBase, absolute = false }) {
  const proxy = new URL(root);
  const wsRoot = root.replace(/^http/, "ws");
  const wsOrigin = proxy.origin.replace(/^http/, "ws");
  const under = (href) => href.startsWith(root) || href.startsWith(wsRoot);
  const toWs = { http: "ws", https: "wss" };
  const toHttp = { ws: "http", wss: "https" };
  return function toProxy(value, ws = false) {
    if (value === null || value === undefined) return value;
    let text;
    try {
      // What the URL parser ignores: surrounding C0 controls and spaces, inner tabs and newlines.
      text = `${value}`.replace(/^[\0- ]+|[\0- ]+$/g, "").replace(/[\t\n\r]/g, "");
    } catch {
      return value;
    }
    if (!text || text[0] === "#") return value;
    const scheme = /^([a-zA-Z][a-zA-Z0-9+.-]*):/.exec(text);
    if (scheme && !/^(?:https?|wss?)$/i.test(scheme[1])) return value;
    // Rooted: "/" or "\\" (which the URL parser reads as "/"), as is "\\\\host" for "//host".
    const relative = !scheme && !/^[/\\]/.test(text);
    // A dot-dot segment ("..", "%2e.", ...) may climb past the site's root into the prefix.
    const plain = !/(?:\.|%2e){2}/i.test(text);
    // The common cases need no URL parsing: the proxy already rewrote the page's own URLs, and
    // plain relative ones resolve under the prefix by themselves (it keeps upstream paths).
    if (!absolute && plain && (relative || text.startsWith(proxy.pathname))) return value;
    let url;
    let native;
    try {
      url = new URL(text, upstreamBase());
      native = new URL(text, nativeBase()).href;
    } catch {
      return value;
    }
    // Already proxied (written under the prefix, and it stays there once resolved).
    const own = text.startsWith(proxy.pathname) || under(text);
    if (own && under(native)) return absolute ? native : value;
    let name = url.protocol.slice(0, -1);
    if (url.host === proxy.host) {
      // Built from location (the proxy's origin) but meant for the site: rebase on its origin.
      const base = new URL(upstreamBase());
      const upstreamScheme = base.protocol.slice(0, -1);
      name = toHttp[name] ? toWs[upstreamScheme] || upstreamScheme : upstreamScheme;
      url = new URL(url.pathname + url.search + url.hash, base);
    }
    // A relative URL is kept when the browser resolves it to the proxied form of what it means
    // upstream, where ".." stops at the site's root.
    const proxied = (kind) =>
      `${proxy.pathname}${kind}/${url.host}${url.pathname}${url.search}${url.hash}`;
    if (relative && native === proxy.origin + proxied(name)) return absolute ? native : value;
    if (ws && toWs[name]) name = toWs[name];
    const path = proxied(name);
    if (toHttp[name]) return wsOrigin + path;
    return absolute ? proxy.origin + path : path;
  };
}
