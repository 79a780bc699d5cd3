// Scroll sync: report the user's scrolling as an element-relative anchor (docs/protocol.md,
// "ScrollAnchor") and apply the room's anchors without echoing them back as user scrolls.
import { blockOf, scroller, short } from "./layout.js";
import { bySelector } from "./locator.js";
import { throttle } from "./throttle.js";

const THROTTLE_MS = 60;
const SETTLE_MS = 500; // a programmatic scroll's events arrive well within this
const USER_INPUT = ["wheel", "keydown", "touchstart", "pointerdown"];

/** Send `anchor`s for user scrolls; returns `scrollTo(anchor)` for the room's. */
export function syncScroll({ send, describe, resolve }) {
  let ours = null; // {y, until}: the position of the scroll the agent itself made
  const report = throttle(() => send(currentAnchor(describe)), THROTTLE_MS);
  const onScroll = () => {
    if (ours && performance.now() < ours.until && Math.abs(window.scrollY - ours.y) < 1.5) return;
    ours = null;
    report.call();
  };
  addEventListener("scroll", onScroll, { passive: true });
  for (const type of USER_INPUT) {
    addEventListener(type, () => (ours = null), { capture: true, passive: true });
  }

  return function scrollTo(anchor) {
    report.cancel(); // a pending report would describe the position we are about to leave
    const y = targetOf(anchor, resolve);
    ours = { y, until: performance.now() + SETTLE_MS };
    window.scrollTo({ left: window.scrollX, top: y, behavior: "instant" });
  };
}

/** Where the viewport is: the element at its top, how far into it, and the document fraction. */
export function currentAnchor(describe) {
  const max = scroller().scrollHeight - innerHeight;
  const fraction = max > 0 ? short(window.scrollY / max) : 0;
  const element = elementAtTop();
  if (!element) return { locator: null, ratio: 0, fraction };
  const { top, height } = element.getBoundingClientRect();
  return { locator: describe(element), ratio: height > 0 ? short(-top / height) : 0, fraction };
}

/** The block under the viewport's top edge, looking through fixed and sticky headers. */
function elementAtTop() {
  for (const x of [0.5, 0.25, 0.75]) {
    for (const hit of document.elementsFromPoint(innerWidth * x, 1)) {
      if (isPinned(hit)) continue;
      const block = blockOf(hit);
      if (block !== document.body && block !== document.documentElement) return block;
      break; // a gap between blocks here: try another column
    }
  }
  return null;
}

function isPinned(element) {
  for (let node = element; node; node = node.parentElement) {
    const { position } = getComputedStyle(node);
    if (position === "fixed" || position === "sticky") return true;
  }
  return false;
}

/** The scrollY that puts the anchor's element at the top with the same ratio (else the fraction);
 * an anchor from Python names its element by a CSS selector. */
function targetOf({ locator, ratio, fraction, selector }, resolve) {
  const max = Math.max(0, scroller().scrollHeight - innerHeight);
  const element = selector ? bySelector(selector) : locator && resolve(locator);
  let y = fraction * max;
  if (element?.getClientRects().length) {
    const { top, height } = element.getBoundingClientRect();
    y = window.scrollY + top + ratio * height;
  }
  return Math.round(Math.min(max, Math.max(0, y)));
}
