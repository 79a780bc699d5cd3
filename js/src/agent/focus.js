// Focus: which element each participant is in (a field they type in, a button they tabbed to),
// reported by locator and drawn on others' pages as an outline in their colour with their name.
import { labelled, overlayMarks } from "./overlay.js";
import * as n from "./natives.js";

/** Reports the element the user focuses (a locator), and null when focus leaves the page: only
 * the browser's own (trusted) focus events, not ones a page script or the agent dispatches. */
export function trackFocus({ send, describe }) {
  n.listen(
    window,
    "focusin",
    (event) => {
      if (!n.isTrusted(event)) return;
      const target = n.composedPath(event)[0];
      if (!(target instanceof Element) || target === document.body) return;
      const locator = describe(target);
      if (target.isContentEditable) delete locator.text; // what they typed there is theirs
      send(locator);
    },
    true,
  );
  n.listen(
    window,
    "focusout",
    (event) => {
      if (n.isTrusted(event) && !event.relatedTarget) send(null);
    },
    true,
  );
}

/** Returns `draw(marks)`: outlines where others' focus is ({id, name, color, focus}, checked). */
export function remoteFocus(resolve) {
  return overlayMarks({
    make: () => ({ ...labelled("focus"), key: "", element: null }),
    update(entry, { name, color, focus }) {
      const key = JSON.stringify(focus);
      if (key !== entry.key) {
        entry.key = key;
        entry.element = resolve(focus); // one resolution per change of focus
      }
      entry.node.style.setProperty("--color", color);
      n.setText(entry.label, name);
    },
    place({ node, element }, origin) {
      const rect = element?.isConnected ? element.getBoundingClientRect() : null;
      node.hidden = !rect || (rect.width === 0 && rect.height === 0);
      if (node.hidden) return;
      node.style.transform = `translate(${rect.left - origin.left}px, ${rect.top - origin.top}px)`;
      node.style.width = `${rect.width + 4}px`;
      node.style.height = `${rect.height + 4}px`;
      node.style.marginLeft = node.style.marginTop = "-2px";
    },
  });
}
