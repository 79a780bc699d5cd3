// The natives the agent's channel to the widget relies on, captured when the agent starts (before
// any page script). Page scripts may later patch MessagePort, EventTarget, MessageEvent or
// Function.prototype to watch or forge the widget's traffic; these keep calling the originals.
import { getterOf, setterOf, uncurry } from "../protocol/captured.js";

export const postToPort = uncurry(MessagePort.prototype.postMessage);
export const startPort = uncurry(MessagePort.prototype.start);
export const listen = uncurry(EventTarget.prototype.addEventListener);
export const unlisten = uncurry(EventTarget.prototype.removeEventListener);
export const stopImmediatePropagation = uncurry(Event.prototype.stopImmediatePropagation);
export const messageData = getterOf(MessageEvent.prototype, "data");
export const messagePorts = getterOf(MessageEvent.prototype, "ports");
export const messageSource = getterOf(MessageEvent.prototype, "source");
export const messageOrigin = getterOf(MessageEvent.prototype, "origin");
export const attachShadow = uncurry(Element.prototype.attachShadow);
export const setText = setterOf(Node.prototype, "textContent");

const activation = navigator.userActivation ?? null;
const hasBeenActive = activation && getterOf(Object.getPrototypeOf(activation), "hasBeenActive");
/** Whether the user has acted on this page (true where the browser cannot tell). */
export const userHasActed = () => (activation ? hasBeenActive(activation) : true);
