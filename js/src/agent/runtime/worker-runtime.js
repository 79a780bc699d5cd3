// The client runtime inside a worker the page starts: the document's URL mapping for the
// worker's requests and importScripts (in a worker every URL needs mapping, so results are
// absolute). Built as a bundle of its own (js/build.mjs) that ./worker.js puts into the worker's
// blob, inside a block that first declares `cobrowseWorker` = {root, upstream}.
/* global cobrowseWorker */
import { proxyMapper } from "../urls.js";
import { guard, wrapFunction } from "./patch.js";
import { holderOf, patchRequests } from "./requests.js";

const { root, upstream } = cobrowseWorker;
const toProxy = proxyMapper({
  root,
  upstreamBase: () => upstream,
  nativeBase: () => new URL(root).origin,
  absolute: true,
});
patchRequests(self, toProxy);
guard("importScripts", () =>
  wrapFunction(holderOf(self, "importScripts"), "importScripts", (target, that, args) =>
    Reflect.apply(
      target,
      that,
      args.map((url) => toProxy(url)),
    ),
  ),
);
