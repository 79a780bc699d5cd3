// What a script uses to reach a URL directly, in a document or a worker alike: fetch, Request,
// XMLHttpRequest, WebSocket and EventSource; and the Authorization header scripts set on fetch,
// Request and XMLHttpRequest (renamed: ./authorization.js).
import { privateAuthorization, xhrHeaderName } from "./authorization.js";
import { guard, wrapConstructor, wrapFunction } from "./patch.js";

/** The object on `scope`'s prototype chain that holds `name` itself: a window holds fetch, a
 * worker's global scope inherits it (and importScripts) from WorkerGlobalScope.prototype. */
export function holderOf(scope, name) {
  let holder = scope;
  while (holder && !Object.prototype.hasOwnProperty.call(holder, name)) {
    holder = Object.getPrototypeOf(holder);
  }
  return holder;
}

/** Maps the URLs of requests made through `scope` (`window` or a worker's `self`) by `toProxy`. */
export function patchRequests(scope, toProxy) {
  const NativeRequest = scope.Request;
  const mapInput = (input) => {
    if (NativeRequest && input instanceof NativeRequest) {
      const url = toProxy(input.url);
      return url === input.url ? input : new NativeRequest(url, input);
    }
    return toProxy(input);
  };
  const mapRequest = (args) => {
    if (!args.length) return;
    args[0] = mapInput(args[0]);
    const init = privateAuthorization(args[0], args[1]);
    if (init !== args[1]) args[1] = init;
  };
  guard("fetch", () =>
    wrapFunction(holderOf(scope, "fetch"), "fetch", (target, self, args) => {
      mapRequest(args);
      return Reflect.apply(target, self, args);
    }),
  );
  guard("Request", () =>
    wrapConstructor(scope, "Request", (target, args, newTarget) => {
      mapRequest(args);
      return Reflect.construct(target, args, newTarget);
    }),
  );
  guard("XMLHttpRequest.open", () =>
    wrapFunction(scope.XMLHttpRequest?.prototype, "open", (target, self, args) => {
      if (args.length > 1) args[1] = toProxy(args[1]);
      return Reflect.apply(target, self, args);
    }),
  );
  guard("XMLHttpRequest.setRequestHeader", () =>
    wrapFunction(scope.XMLHttpRequest?.prototype, "setRequestHeader", (target, self, args) => {
      if (args.length) args[0] = xhrHeaderName(args[0]);
      return Reflect.apply(target, self, args);
    }),
  );
  guard("WebSocket", () =>
    wrapConstructor(scope, "WebSocket", (target, args, newTarget) => {
      if (args.length) args[0] = toProxy(args[0], true); // subprotocols (args[1]) are kept
      return Reflect.construct(target, args, newTarget);
    }),
  );
  guard("EventSource", () =>
    wrapConstructor(scope, "EventSource", (target, args, newTarget) => {
      if (args.length) args[0] = toProxy(args[0]);
      return Reflect.construct(target, args, newTarget);
    }),
  );
}
