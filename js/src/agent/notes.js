// Notes pinned on the page by participants: a pin in the author's colour where they clicked,
// with their name and text beside it, kept on its element as the page scrolls and reflows.
import { anchorAt, anchorPoint } from "./anchored.js";
import { labelled, overlayMarks } from "./overlay.js";
import * as n from "./natives.js";

/** Returns `draw(marks)`: the notes on this page ({id, name, color, at, text}, checked). */
export function remoteNotes(resolve) {
  return overlayMarks({
    make: () => ({ ...labelled("note"), key: "", element: null, at: null }),
    update(entry, { name, color, at, text }) {
      anchorAt(entry, at, resolve);
      entry.node.style.setProperty("--color", color);
      n.setText(entry.label, `${name}: ${text}`);
    },
    place(entry, origin) {
      const { x, y } = anchorPoint(entry);
      entry.node.style.transform = `translate(${x - origin.left}px, ${y - origin.top}px)`;
    },
  });
}
