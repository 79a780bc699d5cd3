// Small layout helpers shared by scroll anchors and pointers.

const clamp01 = (value) => Math.min(1, Math.max(0, value));

/** A fraction in [0, 1] to four places (as live messages carry it): a tenth of a pixel on a
 * 1000-pixel element, in few bytes. */
export const short = (value) => Math.round(clamp01(value) * 1e4) / 1e4;

/** The element that scrolls the document. */
export const scroller = () => document.scrollingElement ?? document.documentElement;

/** `element`, or its nearest ancestor that is not inline: the box a position is measured against. */
export function blockOf(element) {
  let node = element;
  while (node.parentElement && node !== document.body && isInline(node)) node = node.parentElement;
  return node;
}

function isInline(element) {
  const { display } = getComputedStyle(element);
  return display === "inline" || display === "contents";
}
