// Focus: which element each participant is in (a field they type in, a button they tabbed to),
// reported by locator and drawn on others' pages as an outline in their colour with their name.
import { overlay } from "./overlay.js";
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
  const drawn = new Map(); // id -> {box, label, key, element}
  let frame = 0;
  const place = () => {
    frame = 0;
    const [host] = overlay();
    const origin = host.getBoundingClientRect();
    for (const entry of drawn.values()) {
      const rect = entry.element?.isConnected ? entry.element.getBoundingClientRect() : null;
      entry.box.hidden = !rect || (rect.width === 0 && rect.height === 0);
      if (entry.box.hidden) continue;
      entry.box.style.transform = `translate(${rect.left - origin.left}px, ${rect.top - origin.top}px)`;
      entry.box.style.width = `${rect.width + 4}px`;
      entry.box.style.height = `${rect.height + 4}px`;
      entry.box.style.marginLeft = entry.box.style.marginTop = "-2px";
    }
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(place);
  };
  addEventListener("scroll", schedule, { passive: true });
  addEventListener("resize", schedule);

  return function draw(marks) {
    const [, shadow] = overlay();
    const seen = new Set();
    for (const { id, name, color, focus } of marks) {
      seen.add(id);
      let entry = drawn.get(id);
      if (!entry) {
        const box = document.createElement("div");
        box.className = "focus";
        const label = document.createElement("span");
        box.append(label);
        shadow.append(box);
        drawn.set(id, (entry = { box, label, key: "", element: null }));
      }
      const key = JSON.stringify(focus);
      if (key !== entry.key) {
        entry.key = key;
        entry.element = resolve(focus); // one resolution per change of focus
      }
      entry.box.style.setProperty("--color", color);
      n.setText(entry.label, name);
    }
    for (const [id, entry] of drawn) {
      if (seen.has(id)) continue;
      entry.box.remove();
      drawn.delete(id);
    }
    schedule();
  };
}
