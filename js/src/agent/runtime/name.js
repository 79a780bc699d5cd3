// window.name per site. Browsers clear it when a top-level navigation goes to another site; the
// widget's frame is the page's top level but every proxied site shares its origin, so the name
// would carry one site's data to the next. The page sees a stand-in; the frame's real name holds
// a marker, the site that set it and the value, so the next page's agent keeps a value its own
// site set and clears any other. A real name without the marker (written through another realm's
// setter, say) is cleared too: the frame's legitimate initial name is empty. Nested frames keep
// their names across sites, as in browsers, and are left alone.

const MARK = "\u2063cobrowse\u2063";
const { apply } = Reflect;

/** The value a site stored in `raw` (a real window.name), or null when it is not marked. */
function unwrap(raw) {
  if (!raw.startsWith(MARK)) return null;
  const end = raw.indexOf("\n", MARK.length);
  return end < 0 ? null : { site: raw.slice(MARK.length, end), value: raw.slice(end + 1) };
}

/** Installs the stand-in for a page of `site` (scheme and registrable domain). */
export function keepNamePerSite(site) {
  if (window.parent !== window.top) return;
  const descriptor = Object.getOwnPropertyDescriptor(window, "name");
  if (!descriptor?.get || !descriptor.set || !descriptor.configurable) return;
  const { get, set } = descriptor;
  const stored = unwrap(apply(get, window, []));
  let value = stored && stored.site === site ? stored.value : "";
  const store = () => apply(set, window, [value ? `${MARK}${site}\n${value}` : ""]);
  store();
  Object.defineProperty(window, "name", {
    ...descriptor,
    get: new Proxy(get, { apply: () => value }),
    set: new Proxy(set, {
      apply: (_, self, args) => {
        value = `${args[0]}`;
        store();
      },
    }),
  });
}
