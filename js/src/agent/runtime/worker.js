// Workers the page starts: an opaque origin may only start them from its own blob: URLs, so an
// http(s) worker script is started from a blob that runs the worker runtime (./worker-runtime.js,
// bundled on its own at build time) and then loads the proxied script.
import runtime from "bundle:./worker-runtime.js";

/** JS source of a worker that maps URLs against `upstream` and then runs `script` (proxied). */
function workerSource({ root, script, upstream, module }) {
  const config = JSON.stringify({ root, upstream });
  const url = JSON.stringify(script);
  const load = module ? `await import(${url});` : `importScripts(${url});`;
  // A block: its declaration stays out of the worker's global scope.
  return `{\nconst cobrowseWorker = ${config};\n${runtime}}\n${load}\n`;
}

/**
 * The URL `new Worker(value, options)` should start: a blob running the worker runtime and then
 * the proxied script for http(s) scripts; data: and blob: URLs are left to the browser.
 */
export function workerUrl(value, options, { toProxy, root, upstreamBase }) {
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
