// URL attributes of elements, and their rewriting in HTML strings the page hands to the DOM
// (innerHTML, insertAdjacentHTML, document.write, srcdoc). Strings are rewritten in place with a
// tag/attribute scanner, not re-serialised, so everything but the mapped values stays byte for byte
// (document.write may pass half a tag; a parse-and-serialise round trip would change its meaning).

// Which attributes of which elements hold URLs is one table, jupyter_ext/rewrite/url_attributes.json
// (the proxy's rewriter and the benchmark read it): these are its entries with `dom` elements, and
// tests/test_url_attributes.py fails when the two disagree. Not imported from there: the browser
// tests load these sources unbundled, where a JSON module needs an import attribute that the lint
// config's ECMAScript 2022 cannot parse. DOM properties (img.srcset, HTMLLinkElement.imageSrcset...)
// are their own list in elements.js.
const SVG_HREF =
  "a image use feimage script pattern textpath mpath lineargradient radialgradient filter";
export const ATTRIBUTES = {
  href: ["url", `area link base ${SVG_HREF}`],
  src: ["url", "img script iframe frame embed source track audio video input"],
  srcset: ["srcset", "img source"],
  imagesrcset: ["srcset", "link"],
  action: ["url", "form"],
  formaction: ["url", "button input"],
  poster: ["url", "video"],
  data: ["url", "object"],
  background: ["url", "body table td th"],
  ping: ["list", "a area"],
  srcdoc: ["html", "iframe"],
  "xlink:href": ["url", "*"],
};
const TABLE = new Map(
  Object.entries(ATTRIBUTES).map(([name, [kind, tags]]) => [
    name,
    { kind, tags: new Set(tags.split(" ")) },
  ]),
);

/** The names of all URL attributes (for a MutationObserver's attributeFilter). */
export const URL_ATTRIBUTES = [...TABLE.keys()].filter((name) => !name.includes(":"));

/** "url", "srcset", "list", "html" or null: how attribute `name` of a `tag` element holds URLs. */
export function urlKind(tag, name) {
  const entry = TABLE.get(name.toLowerCase());
  return entry && (entry.tags.has("*") || entry.tags.has(tag.toLowerCase())) ? entry.kind : null;
}

/** Returns `mapValue(kind, value)`, which applies `toProxy` to every URL in an attribute value. */
export function valueMapper(toProxy) {
  const mapValue = (kind, value) => {
    if (kind === "url") return toProxy(value);
    if (value === null || value === undefined) return value;
    if (kind === "html") return typeof value === "string" ? rewriteHtml(value, mapValue) : value;
    const text = `${value}`;
    const mapped = kind === "srcset" ? mapSrcset(text, toProxy) : mapList(text, toProxy);
    return mapped === text ? value : mapped;
  };
  return mapValue;
}

// Markup without one of these names followed by `=` has no URL attribute to map.
const HINT = new RegExp(`(?:${URL_ATTRIBUTES.join("|")})\\s*=`, "i");
const TAG = /<([a-zA-Z][^\s/>]*)((?:[^>"']|"[^"]*"|'[^']*')*)>/g;
const ATTR = /([\s/])([^\s"'>/=]+)(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'>]+)/g;

/** `html` with the URL attributes of its tags mapped by `mapValue(kind, value)`. */
export function rewriteHtml(html, mapValue) {
  if (!HINT.test(html)) return html;
  return html.replace(TAG, (tag, name, attrs) => {
    const rewritten = attrs.replace(ATTR, (match, space, attr, equals, raw) => {
      const kind = urlKind(name, attr);
      if (!kind) return match;
      const quote = raw[0] === '"' || raw[0] === "'" ? raw[0] : "";
      const value = decode(quote ? raw.slice(1, -1) : raw);
      const mapped = mapValue(kind, value);
      if (mapped === value || typeof mapped !== "string") return match;
      return `${space}${attr}${equals}"${mapped.replace(/&/g, "&amp;").replace(/"/g, "&quot;")}"`;
    });
    return rewritten === attrs ? tag : `<${name}${rewritten}>`;
  });
}

const ENTITIES = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };
const ENTITY = /&(?:#x([0-9a-f]+)|#(\d+)|(amp|lt|gt|quot|apos));?/gi;

function decode(text) {
  if (!text.includes("&")) return text;
  return text.replace(ENTITY, (match, hex, dec, name) => {
    if (name) return ENTITIES[name.toLowerCase()];
    const code = hex ? parseInt(hex, 16) : Number(dec);
    return code > 0 && code <= 0x10ffff ? String.fromCodePoint(code) : match;
  });
}

/** A srcset with each candidate's URL mapped (URLs may contain commas: data: URLs). */
export function mapSrcset(text, toProxy) {
  let out = "";
  let i = 0;
  while (i < text.length) {
    let j = i;
    while (j < text.length && /[\s,]/.test(text[j])) j += 1;
    out += text.slice(i, j);
    i = j;
    if (i >= text.length) break;
    while (j < text.length && !/\s/.test(text[j])) j += 1;
    let url = text.slice(i, j);
    const commas = /,+$/.exec(url)?.[0] ?? "";
    url = url.slice(0, url.length - commas.length);
    out += `${toProxy(url)}${commas}`;
    i = j;
    if (commas) continue;
    let depth = 0; // descriptors run to the next comma outside parentheses
    while (j < text.length && (text[j] !== "," || depth)) {
      if (text[j] === "(") depth += 1;
      else if (text[j] === ")") depth = Math.max(0, depth - 1);
      j += 1;
    }
    out += text.slice(i, j);
    i = j;
  }
  return out;
}

/** A space-separated list of URLs (ping) with each mapped. */
function mapList(text, toProxy) {
  return text.replace(/[^\s]+/g, (url) => toProxy(url));
}
