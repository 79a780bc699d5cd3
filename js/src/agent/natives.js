// The natives the agent's channel to the widget relies on, captured when the agent starts (before
// any page script). Page scripts may later patch MessagePort, EventTarget, MessageEvent or
// Function.prototype to watch or forge the widget's traffic; these keep calling the originals.
import { getterOf, setterOf, uncurry } from "../protocol/captured.js";

export const postToPort = uncurry(MessagePort.prototype.postMessage);
export const startPort = uncurry(MessagePort.prototype.start);
export const closePort = uncurry(MessagePort.prototype.close);
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

// Form fields (agent/fields.js): read and written through the prototypes' own accessors, so an
// instance property or a patched prototype a page defines neither hides a private field's type
// nor sees the room's values on their way in.
const field = (proto, name) => ({ get: getterOf(proto, name), set: setterOf(proto, name) });
export const inputValue = field(HTMLInputElement.prototype, "value");
export const inputChecked = field(HTMLInputElement.prototype, "checked");
export const textareaValue = field(HTMLTextAreaElement.prototype, "value");
export const selectValue = field(HTMLSelectElement.prototype, "value");
export const optionSelected = field(HTMLOptionElement.prototype, "selected");
export const optionValue = getterOf(HTMLOptionElement.prototype, "value");
export const selectOptions = getterOf(HTMLSelectElement.prototype, "options");
export const selectMultiple = getterOf(HTMLSelectElement.prototype, "multiple");
export const getAttribute = uncurry(Element.prototype.getAttribute);
export const setAttribute = uncurry(Element.prototype.setAttribute);
export const matches = uncurry(Element.prototype.matches);
export const closest = uncurry(Element.prototype.closest);
export const localName = getterOf(Element.prototype, "localName");
export const rootNode = uncurry(Node.prototype.getRootNode);
export const shadowHost = getterOf(ShadowRoot.prototype, "host");
export const shadowRootOf = getterOf(Element.prototype, "shadowRoot"); // open ones only
export const composedPath = uncurry(Event.prototype.composedPath);
export const isTrusted = (event) => event.isTrusted === true; // own, unforgeable property
export const dispatch = uncurry(EventTarget.prototype.dispatchEvent);
export const NativeEvent = Event;
export const NativeMouseEvent = MouseEvent;
export const clickElement = uncurry(HTMLElement.prototype.click);
export const selection = {
  start: getterOf(HTMLInputElement.prototype, "selectionStart"),
  end: getterOf(HTMLInputElement.prototype, "selectionEnd"),
  set: uncurry(HTMLInputElement.prototype.setSelectionRange),
  areaStart: getterOf(HTMLTextAreaElement.prototype, "selectionStart"),
  areaEnd: getterOf(HTMLTextAreaElement.prototype, "selectionEnd"),
  areaSet: uncurry(HTMLTextAreaElement.prototype.setSelectionRange),
};
export const detailsOpen = field(HTMLDetailsElement.prototype, "open");
export const media = {
  paused: getterOf(HTMLMediaElement.prototype, "paused"),
  time: field(HTMLMediaElement.prototype, "currentTime"),
  rate: field(HTMLMediaElement.prototype, "playbackRate"),
  play: uncurry(HTMLMediaElement.prototype.play),
  pause: uncurry(HTMLMediaElement.prototype.pause),
};
