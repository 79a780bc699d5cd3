// localStorage and sessionStorage throw in the sandbox (opaque origin). The stand-ins are
// in-memory Storage look-alikes, one per document: values do not persist across page loads.

export function standInStorage() {
  for (const name of ["localStorage", "sessionStorage"]) {
    try {
      void window[name];
      continue; // storage works here: leave it alone
    } catch {
      // SecurityError in the sandbox: stand in
    }
    try {
      const storage = memoryStorage();
      const get = () => storage;
      Object.defineProperty(window, name, { configurable: true, enumerable: true, get });
    } catch (error) {
      console.debug(`cobrowse: no stand-in for ${name}`, error);
    }
  }
}

/** A Storage-like object (instanceof Storage) with named-property access, backed by a Map. */
export function memoryStorage() {
  const items = new Map();
  const methods = Object.create(window.Storage?.prototype ?? Object.prototype, {
    getItem: { value: (key) => items.get(`${key}`) ?? null },
    setItem: { value: (key, value) => void items.set(`${key}`, `${value}`) },
    removeItem: { value: (key) => void items.delete(`${key}`) },
    clear: { value: () => items.clear() },
    key: { value: (index) => [...items.keys()][Math.trunc(Number(index)) || 0] ?? null },
    length: { get: () => items.size },
  });
  const named = (key) => typeof key === "string" && !(key in methods);
  return new Proxy(Object.create(methods), {
    get: (target, key) => (named(key) ? items.get(key) : Reflect.get(methods, key)),
    set: (target, key, value) => {
      if (typeof key === "symbol") return Reflect.set(target, key, value);
      items.set(key, `${value}`);
      return true;
    },
    has: (target, key) => (typeof key === "string" && items.has(key)) || key in methods,
    deleteProperty: (target, key) => {
      if (typeof key === "string") items.delete(key);
      return true;
    },
    ownKeys: () => [...items.keys()],
    getOwnPropertyDescriptor: (target, key) =>
      typeof key === "string" && items.has(key)
        ? { value: items.get(key), writable: true, enumerable: true, configurable: true }
        : undefined,
    defineProperty: (target, key, descriptor) => {
      if (typeof key === "symbol" || !("value" in descriptor)) return false;
      items.set(key, `${descriptor.value}`);
      return true;
    },
  });
}
