// Small helpers to patch browser APIs without breaking the page: every patch is applied through
// `guard`, so one that fails (an API missing in this browser, say) leaves the others in place.
// Functions and constructors are wrapped in Proxies, which keep their name, length, prototype,
// `instanceof` and native-looking `toString`.

/** Runs `patch`; a failure is logged and otherwise ignored. */
export function guard(name, patch) {
  try {
    patch();
  } catch (error) {
    console.debug(`cobrowse: could not patch ${name}`, error);
  }
}

/** Replaces the function `owner[name]` by a Proxy whose calls go through `apply`. */
export function wrapFunction(owner, name, apply) {
  const descriptor = owner && Object.getOwnPropertyDescriptor(owner, name);
  if (!descriptor || typeof descriptor.value !== "function") return;
  descriptor.value = new Proxy(descriptor.value, { apply });
  Object.defineProperty(owner, name, descriptor);
}

/** Replaces the constructor `owner[name]` by a Proxy whose `new` goes through `construct`. */
export function wrapConstructor(owner, name, construct) {
  const descriptor = owner && Object.getOwnPropertyDescriptor(owner, name);
  if (!descriptor || typeof descriptor.value !== "function") return;
  descriptor.value = new Proxy(descriptor.value, { construct });
  Object.defineProperty(owner, name, descriptor);
}

/** Wraps the setter of the accessor `proto[name]` so that it stores `map(value, element)`. */
export function wrapSetter(proto, name, map) {
  const descriptor = proto && Object.getOwnPropertyDescriptor(proto, name);
  if (!descriptor?.set) return;
  descriptor.set = new Proxy(descriptor.set, {
    apply: (set, element, [value]) => Reflect.apply(set, element, [map(value, element)]),
  });
  Object.defineProperty(proto, name, descriptor);
}
