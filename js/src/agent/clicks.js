// Clicks are shown to everyone (a ripple where the clicker's pointer is), and replayed on others'
// pages only where that is safe: switching a tab widget. Never a link, a button or a form: those
// may act on the site (a purchase, a post), and the room's navigation already follows links.
import * as n from "./natives.js";
import { isOverlay } from "./overlay.js";
import { positionAt } from "./pointers.js";

const SAFE = "[role=tab]:not([aria-disabled=true]):not([disabled])";

/** Reports the user's (trusted) clicks on the page with `send(PointerPosition)`. */
export function trackClicks({ send, describe }) {
  n.listen(
    window,
    "click",
    (event) => {
      // Not a click on the overlay: the end of a stroke this user drew.
      if (n.isTrusted(event) && !isOverlay(event.target))
        send(positionAt(event.clientX, event.clientY, describe));
    },
    true,
  );
}

/** Called with the element a remote click landed on: a tab is selected here too. */
export function replaySafeClick(element) {
  const tab = n.closest(element, SAFE);
  if (tab && n.getAttribute(tab, "aria-selected") !== "true") tab.click();
}
