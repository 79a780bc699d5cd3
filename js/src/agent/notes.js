// Notes pinned on the page by participants: a pin in the author's colour where they clicked,
// with their name and text beside it, kept on its element as the page scrolls and reflows.
import { scroller } from "./layout.js";
import { labelled, overlayMarks } from "./overlay.js";
import * as n from "./natives.js";

/** Returns `draw(marks)`: the notes on this page ({id, name, color, at, text}, checked). */
export function remoteNotes(resolve) {
  return overlayMarks({
    make: () => ({ ...labelled("note"), key: "", element: null, at: null }),
    update(entry, { name, color, at, text }) {
      const key = JSON.stringify(at.locator);
      if (key !== entry.key) {
        entry.key = key;
        entry.element = at.locator && resolve(at.locator);
      }
      entry.at = at;
      entry.node.style.setProperty("--color", color);
      n.setText(entry.label, `${name}: ${text}`);
    },
    place({ node, element, at }, origin) {
      let x;
      let y;
      if (element?.isConnected && element.getClientRects().length) {
        const box = element.getBoundingClientRect();
        [x, y] = [box.left + at.rx * box.width, box.top + at.ry * box.height];
      } else {
        const root = scroller(); // not on this page as it is: where it was in the document
        [x, y] = [at.fx * root.scrollWidth - scrollX, at.fy * root.scrollHeight - scrollY];
      }
      node.style.transform = `translate(${x - origin.left}px, ${y - origin.top}px)`;
    },
  });
}
