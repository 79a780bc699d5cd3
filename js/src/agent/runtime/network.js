// Everything page scripts use to reach a URL directly: requests (./requests.js), sendBeacon,
// window.open, the Navigation API and workers (./worker.js).
import { guard, wrapConstructor, wrapFunction } from "./patch.js";
import { patchRequests } from "./requests.js";
import { workerUrl } from "./worker.js";

export function patchNetwork({ toProxy, root, upstreamBase }) {
  const mapFirst = (target, self, args) => {
    if (args.length) args[0] = toProxy(args[0]);
    return Reflect.apply(target, self, args);
  };
  patchRequests(window, toProxy);
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
