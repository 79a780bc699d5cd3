// URLs that reach the DOM: element URL properties, setAttribute(NS), HTML strings (innerHTML,
// outerHTML, insertAdjacentHTML, document.write, createContextualFragment, srcdoc), and a
// MutationObserver as the safety net for whatever gets past those (its fix comes after insertion,
// so an image or script may already have started loading from the unmapped URL).
import { URL_ATTRIBUTES, rewriteHtml, urlKind, valueMapper } from "./html.js";
import { guard, wrapFunction, wrapSetter } from "./patch.js";

const XLINK = "http://www.w3.org/1999/xlink";
const RAW_TEXT = new Set([
  "script",
  "style",
  "textarea",
  "title",
  "xmp",
  "noembed",
  "noframes",
  "plaintext",
]);
const PROPERTIES = [
  ["HTMLAnchorElement", "href"],
  ["HTMLAnchorElement", "ping", "list"],
  ["HTMLAreaElement", "href"],
  ["HTMLAreaElement", "ping", "list"],
  ["HTMLBaseElement", "href"],
  ["HTMLLinkElement", "href"],
  ["HTMLLinkElement", "imageSrcset", "srcset"],
  ["HTMLImageElement", "src"],
  ["HTMLImageElement", "srcset", "srcset"],
  ["HTMLSourceElement", "src"],
  ["HTMLSourceElement", "srcset", "srcset"],
  ["HTMLScriptElement", "src"],
  ["HTMLIFrameElement", "src"],
  ["HTMLIFrameElement", "srcdoc", "html"],
  ["HTMLFrameElement", "src"],
  ["HTMLEmbedElement", "src"],
  ["HTMLObjectElement", "data"],
  ["HTMLMediaElement", "src"],
  ["HTMLTrackElement", "src"],
  ["HTMLVideoElement", "poster"],
  ["HTMLInputElement", "src"],
  ["HTMLInputElement", "formAction"],
  ["HTMLButtonElement", "formAction"],
  ["HTMLFormElement", "action"],
  ["HTMLBodyElement", "background"],
];

export function patchElements({ toProxy }) {
  const mapValue = valueMapper(toProxy);
  const html = (value) => (typeof value === "string" ? rewriteHtml(value, mapValue) : value);
  const nativeSetAttributeNS = Element.prototype.setAttributeNS;

  for (const [name, property, kind = "url"] of PROPERTIES) {
    guard(`${name}.${property}`, () =>
      wrapSetter(window[name]?.prototype, property, (value) => mapValue(kind, value)),
    );
  }
  guard("setAttribute", () =>
    wrapFunction(Element.prototype, "setAttribute", (target, element, args) => {
      if (args.length > 1 && element instanceof Element) {
        const kind = urlKind(element.localName, `${args[0]}`);
        if (kind) args[1] = mapValue(kind, args[1]);
      }
      return Reflect.apply(target, element, args);
    }),
  );
  guard("setAttributeNS", () =>
    wrapFunction(Element.prototype, "setAttributeNS", (target, element, args) => {
      if (args.length > 2 && element instanceof Element) {
        const local = `${args[1]}`.split(":").pop();
        const name = args[0] === XLINK && local === "href" ? "xlink:href" : `${args[1]}`;
        const kind = args[0] === XLINK || !args[0] ? urlKind(element.localName, name) : null;
        if (kind) args[2] = mapValue(kind, args[2]);
      }
      return Reflect.apply(target, element, args);
    }),
  );

  const markup = (element, value) => (RAW_TEXT.has(element?.localName) ? value : html(value));
  guard("innerHTML", () =>
    wrapSetter(Element.prototype, "innerHTML", (value, element) => markup(element, value)),
  );
  guard("outerHTML", () => wrapSetter(Element.prototype, "outerHTML", html));
  guard("ShadowRoot.innerHTML", () => wrapSetter(window.ShadowRoot?.prototype, "innerHTML", html));
  const htmlAt = (index) => (target, self, args) => {
    if (args.length > index) args[index] = html(args[index]);
    return Reflect.apply(target, self, args);
  };
  guard("insertAdjacentHTML", () =>
    wrapFunction(Element.prototype, "insertAdjacentHTML", htmlAt(1)),
  );
  guard("setHTMLUnsafe", () => wrapFunction(Element.prototype, "setHTMLUnsafe", htmlAt(0)));
  guard("createContextualFragment", () =>
    wrapFunction(window.Range?.prototype, "createContextualFragment", htmlAt(0)),
  );
  for (const name of ["write", "writeln"]) {
    guard(`document.${name}`, () =>
      wrapFunction(Document.prototype, name, (target, self, args) =>
        Reflect.apply(target, self, args.map(html)),
      ),
    );
  }

  guard("MutationObserver", () => watch(mapValue, nativeSetAttributeNS));
}

/** Maps URL attributes of added elements and changed attributes that still point outside. */
function watch(mapValue, setAttributeNS) {
  const selector = URL_ATTRIBUTES.map((name) => `[${name}]`).join(",") + ",[*|href]";
  const fix = (element, attr) => {
    const kind = urlKind(element.localName, attr.name);
    if (!kind) return;
    const mapped = mapValue(kind, attr.value);
    if (typeof mapped === "string" && mapped !== attr.value) {
      setAttributeNS.call(element, attr.namespaceURI, attr.name, mapped);
    }
  };
  const fixAll = (element) => {
    for (const attr of [...element.attributes]) fix(element, attr);
  };
  const observer = new MutationObserver((records) => {
    for (const record of records) {
      if (record.type === "attributes") {
        const { target, attributeNamespace, attributeName } = record;
        const attr = target.getAttributeNodeNS(attributeNamespace, attributeName);
        if (attr) fix(target, attr);
        continue;
      }
      for (const node of record.addedNodes) {
        if (node.nodeType !== Node.ELEMENT_NODE) continue;
        fixAll(node);
        if (!node.firstElementChild) continue;
        for (const child of node.querySelectorAll(selector)) fixAll(child);
      }
    }
  });
  // The proxy already rewrote what the parser inserts: watching it node by node costs big pages
  // tens of milliseconds. One sweep when parsing ends catches what scripts added meanwhile.
  const start = () => {
    for (const element of document.querySelectorAll(selector)) fixAll(element);
    observer.observe(document, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: URL_ATTRIBUTES,
    });
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start, { once: true });
  } else {
    start();
  }
}
