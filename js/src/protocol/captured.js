// Built-ins captured when the bundle starts. The agent shares its realm with the page's scripts,
// which run after it and may replace any global or prototype method to watch what the agent
// handles; what is captured here is called directly later, with nothing looked up on the way.

const { bind, call } = Function.prototype;

/** `fn` as a plain function taking its receiver first: `uncurry(f)(self, ...args)`. */
export const uncurry = (fn) => bind.call(call, fn);

/** The getter of `proto[name]`, uncurried. */
export const getterOf = (proto, name) => uncurry(Object.getOwnPropertyDescriptor(proto, name).get);

/** The setter of `proto[name]`, uncurried. */
export const setterOf = (proto, name) => uncurry(Object.getOwnPropertyDescriptor(proto, name).set);

export const { hasOwn } = Object;
export const { isArray } = Array;
export const { isFinite, isInteger } = Number;
export const { min, max } = Math;
export const trim = uncurry(String.prototype.trim);
export const slice = uncurry(String.prototype.slice);
export const charCodeAt = uncurry(String.prototype.charCodeAt);

const { defineProperty } = Object;

/** Adds `value` at the end of `array` without [[Set]], which would run setters a page defined
 * on Array.prototype. */
export function append(array, value) {
  const descriptor = {
    __proto__: null,
    value,
    writable: true,
    enumerable: true,
    configurable: true,
  };
  defineProperty(array, array.length, descriptor);
}
