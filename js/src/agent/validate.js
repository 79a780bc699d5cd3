// Everything arriving over the port is untrusted data: these return clean copies of the shapes in
// docs/protocol.md, or null when a value does not fit.

const MAX_STRING = 512;
const MAX_DEPTH = 256;
const MAX_POINTERS = 64;
const ATTRIBUTES = ["name", "aria-label", "href", "src"];
const COLOR = /^#(?:[0-9a-f]{3}|[0-9a-f]{6})$/i;
export const DEFAULT_COLOR = "#e8590c";

const isObject = (value) => typeof value === "object" && value !== null && !Array.isArray(value);
const isText = (value, max = MAX_STRING) =>
  typeof value === "string" && value.length > 0 && value.length <= max;
const unit = (value) => (Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : null);

export function toLocator(value) {
  if (!isObject(value) || !Array.isArray(value.path) || value.path.length > MAX_DEPTH) return null;
  const path = [];
  for (const step of value.path) {
    if (!Array.isArray(step) || !isText(step[0], 64) || !Number.isInteger(step[1]) || step[1] < 0) {
      return null;
    }
    path.push([step[0], step[1]]);
  }
  const locator = { path };
  if (isText(value.id)) locator.id = value.id;
  if (isObject(value.attrs)) {
    const attrs = {};
    for (const name of ATTRIBUTES) if (isText(value.attrs[name])) attrs[name] = value.attrs[name];
    if (Object.keys(attrs).length) locator.attrs = attrs;
  }
  if (isText(value.text, 200)) locator.text = value.text;
  return locator;
}

export function toAnchor(value) {
  if (!isObject(value)) return null;
  const ratio = unit(value.ratio);
  const fraction = unit(value.fraction);
  if (ratio === null || fraction === null) return null;
  return { locator: toLocator(value.locator), ratio, fraction };
}

export function toPointer(value) {
  if (!isObject(value)) return null;
  const [rx, ry, fx, fy] = [value.rx, value.ry, value.fx, value.fy].map(unit);
  if ([rx, ry, fx, fy].includes(null)) return null;
  return { locator: toLocator(value.locator), rx, ry, fx, fy };
}

/** The drawable entries of a `pointers` list (those with a valid id and position). */
export function toPointers(value) {
  if (!Array.isArray(value)) return null;
  const pointers = [];
  for (const item of value.slice(0, MAX_POINTERS)) {
    if (!isObject(item) || !(isText(item.id, 128) || Number.isFinite(item.id))) continue;
    const pointer = toPointer(item.pointer);
    if (!pointer) continue;
    const name = typeof item.name === "string" ? item.name.trim().slice(0, 64) : "";
    pointers.push({
      id: String(item.id),
      name: name || "Someone",
      color: typeof item.color === "string" && COLOR.test(item.color) ? item.color : DEFAULT_COLOR,
      pointer,
    });
  }
  return pointers;
}
