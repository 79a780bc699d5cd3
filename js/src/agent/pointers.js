// The local pointer, reported element-relative (docs/protocol.md, "PointerPosition") once per
// animation frame while it moves over the page, and as null when it leaves. In a frame of the
// page, it is reported as fractions of the frame's viewport, for the page's agent to place over
// the frame's element.
import { blockOf, scroller, short } from "./layout.js";
import { isOverlay } from "./overlay.js";

const FRAME_MS = 16;

/** Reports the pointer with `send(measure(x, y))` (client coordinates) while it moves, and
 * `send(null)` when it leaves the document. */
export function trackPointer({ send, measure }) {
  let at = null; // the latest client coordinates, null while outside the document
  let frame = 0;
  let sent = -Infinity; // when the pointer was last reported
  const update = () => {
    frame = 0;
    sent = performance.now();
    if (at) send(measure(at.x, at.y));
  };
  // Reported at once when nothing was this frame (a move shows without waiting for a frame),
  // else on the next animation frame, once.
  const schedule = () => {
    if (frame || !at) return;
    if (performance.now() - sent >= FRAME_MS) update();
    else frame = requestAnimationFrame(update);
  };
  const options = { capture: true, passive: true };
  document.addEventListener(
    "pointermove",
    (event) => {
      at = { x: event.clientX, y: event.clientY };
      schedule();
    },
    options,
  );
  document.addEventListener(
    "pointerout",
    (event) => {
      if (event.relatedTarget || !at) return; // still inside the document
      cancelAnimationFrame(frame);
      frame = 0;
      at = null;
      send(null);
    },
    options,
  );
  // Scrolling moves the content under a resting pointer.
  addEventListener("scroll", schedule, { passive: true });
}

export function positionAt(x, y, describe) {
  return positionOn(elementAt(x, y), x, y, describe);
}

/** Where (x, y) is in this frame's viewport, as fractions: a frame's pointer. */
export const inViewport = (x, y) => ({
  x: short(Math.min(1, Math.max(0, x / innerWidth))),
  y: short(Math.min(1, Math.max(0, y / innerHeight))),
});

/** The PointerPosition over the page's frame `index` (its element) at fractions (x, y) of the
 * frame's box, or null when the page has no such frame. */
export function positionInFrame(index, x, y, describe) {
  const frame = window.frames[index];
  for (const element of document.querySelectorAll("iframe, frame")) {
    if (element.contentWindow !== frame) continue;
    const { left, top, width, height } = element.getBoundingClientRect();
    return positionOn(element, left + x * width, top + y * height, describe);
  }
  return null;
}

/** The element a position at (x, y) in the viewport is measured against, or null. */
export function elementAt(x, y) {
  let hit = document.elementFromPoint(x, y);
  // The overlay takes the pointer only while this user draws: what is under it.
  if (isOverlay(hit)) hit = document.elementsFromPoint(x, y).find((e) => !isOverlay(e)) ?? null;
  if (!hit) return null;
  // elementFromPoint stops at a shadow host: look inside web components' open shadow roots.
  for (let inner = hit.shadowRoot?.elementFromPoint(x, y); inner && inner !== hit;) {
    hit = inner;
    inner = hit.shadowRoot?.elementFromPoint(x, y);
  }
  // A wrapped inline element has no single box: measure against its block.
  return hit.getClientRects().length > 1 ? blockOf(hit) : hit;
}

/** The PointerPosition of (x, y) in the viewport, measured against `element` (from elementAt). */
export function positionOn(element, x, y, describe) {
  const root = scroller();
  const fx = short((x + window.scrollX) / root.scrollWidth);
  const fy = short((y + window.scrollY) / root.scrollHeight);
  if (!element) return { locator: null, rx: 0, ry: 0, fx, fy };
  const { left, top, width, height } = element.getBoundingClientRect();
  const locator = describe(element);
  if (element.isContentEditable) delete locator.text; // what they typed there is theirs
  return {
    locator,
    rx: width > 0 ? short((x - left) / width) : 0,
    ry: height > 0 ? short((y - top) / height) : 0,
    fx,
    fy,
  };
}
