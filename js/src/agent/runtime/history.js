// Same-document navigation: pushState/replaceState URLs are mapped, and every change of the
// document's upstream URL without a page load (pushState, replaceState, hashchange, popstate) is
// reported to `listeners` as {url, title}, once per distinct URL.
import { guard, wrapFunction } from "./patch.js";

export function patchHistory({ toProxy, currentUrl }) {
  const listeners = new Set();
  let last = currentUrl();
  let timer = 0;
  const changed = () => {
    // A tick later, so that a title set right after pushState (as routers do) is included.
    clearTimeout(timer);
    timer = setTimeout(() => {
      const url = currentUrl();
      if (url === last) return;
      last = url;
      for (const listener of listeners) listener({ url, title: document.title });
    });
  };
  for (const name of ["pushState", "replaceState"]) {
    guard(`history.${name}`, () =>
      wrapFunction(History.prototype, name, (target, self, args) => {
        if (args.length > 2 && args[2] != null) args[2] = toProxy(args[2]);
        const result = Reflect.apply(target, self, args);
        changed();
        return result;
      }),
    );
  }
  addEventListener("hashchange", changed);
  addEventListener("popstate", changed);
  return (listener) => listeners.add(listener);
}
