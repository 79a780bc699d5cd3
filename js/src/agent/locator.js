// Layered element identity (docs/protocol.md, "Locator"): describe an element on one copy of a page
// and find the same element on another copy whose layout, ids or content may differ a little.
// Pure DOM logic: no module state, the document and the URL mapping are passed in.

const ATTRIBUTES = ["name", "aria-label", "href", "src"];
const URL_ATTRIBUTES = new Set(["href", "src"]);
const TEXT_LENGTH = 40;
const MAX_VALUE = 512; // longer ids and attributes (data: URLs...) are not worth comparing
const SCAN_LIMIT = 3000; // elements of one tag examined when searching by attribute or text
const identity = (url) => url;

/** The first ~40 characters of an element's text, whitespace-normalised ("" when it has none). */
export function fingerprint(element) {
  const walker = element.ownerDocument.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  let text = "";
  while (text.length <= TEXT_LENGTH && walker.nextNode()) {
    const node = walker.currentNode;
    if (node.parentElement?.closest("script, style, noscript, template")) continue;
    const start = node.data.search(/\S/);
    if (start < 0) {
      text += " ";
      continue;
    }
    text = `${text}${start > 0 ? " " : ""}${node.data.slice(start, start + 2 * TEXT_LENGTH)}`
      .replace(/\s+/g, " ")
      .trimStart();
  }
  return text.slice(0, TEXT_LENGTH).trim();
}

/** Describe `element` so that `resolve` can find it again. `mapUrl` turns href/src into upstream URLs. */
export function describe(element, mapUrl = identity) {
  const locator = { path: pathOf(element) };
  const { id } = element;
  if (id && id.length <= MAX_VALUE && isUniqueId(element.ownerDocument, id)) locator.id = id;
  const attrs = {};
  for (const name of ATTRIBUTES) {
    const value = attributeOf(element, name, mapUrl);
    if (value) attrs[name] = value;
  }
  if (Object.keys(attrs).length) locator.attrs = attrs;
  const text = fingerprint(element);
  if (text) locator.text = text;
  return locator;
}

/** The element of `doc` that best matches `locator`, or null when nothing plausible does. */
export function resolve(locator, doc, mapUrl = identity) {
  const { path } = locator;
  const tag = path.length ? path[path.length - 1][0] : "body";
  const atPath = walk(doc, path);
  const candidates = new Set();
  if (locator.id) candidates.add(doc.getElementById(locator.id));
  candidates.add(atPath);
  if (locator.attrs) {
    for (const element of scan(doc, tag)) {
      if (Object.keys(locator.attrs).some((name) => attributeOf(element, name, mapUrl))) {
        candidates.add(element);
      }
    }
  }
  candidates.delete(null);
  const score = (element) => scoreOf(element, locator, tag, atPath, mapUrl);
  const best = bestOf(candidates, score);
  if (best || !locator.text) return best;
  // The element moved (content inserted above it, say): look for its text among its kind.
  return bestOf(
    scan(doc, tag).filter((element) => fingerprint(element) === locator.text),
    score,
  );
}

function scoreOf(element, locator, tag, atPath, mapUrl) {
  let score = element === atPath ? 2 : 0;
  if (locator.id && element.id === locator.id) score += 8;
  if (element.localName !== tag) score -= 4;
  for (const [name, value] of Object.entries(locator.attrs ?? {})) {
    score += attributeOf(element, name, mapUrl) === value ? 3 : -3;
  }
  const text = fingerprint(element);
  if (locator.text) score += text === locator.text ? 4 : -4;
  else if (text) score -= 1;
  return score;
}

/** The highest-scoring candidate if its score is positive; ties go to the earliest candidate. */
function bestOf(candidates, score) {
  let best = null;
  let bestScore = 0;
  for (const element of candidates) {
    const value = score(element);
    if (value > bestScore) [best, bestScore] = [element, value];
  }
  return best;
}

function pathOf(element) {
  const { body } = element.ownerDocument;
  const path = [];
  for (let node = element; node !== body; node = node.parentElement) {
    if (!node.parentElement) return []; // not inside <body>
    let index = 0;
    for (
      let sibling = node.previousElementSibling;
      sibling;
      sibling = sibling.previousElementSibling
    ) {
      if (sibling.localName === node.localName) index += 1;
    }
    path.push([node.localName, index]);
  }
  return path.reverse();
}

function walk(doc, path) {
  let node = doc.body;
  for (const [tag, index] of path) {
    if (!node) return null;
    let seen = -1;
    node = [...node.children].find((child) => child.localName === tag && ++seen === index) ?? null;
  }
  return node;
}

function scan(doc, tag) {
  return [...doc.getElementsByTagName(tag)].slice(0, SCAN_LIMIT);
}

function isUniqueId(doc, id) {
  return doc.querySelectorAll(`[id="${CSS.escape(id)}"]`).length === 1;
}

function attributeOf(element, name, mapUrl) {
  let value = element.getAttribute(name);
  if (!value) return null;
  if (URL_ATTRIBUTES.has(name)) {
    try {
      value = mapUrl(new URL(value, element.baseURI).href);
    } catch {
      // not a URL: compare it as written
    }
  }
  return value.length <= MAX_VALUE ? value : null;
}
