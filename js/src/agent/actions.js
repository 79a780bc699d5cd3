// What Python asks one page to do (cb.fill, cb.click, cb.wait_for(selector=)), performed here as
// this page's user's own action: a fill is their edit, a click their click (shown to others as
// any click is, where only a tab is switched). Commands come from the widget (validated); the
// selector was checked in Python and is only ever given to querySelector.
import { bySelector } from "./locator.js";
import * as n from "./natives.js";
import { positionOn } from "./pointers.js";

/** Returns `perform({action, selector, value})`: null when done, else an error code
 * (cobrowse_widget/_page_actions.py, ERRORS). */
export function pageActions({ fields, sendClick, describe }) {
  return ({ action, selector, value }) => {
    const element = bySelector(selector);
    if (!element) return "missing";
    if (action === "find") return null;
    if (action === "fill") return fields.fill(element, value);
    const { left, top, width, height } = element.getBoundingClientRect();
    const [x, y] = [left + width / 2, top + height / 2];
    sendClick(positionOn(element, x, y, describe)); // the ripple where it was clicked
    if (element instanceof HTMLElement) n.clickElement(element);
    else n.dispatch(element, new n.NativeMouseEvent("click", { bubbles: true, composed: true }));
    return null;
  };
}
