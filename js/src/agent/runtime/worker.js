// The bootstrap of a worker started by the page: the same URL mapping as the document, for the
// worker's fetch, XMLHttpRequest, importScripts, WebSocket and EventSource (and the Authorization
// header its scripts set), then the real script.
import { proxyMapper } from "../urls.js";
import { privateAuthorization, xhrHeaderName } from "./authorization.js";

/** JS source of a worker that maps URLs against `upstream` and then runs `script` (proxied). */
export function workerSource({ root, script, upstream, module }) {
  const config = JSON.stringify({ root, upstream });
  const url = JSON.stringify(script);
  const load = module ? `await import(${url});` : `importScripts(${url});`;
  const helpers = `${proxyMapper}, ${privateAuthorization}, ${xhrHeaderName}`;
  return `(${bootstrap})(${config}, ${helpers});\n${load}\n`;
}

// Serialised into the worker: it may use only its parameters and the worker's globals.
function bootstrap({ root, upstream }, proxyMapper, privateAuthorization, xhrHeaderName) {
  const toProxy = proxyMapper({
    root,
    upstreamBase: () => upstream,
    nativeBase: () => new URL(root).origin, // in the worker every URL needs mapping
    absolute: true,
  });
  const wrap = (owner, name, trap) => {
    try {
      if (owner && typeof owner[name] === "function") owner[name] = new Proxy(owner[name], trap);
    } catch {
      // leave this one native
    }
  };
  const NativeRequest = self.Request;
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
  wrap(self, "fetch", {
    apply: (target, that, args) => {
      mapRequest(args);
      return Reflect.apply(target, that, args);
    },
  });
  wrap(self, "importScripts", {
    apply: (target, that, args) =>
      Reflect.apply(
        target,
        that,
        args.map((url) => toProxy(url)),
      ),
  });
  wrap(self.XMLHttpRequest?.prototype, "open", {
    apply: (target, that, args) => {
      if (args.length > 1) args[1] = toProxy(args[1]);
      return Reflect.apply(target, that, args);
    },
  });
  wrap(self.XMLHttpRequest?.prototype, "setRequestHeader", {
    apply: (target, that, args) => {
      if (args.length) args[0] = xhrHeaderName(args[0]);
      return Reflect.apply(target, that, args);
    },
  });
  for (const [name, ws] of [
    ["WebSocket", true],
    ["EventSource", false],
    ["Request", false],
  ]) {
    wrap(self, name, {
      construct: (target, args, newTarget) => {
        if (name === "Request") mapRequest(args);
        else if (args.length) args[0] = toProxy(args[0], ws);
        return Reflect.construct(target, args, newTarget);
      },
    });
  }
}
