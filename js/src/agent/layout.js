// Small layout helpers shared by scroll anchors and pointers.

export const clamp01 = (value) => Math.min(1, Math.max(0, value));

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
