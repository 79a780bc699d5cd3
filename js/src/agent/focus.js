// Focus: which element each participant is in (a field they type in, a button they tabbed to),
// reported by locator and drawn on others' pages as an outline in their colour with their name.
import { bySelector } from "./locator.js";
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
export const remoteFocus = (resolve) =>
  outlines({ className: "focus", find: (mark) => resolve(mark.focus), label: (mark) => mark.name });

/** Returns `draw(marks)`: outlines of the elements highlighted from Python ({id, name, color,
 * selector, text}, checked): the first element each selector matches, with the note. */
export const remoteHighlights = () =>
  outlines({
    className: "focus highlight",
    find: ({ selector }) => bySelector(selector),
    label: ({ name, text }) => (text ? `${name}: ${text}` : name),
  });

/** Marks outlining one element each, in the mark's colour with a label; `find(mark)` is the
 * element (looked up again only when the mark changed). */
function outlines({ className, find, label }) {
  return overlayMarks({
    make: () => ({ ...labelled(className), key: "", element: null }),
    update(entry, mark) {
      const key = JSON.stringify(mark);
      if (key !== entry.key) {
        entry.key = key;
        entry.element = find(mark);
      }
      entry.node.style.setProperty("--color", mark.color);
      n.setText(entry.label, label(mark));
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
