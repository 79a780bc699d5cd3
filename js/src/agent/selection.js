// Text selection: the page text the user selects, reported as two text points (an element's
// locator and a character offset into its text), and others' selections drawn over the page in
// their colour. Text in fields and editable regions is the participant's own: never reported.
import { blockOf } from "./layout.js";
import { labelled, overlayMarks } from "./overlay.js";
import * as n from "./natives.js";
import { MAX_SELECTION_BOXES } from "../protocol/limits.js";

/** Reports the user's selection (`{start, end}`, or null when there is none) each time it may
 * have changed by their hand: after their own pointer or key goes up. A page script that
 * selects text does not speak for the user. */
export function trackSelection({ send, describe }) {
  let last = "null";
  const report = () => {
    const selection = readSelection(describe);
    const json = JSON.stringify(selection);
    if (json === last) return;
    last = json;
    send(selection);
  };
  for (const type of ["pointerup", "keyup"]) {
    n.listen(window, type, (event) => n.isTrusted(event) && setTimeout(report), true);
  }
}

function readSelection(describe) {
  const selection = getSelection();
  if (!selection || selection.isCollapsed || selection.rangeCount === 0) return null;
  const range = selection.getRangeAt(0);
  const start = pointOf(range.startContainer, range.startOffset, describe);
  const end = start && pointOf(range.endContainer, range.endOffset, describe);
  return end ? { start, end } : null;
}

const EDITABLE = "input, textarea, select, [contenteditable]:not([contenteditable=false])";

function pointOf(node, offset, describe) {
  const element = node instanceof Element ? node : node.parentElement;
  if (!element || element.isContentEditable || n.closest(element, EDITABLE)) return null;
  const block = blockOf(element);
  const before = document.createRange();
  before.setStart(block, 0);
  before.setEnd(node, offset);
  return { locator: describe(block), offset: before.toString().length };
}

/** The text position `offset` characters into `element`'s text, as [node, offset]. */
function positionIn(element, offset) {
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT);
  let left = offset;
  let last = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (left <= node.data.length) return [node, left];
    left -= node.data.length;
    last = node;
  }
  return last ? [last, last.data.length] : [element, element.childNodes.length];
}

/** Returns `draw(marks)`: others' selections ({id, name, color, selection}, checked). */
export function remoteSelections(resolve) {
  return overlayMarks({
    make: () => ({ ...labelled("selection"), key: "", range: null }),
    update(entry, { name, color, selection }) {
      const key = JSON.stringify(selection);
      if (key !== entry.key) {
        entry.key = key;
        entry.range = rangeOf(selection, resolve); // resolved once per change
      }
      entry.node.style.setProperty("--color", color);
      n.setText(entry.label, name);
    },
    place({ node, label, range }, origin) {
      const rects = range ? Array.from(range.getClientRects()).slice(0, MAX_SELECTION_BOXES) : [];
      const boxes = rects.filter((rect) => rect.width > 0 && rect.height > 0);
      node.replaceChildren(label, ...boxes.map((rect) => box(rect, origin)));
      node.hidden = boxes.length === 0;
      if (boxes.length) {
        const x = boxes[0].left - origin.left;
        const y = boxes[0].top - origin.top;
        label.style.transform = `translate(${x}px, ${y}px) translateY(-100%)`;
      }
    },
  });
}

function box(rect, origin) {
  const div = document.createElement("div");
  div.style.transform = `translate(${rect.left - origin.left}px, ${rect.top - origin.top}px)`;
  div.style.width = `${rect.width}px`;
  div.style.height = `${rect.height}px`;
  return div;
}

/** A Range for a checked selection on this page, or null when either end is not here. */
function rangeOf({ start, end }, resolve) {
  const from = resolve(start.locator);
  const to = resolve(end.locator);
  if (!from || !to) return null;
  const range = document.createRange();
  try {
    range.setStart(...positionIn(from, start.offset));
    range.setEnd(...positionIn(to, end.offset));
  } catch {
    return null; // ends that do not make a range on this page
  }
  return range.collapsed ? null : range;
}
