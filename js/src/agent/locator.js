// Layered element identity (docs/protocol.md, "Locator"): describe an element on one copy of a page
// and find the same element on another copy whose layout, ids or content may differ a little.
// Two copies of an app page differ in generated ids (React's `:r1:`, `component-12`, `ember123`),
// in wrappers a framework inserts (toasts, toolbars), in hashed class names and in the text of
// containers whose content changed (an open dropdown, a timer): no single feature is trusted, every
// element of the same tag is scored on all of them, and the best plausible one wins.
// Pure DOM logic: no module state, the document and the URL mapping are passed in.

import { LOCATOR_ATTRIBUTES } from "../protocol/limits.js";

// Attributes compared (the protocol's list, which also bounds what peers send), with the weight
// of a match (and of a mismatch): 3 unless said here.
const ATTRIBUTES = Object.keys(LOCATOR_ATTRIBUTES);
const WEIGHTS = { title: 2, for: 2, type: 2, role: 1 };
const URL_ATTRIBUTES = new Set(["href", "src"]);
const REFERENCES = new Set(["for"]); // hold an id: useless when the id is generated
const DEFAULT_TYPES = { input: "text", button: "submit" }; // a type that says nothing
const SHADOW = "#shadow-root"; // a path step into an element's open shadow root
const TEXT_LENGTH = 40;
const MAX_VALUE = 512; // longer ids and attributes (data: URLs...) are not worth comparing
const MAX_CLASSES = 200; // characters of stable class names kept
const SCAN_LIMIT = 3000; // elements of one tag examined when resolving
const MIN_SCORE = 1; // below this, nothing on the page is plausibly the element
const BAND = 4; // wrappers told apart when comparing paths
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

/**
 * Whether an id or class name looks made by a framework rather than written by the page's author:
 * React's useId (`:r1:`, `«r1»`), counters (`component-12`, `ember123`, `mui-123`, `range_id_0`)
 * and hashes (`svelte-1ipelgc`, `css-1x2y3z`, `Button_root__a1b2c`'s suffix). Such names differ between two copies of a page, or
 * name another element there.
 */
export function looksGenerated(value) {
  if (/[:\u00ab\u00bb]/.test(value) || /^(svelte|css|jsx|sc|emotion)-/.test(value)) return true;
  return value
    .split(/[-_.]+/)
    .some(
      (part, i) =>
        /\d{3,}/.test(part) ||
        (i > 0 && /^\d+$/.test(part)) ||
        (part.length >= 5 && /\d/.test(part) && /[a-z]/i.test(part)),
    );
}

/** Describe `element` so that `resolve` can find it again. `mapUrl` turns href/src into upstream URLs. */
export function describe(element, mapUrl = identity) {
  const locator = { path: pathOf(element) };
  const { id } = element;
  if (id && id.length <= MAX_VALUE && isUniqueId(element, id)) locator.id = id;
  const attrs = {};
  for (const name of ATTRIBUTES) {
    const value = attributeOf(element, name, mapUrl);
    if (value) attrs[name] = value;
  }
  if (Object.keys(attrs).length) locator.attrs = attrs;
  const classes = classesOf(element);
  if (classes) locator.classes = classes;
  const label = labelOf(element);
  if (label) locator.label = label;
  const text = fingerprint(element);
  if (text) locator.text = text;
  return locator;
}

/** The element of `doc` that best matches `locator`, or null when nothing plausible does. */
export function resolve(locator, doc, mapUrl = identity) {
  const { path } = locator;
  const tag = path.length ? path[path.length - 1][0] : "body";
  const candidates = new Set();
  for (const scope of scopesOf(path, doc)) {
    for (const element of scan(scope, tag)) candidates.add(element);
    if (locator.id) candidates.add(scope.getElementById(locator.id));
  }
  candidates.add(walk(doc, path));
  candidates.delete(null);
  // What the candidates share: their siblings' indices, and class names seen before.
  const seen = { indices: new Map(), classes: new Map() };
  let best = null;
  let bestScore = MIN_SCORE;
  for (const element of [...candidates].slice(0, SCAN_LIMIT)) {
    const score = scoreOf(element, locator, tag, mapUrl, seen);
    if (score > bestScore) [best, bestScore] = [element, score];
  }
  return best;
}

/** The document, or the open shadow roots of hosts like the element's, that it may live in. */
function scopesOf(path, doc) {
  const last = path.map(([tag]) => tag).lastIndexOf(SHADOW);
  if (last < 1) return [doc];
  const hosts = scopesOf(path.slice(0, last - 1), doc).flatMap((scope) =>
    scan(scope, path[last - 1][0]),
  );
  return hosts.flatMap((host) => host.shadowRoot ?? []).slice(0, SCAN_LIMIT);
}

/** Evidence that `element` is the one described, from every feature; positive when plausible. */
function scoreOf(element, locator, tag, mapUrl, seen) {
  let score = Math.max(-2, 2 - distance(locator.path, pathOf(element, seen.indices)));
  if (element.localName !== tag) score -= 4;
  if (locator.id && element.id === locator.id) score += looksGenerated(locator.id) ? 1 : 8;
  for (const [name, value] of Object.entries(locator.attrs ?? {})) {
    const known = Object.hasOwn(LOCATOR_ATTRIBUTES, name); // only the protocol's names count
    const weight = known ? (WEIGHTS[name] ?? 3) : 0;
    score += attributeOf(element, name, mapUrl) === value ? weight : -weight;
  }
  if (locator.classes) {
    const key = element.getAttribute("class") ?? "";
    if (!seen.classes.has(key)) seen.classes.set(key, classesOf(element));
    score += 3 * overlap(locator.classes, seen.classes.get(key)) - 1;
  }
  if (locator.label) {
    const label = labelOf(element);
    score += label === locator.label ? 3 : label ? -3 : -1;
  }
  return score + textScore(locator.text, fingerprint(element));
}

/**
 * Same text: +4. Text that one of them continues, or that holds the other's first words (a container
 * whose content changed in part: an open dropdown, a new message, a link added first): +1.
 * Other text: -5, a different element.
 */
function textScore(want, have) {
  if (!want) return have ? -1 : 0;
  if (want === have) return 4;
  if (!have) return -2;
  return holdsStartOf(want, have) || holdsStartOf(have, want) ? 1 : -5;
}

/** Whether `text` starts with all of `other` or contains its first words (two or three). */
function holdsStartOf(text, other) {
  const words = other.split(" ").slice(0, 3);
  return (
    ` ${text}`.startsWith(` ${other} `) ||
    (words.length >= 2 && ` ${text} `.includes(` ${words.join(" ")} `))
  );
}

/** Dice coefficient of the space-separated words of `a` and `b`, 0..1. */
function overlap(a, b) {
  const left = new Set(a.split(" ").filter(Boolean));
  const right = new Set(b.split(" ").filter(Boolean));
  if (!left.size || !right.size) return 0;
  let common = 0;
  for (const word of left) if (right.has(word)) common += 1;
  return (2 * common) / (left.size + right.size);
}

/**
 * How far apart two paths are (an edit distance), 0 for the same path: a step at another index (a
 * sibling was inserted before it) costs 1/2, a step on one side only (a wrapper) or with another tag
 * costs 1. Paths more than BAND wrappers apart are far: the work stays linear in the depth.
 */
function distance(a, b) {
  if (Math.abs(a.length - b.length) > BAND) return Infinity;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => (j <= BAND ? j : Infinity));
  for (let i = 1; i <= a.length; i++) {
    const row = new Array(b.length + 1).fill(Infinity);
    if (i <= BAND) row[0] = i;
    const [tag, index] = a[i - 1];
    for (let j = Math.max(1, i - BAND); j <= Math.min(b.length, i + BAND); j++) {
      const step = tag !== b[j - 1][0] ? 1 : index !== b[j - 1][1] ? 0.5 : 0;
      row[j] = Math.min(previous[j - 1] + step, previous[j] + 1, row[j - 1] + 1);
    }
    previous = row;
  }
  return previous[b.length];
}

/**
 * [tag, index among same-tag siblings] steps from <body>, through open shadow roots. `indices`
 * remembers the index of elements already seen, so that paths of many siblings cost linear time.
 */
function pathOf(element, indices = new Map()) {
  const { body } = element.ownerDocument;
  const path = [];
  for (let node = element; node !== body;) {
    path.push([node.localName, indexOf(node, indices)]);
    if (node.parentElement) {
      node = node.parentElement;
      continue;
    }
    const root = node.parentNode;
    if (!root?.host || root.mode !== "open") return []; // not inside <body>
    path.push([SHADOW, 0]);
    node = root.host;
  }
  return path.reverse();
}

function indexOf(node, indices) {
  let index = 0;
  for (let sibling = node.previousElementSibling; sibling;) {
    if (sibling.localName === node.localName) {
      const known = indices.get(sibling);
      if (known !== undefined) {
        index += known + 1;
        break;
      }
      index += 1;
    }
    sibling = sibling.previousElementSibling;
  }
  indices.set(node, index);
  return index;
}

function walk(doc, path) {
  let node = doc.body;
  for (const [tag, index] of path) {
    if (!node) return null;
    if (tag === SHADOW) {
      node = node.shadowRoot;
      continue;
    }
    let seen = -1;
    node = [...node.children].find((child) => child.localName === tag && ++seen === index) ?? null;
  }
  return node?.nodeType === Node.ELEMENT_NODE ? node : null;
}

function scan(scope, tag) {
  const found = scope.querySelectorAll(CSS.escape(tag));
  const limit = Math.min(found.length, SCAN_LIMIT);
  const elements = [];
  for (let i = 0; i < limit; i++) elements.push(found[i]);
  return elements;
}

function isUniqueId(element, id) {
  return element.getRootNode().querySelectorAll(`[id="${CSS.escape(id)}"]`).length === 1;
}

function attributeOf(element, name, mapUrl) {
  let value = element.getAttribute(name);
  if (!value || (REFERENCES.has(name) && looksGenerated(value))) return null;
  if (name === "type" && value.toLowerCase() === DEFAULT_TYPES[element.localName]) return null;
  if (URL_ATTRIBUTES.has(name)) {
    try {
      value = mapUrl(new URL(value, element.baseURI).href);
    } catch {
      // not a URL: compare it as written
    }
  }
  return value.length <= MAX_VALUE ? value : null;
}

/** The element's class names that survive a rebuild: hashed and counted ones are left out. */
function classesOf(element) {
  let classes = "";
  for (const token of element.classList) {
    // CSS modules: `Button_root__a1b2c` keeps `Button_root`.
    const [, base, suffix] = /^(.+?)__([A-Za-z0-9-]+)$/.exec(token) ?? [];
    const name = base && looksGenerated(suffix) ? base : token;
    if (looksGenerated(name) || ` ${classes} `.includes(` ${name} `)) continue;
    const next = classes ? `${classes} ${name}` : name;
    if (next.length > MAX_CLASSES) break;
    classes = next;
  }
  return classes;
}

/** The text of the element's first <label> (inputs, selects, textareas...), "" when none. */
function labelOf(element) {
  const label = element.labels?.[0];
  return label ? fingerprint(label) : "";
}

/** The first element a CSS selector from Python matches (checked there; a browser may still
 * not read it: then none). */
export function bySelector(selector) {
  try {
    return document.querySelector(selector);
  } catch {
    return null;
  }
}
