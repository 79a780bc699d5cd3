// Editable regions (`contenteditable`) as plain-text fields (docs/protocol.md, "Form fields").
// Their text is read by a walk of the region: text nodes as they are, a line break for each
// <br> and between blocks. The room's text is written as text only (text nodes and <br>
// elements), never parsed as markup, so nothing a peer types can become HTML on this page.
import { getterOf, uncurry } from "../protocol/captured.js";
import { mapPosition, textDiff } from "../protocol/text-edit.js";
import { localName } from "./natives.js";

const editable = getterOf(HTMLElement.prototype, "isContentEditable");
const parentOf = getterOf(Node.prototype, "parentNode");
const firstChild = getterOf(Node.prototype, "firstChild");
const nextSibling = getterOf(Node.prototype, "nextSibling");
const contains = uncurry(Node.prototype.contains);
const nodeType = getterOf(Node.prototype, "nodeType");
const data = getterOf(CharacterData.prototype, "data");
const replaceData = uncurry(CharacterData.prototype.replaceData);
const replaceChildren = uncurry(Element.prototype.replaceChildren);
const createText = uncurry(Document.prototype.createTextNode);
const createElement = uncurry(Document.prototype.createElement);
const getSelection = uncurry(Document.prototype.getSelection);
const selectionOf = {
  anchorNode: getterOf(Selection.prototype, "anchorNode"),
  anchorOffset: getterOf(Selection.prototype, "anchorOffset"),
  focusNode: getterOf(Selection.prototype, "focusNode"),
  focusOffset: getterOf(Selection.prototype, "focusOffset"),
  setBaseAndExtent: uncurry(Selection.prototype.setBaseAndExtent),
};
const { getComputedStyle } = window;
const TEXT_NODE = Node.TEXT_NODE;
const ELEMENT_NODE = Node.ELEMENT_NODE;
const BLOCKS = new Set(
  [
    "address article aside blockquote dd div dl dt figcaption figure footer form h1 h2 h3 h4",
    "h5 h6 header hr li main nav ol p pre section table tbody thead tfoot tr ul",
  ]
    .join(" ")
    .split(" "),
);
const FORMATTING = /^[ \t]*\n\s*$/; // whitespace between tags, where the region collapses it

/** Whether `element` is an editing host: editable, inside nothing editable. */
export function isEditingHost(element) {
  if (!(element instanceof HTMLElement) || !editable(element)) return false;
  const parent = parentOf(element);
  return !(parent instanceof HTMLElement && editable(parent));
}

/** The region's text and where each of its nodes is in it: {text, spots: [{node, at, len}],
 * starts: Map(node -> position), ends: Map(element -> position)}. */
function walk(host) {
  const collapses = !/^(pre|break-spaces)/.test(getComputedStyle(host).whiteSpace);
  const spots = [];
  const starts = new Map();
  const ends = new Map();
  let text = "";
  let pending = false; // a block started or ended: a line break before what follows
  const add = (piece) => {
    if (pending && text && !text.endsWith("\n")) text += "\n";
    pending = false;
    text += piece;
  };
  const visit = (node) => {
    starts.set(node, text.length);
    const type = nodeType(node);
    if (type === TEXT_NODE) {
      const value = data(node);
      if (collapses && FORMATTING.test(value)) return;
      add("");
      spots.push({ node, at: text.length, len: value.length });
      text += value;
    } else if (type === ELEMENT_NODE) {
      const tag = localName(node);
      if (tag === "br") {
        add("");
        spots.push({ node, at: text.length, len: 1 });
        text += "\n";
        return;
      }
      const block = BLOCKS.has(tag);
      pending ||= block;
      for (let child = firstChild(node); child; child = nextSibling(child)) visit(child);
      pending ||= block;
      ends.set(node, text.length);
    }
  };
  for (let child = firstChild(host); child; child = nextSibling(child)) visit(child);
  ends.set(host, text.length);
  return { text, spots, starts, ends };
}

/** The region's text as shared. */
export const editableText = (host) => walk(host).text;

/** Where the user's selection is in the region's text (`map`, its walk), [anchor, focus], or
 * null when it is not in the region. */
function caretIn(host, map) {
  const selection = getSelection(document);
  const anchor = selection && selectionOf.anchorNode(selection);
  const focus = selection && selectionOf.focusNode(selection);
  if (!anchor || !focus || !contains(host, anchor) || !contains(host, focus)) return null;
  return [
    positionOf(map, anchor, selectionOf.anchorOffset(selection)),
    positionOf(map, focus, selectionOf.focusOffset(selection)),
  ];
}

function positionOf({ spots, starts, ends }, node, offset) {
  if (nodeType(node) === TEXT_NODE) {
    const spot = spots.find((s) => s.node === node);
    return spot ? spot.at + Math.min(offset, spot.len) : (starts.get(node) ?? 0);
  }
  const child = childAt(node, offset);
  return (child ? starts.get(child) : ends.get(node)) ?? 0;
}

function childAt(parent, index) {
  let child = firstChild(parent);
  for (let i = 0; child && i < index; i++) child = nextSibling(child);
  return child;
}

/** `node`'s index among its parent's children; with a parent and null, how many there are. */
function indexOf(node, parent = parentOf(node)) {
  let index = 0;
  for (let child = firstChild(parent); child !== node; child = nextSibling(child)) index++;
  return index;
}

/** The DOM point at `position` of the region's text: [node, offset]. */
function pointAt(host, { spots }, position) {
  for (const { node, at, len } of spots) {
    if (nodeType(node) === TEXT_NODE && position >= at && position <= at + len)
      return [node, position - at];
    if (nodeType(node) !== TEXT_NODE && position === at) return [parentOf(node), indexOf(node)];
  }
  return [host, indexOf(null, host)];
}

/**
 * Show `text` in the region. A change inside one text node edits that node (an editor that
 * watches its DOM sees a small change, and the browser keeps the caret); any other rewrites
 * the region as text and line breaks, and puts back the user's caret where it was in the text.
 */
export function setEditableText(host, text) {
  const map = walk(host);
  const { at, remove, insert } = textDiff(map.text, text);
  const spot = map.spots.find(
    (s) => nodeType(s.node) === TEXT_NODE && s.at <= at && at + remove <= s.at + s.len,
  );
  if (spot && !insert.includes("\n")) {
    replaceData(spot.node, at - spot.at, remove, insert); // the browser moves the caret
    return;
  }
  const lines = text.split("\n");
  const nodes = [];
  lines.forEach((line, i) => {
    if (i) nodes.push(createElement(document, "br"));
    if (line) nodes.push(createText(document, line));
  });
  const caret = caretIn(host, map);
  replaceChildren(host, ...nodes);
  if (!caret) return;
  const after = walk(host);
  const place = (position) => pointAt(host, after, mapPosition(map.text, text, position));
  const [anchor, focus] = caret.map(place);
  selectionOf.setBaseAndExtent(getSelection(document), ...anchor, ...focus);
}
