// Service workers cannot run in an opaque origin: registration rejects with a clear error, and
// where reading navigator.serviceWorker itself throws (the sandbox), an inert container stands in.
import { guard, wrapFunction } from "./patch.js";

const MESSAGE =
  "cobrowse: service workers cannot run in a co-browsed page (sandboxed, opaque origin)";
const refuse = () => Promise.reject(new DOMException(MESSAGE, "SecurityError"));

export function stubServiceWorker() {
  guard("ServiceWorkerContainer.register", () =>
    wrapFunction(window.ServiceWorkerContainer?.prototype, "register", refuse),
  );
  if (!("serviceWorker" in Navigator.prototype)) return; // not a secure context: nothing to stub
  try {
    void navigator.serviceWorker;
    return;
  } catch {
    // SecurityError in the sandbox: stand in
  }
  const container = new EventTarget();
  const constant = (value) => ({ value, enumerable: true });
  Object.defineProperties(container, {
    controller: constant(null),
    ready: constant(new Promise(() => {})), // never resolves: there is no active registration
    register: constant(function register() {
      return refuse();
    }),
    getRegistration: constant(() => Promise.resolve(undefined)),
    getRegistrations: constant(() => Promise.resolve([])),
    startMessages: constant(() => {}),
    oncontrollerchange: { value: null, writable: true, enumerable: true },
    onmessage: { value: null, writable: true, enumerable: true },
    onmessageerror: { value: null, writable: true, enumerable: true },
    [Symbol.toStringTag]: { value: "ServiceWorkerContainer" },
  });
  Object.defineProperty(Navigator.prototype, "serviceWorker", {
    configurable: true,
    enumerable: true,
    get: () => container,
  });
}
