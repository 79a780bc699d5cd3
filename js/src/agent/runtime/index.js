// The client runtime: makes a proxied page's own scripts behave as they would at the upstream
// site although the page runs in an opaque origin under a capability URL (docs/protocol.md,
// "Client runtime"). Installed first, in every proxied frame, whether or not a widget connects.
import { proxyMapper, upstreamMapper } from "../urls.js";
import { standInCookie } from "./cookies.js";
import { patchElements } from "./elements.js";
import { patchHistory } from "./history.js";
import { patchNetwork } from "./network.js";
import { keepNamePerSite } from "./name.js";
import { guard } from "./patch.js";
import { stubServiceWorker } from "./service-worker.js";
import { standInStorage } from "./storage.js";

/**
 * Install the runtime for a document whose upstream URL is `url`, proxied under `prefix`, with the
 * non-HttpOnly `cookies` of the session jar. Returns {currentUrl(), onNavigated(listener)}.
 */
export function installRuntime({ url, prefix, cookies }) {
  // A srcdoc document is at about:srcdoc; its URLs resolve against its page's (proxied) base.
  const here = location.protocol === "about:" ? document.baseURI : location.href;
  let root = new URL(prefix || "/", here).href;
  if (!root.endsWith("/")) root += "/";
  const toUpstream = upstreamMapper(prefix, here);
  // Proxied documents map back to upstream; anything else (about:srcdoc, a test page) uses `url`.
  const upstreamBase = () => {
    const base = document.baseURI;
    const upstream = toUpstream(base);
    return upstream !== base ? upstream : url || base;
  };
  const currentUrl = () => {
    const upstream = toUpstream(location.href);
    if (upstream !== location.href || !url) return upstream;
    return url.replace(/#.*$/s, "") + location.hash;
  };
  const toProxy = prefix
    ? proxyMapper({ root, upstreamBase, nativeBase: () => document.baseURI })
    : (value) => value; // no prefix: nothing to map against

  let onNavigated = () => {};
  guard("network", () => patchNetwork({ toProxy, root, upstreamBase }));
  guard("elements", () => patchElements({ toProxy }));
  guard("history", () => (onNavigated = patchHistory({ toProxy, currentUrl })));
  const endpoint = `${root}_/cookie`;
  guard("cookie", () => standInCookie({ initial: cookies, endpoint, currentUrl }));
  guard("storage", standInStorage);
  guard("serviceWorker", stubServiceWorker);
  guard("name", () => keepNamePerSite(document.currentScript?.dataset.cobrowseSite ?? ""));
  return { currentUrl, onNavigated: (listener) => onNavigated(listener) };
}
