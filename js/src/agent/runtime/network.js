// Everything page scripts use to reach a URL directly: fetch, Request, XMLHttpRequest, WebSocket,
// EventSource, sendBeacon, window.open, the Navigation API and workers; and the Authorization
// header scripts set on fetch, Request and XMLHttpRequest.
import { privateAuthorization, xhrHeaderName } from "./authorization.js";
import { guard, wrapConstructor, wrapFunction } from "./patch.js";
import { workerSource } from "./worker.js";

export function patchNetwork({ toProxy, root, upstreamBase }) {
  const NativeRequest = window.Request;
  const mapFirst = (target, self, args) => {
    if (args.length) args[0] = toProxy(args[0]);
    return Reflect.apply(target, self, args);
  };
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
    wrapFunction(window, "fetch", (target, self, args) => {
      mapRequest(args);
      return Reflect.apply(target, self, args);
    }),
  );
  guard("Request", () =>
    wrapConstructor(window, "Request", (target, args, newTarget) => {
      mapRequest(args);
      return Reflect.construct(target, args, newTarget);
    }),
  );
  guard("XMLHttpRequest.open", () =>
    wrapFunction(window.XMLHttpRequest?.prototype, "open", (target, self, args) => {
      if (args.length > 1) args[1] = toProxy(args[1]);
      return Reflect.apply(target, self, args);
    }),
  );
  guard("XMLHttpRequest.setRequestHeader", () =>
    wrapFunction(window.XMLHttpRequest?.prototype, "setRequestHeader", (target, self, args) => {
      if (args.length) args[0] = xhrHeaderName(args[0]);
      return Reflect.apply(target, self, args);
    }),
  );
  guard("WebSocket", () =>
    wrapConstructor(window, "WebSocket", (target, args, newTarget) => {
      if (args.length) args[0] = toProxy(args[0], true); // subprotocols (args[1]) are kept
      return Reflect.construct(target, args, newTarget);
    }),
  );
  guard("EventSource", () =>
    wrapConstructor(window, "EventSource", (target, args, newTarget) => {
      if (args.length) args[0] = toProxy(args[0]);
      return Reflect.construct(target, args, newTarget);
    }),
  );
  guard("sendBeacon", () => wrapFunction(window.Navigator?.prototype, "sendBeacon", mapFirst));
  guard("window.open", () =>
    wrapFunction(window, "open", (target, self, args) => {
      if (args.length && args[0] !== "" && args[0] !== undefined) args[0] = toProxy(args[0]);
      return Reflect.apply(target, self, args);
    }),
  );
  guard("navigation.navigate", () =>
    wrapFunction(window.Navigation?.prototype, "navigate", mapFirst),
  );
  for (const name of ["Worker", "SharedWorker"]) {
    guard(name, () =>
      wrapConstructor(window, name, (target, args, newTarget) => {
        if (args.length) args[0] = workerUrl(args[0], args[1], { toProxy, root, upstreamBase });
        return Reflect.construct(target, args, newTarget);
      }),
    );
  }
}

/**
 * An opaque origin may only start workers from its own blob: URLs, so an http(s) worker script
 * is started from a blob that installs the URL mapping in the worker and then loads the proxied
 * script. data: and blob: URLs are left to the browser.
 */
function workerUrl(value, options, { toProxy, root, upstreamBase }) {
  const mapped = toProxy(value);
  let script;
  let upstream;
  try {
    script = new URL(mapped, document.baseURI).href;
    upstream = new URL(`${value}`, upstreamBase()).href;
  } catch {
    return value;
  }
  if (!/^https?:$/.test(new URL(script).protocol)) return value;
  const module = typeof options === "object" && options?.type === "module";
  const source = workerSource({ root, script, upstream, module });
  return URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
}
