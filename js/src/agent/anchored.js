// Marks anchored where a PointerPosition says (notes, strokes): kept on their element as the
// page scrolls and reflows, or where they were in the document when that element is not here.
import { scroller } from "./layout.js";

/** Takes `at` into `entry`, resolving its element again only when its locator changed. */
export function anchorAt(entry, at, resolve) {
  const key = JSON.stringify(at.locator);
  if (key !== entry.key) {
    entry.key = key;
    entry.element = at.locator && resolve(at.locator);
  }
  entry.at = at;
}

/** Where `entry.at` is in the viewport: `{x, y, box}`, `box` its element's box, or null when the
 * element is not on this page as it is (then the point is where it was in the document). */
export function anchorPoint({ element, at }) {
  if (element?.isConnected && element.getClientRects().length) {
    const box = element.getBoundingClientRect();
    return { x: box.left + at.rx * box.width, y: box.top + at.ry * box.height, box };
  }
  const root = scroller();
  return {
    x: at.fx * root.scrollWidth - scrollX,
    y: at.fy * root.scrollHeight - scrollY,
    box: null,
  };
}
