// Every message between the agent and the widget is untrusted data: a page can forge the agent's
// (docs/protocol.md, "Agent <-> widget"). These return clean copies of the shapes there, or null
// when a value does not fit. Shared by both bundles: the widget checks what agents send, the
// agent what the widget sends. Only own properties are read and only captured built-ins are
// called, so that in the agent's realm page scripts never get hold of the values; the copies have
// no prototype for the same reason.
import {
  append,
  charCodeAt,
  hasOwn,
  isArray,
  isFinite,
  isInteger,
  max,
  min,
  slice,
  trim,
} from "./captured.js";
import * as limits from "./limits.js";

const ATTRIBUTES = Object.keys(limits.LOCATOR_ATTRIBUTES); // read once, before any page script
const TEXTS = ["classes", "label", "text"]; // stable class names, the label's and the own text
export const DEFAULT_COLOR = "#e8590c";

const own = (value, key) => (hasOwn(value, key) ? value[key] : undefined);
const isObject = (value) => typeof value === "object" && value !== null && !isArray(value);
const isText = (value, most = limits.MAX_STRING) =>
  typeof value === "string" && value.length > 0 && value.length <= most;
const unit = (value) => (isFinite(value) ? min(1, max(0, value)) : null);

/** `#rgb` or `#rrggbb`, checked character by character (no RegExp: its methods are patchable). */
function isColor(value) {
  if (typeof value !== "string" || (value.length !== 4 && value.length !== 7)) return false;
  if (value[0] !== "#") return false;
  for (let i = 1; i < value.length; i++) {
    const code = charCodeAt(value, i) | 0x20; // lower case for letters
    if (!((code >= 0x30 && code <= 0x39) || (code >= 0x61 && code <= 0x66))) return false;
  }
  return true;
}

/** An http(s) URL of bounded length, as the browser spells it, without a user name or password
 * (they would be shared with the whole room); null otherwise. */
export function toWebUrl(value) {
  if (typeof value !== "string" || value.length > limits.MAX_URL) return null;
  let url;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return null;
  url.username = "";
  url.password = "";
  return url.href.length <= limits.MAX_URL ? url.href : null;
}

export function toLocator(value) {
  if (!isObject(value)) return null;
  const steps = own(value, "path");
  if (!isArray(steps) || steps.length > limits.MAX_DEPTH) return null;
  const path = [];
  for (let i = 0; i < steps.length; i++) {
    const step = own(steps, i);
    if (!isArray(step) || step.length !== 2) return null;
    const tag = own(step, 0);
    const index = own(step, 1);
    if (!isText(tag, limits.MAX_TAG) || !isInteger(index) || index < 0) return null;
    append(path, [tag, index]);
  }
  const locator = { __proto__: null, path };
  const id = own(value, "id");
  if (isText(id)) locator.id = id;
  const given = own(value, "attrs");
  if (isObject(given)) {
    const attrs = { __proto__: null };
    let any = false;
    const keep = (name, most) => {
      const text = own(given, name);
      if (isText(text, most)) {
        attrs[name] = text;
        any = true;
      }
    };
    for (let i = 0; i < ATTRIBUTES.length; i++) {
      keep(ATTRIBUTES[i], limits.LOCATOR_ATTRIBUTES[ATTRIBUTES[i]]);
    }
    if (any) locator.attrs = attrs;
  }
  for (let i = 0; i < TEXTS.length; i++) {
    const text = own(value, TEXTS[i]);
    if (isText(text, limits.MAX_TEXT)) locator[TEXTS[i]] = text;
  }
  return locator;
}

export function toAnchor(value) {
  if (!isObject(value)) return null;
  const ratio = unit(own(value, "ratio"));
  const fraction = unit(own(value, "fraction"));
  if (ratio === null || fraction === null) return null;
  const anchor = { __proto__: null, locator: toLocator(own(value, "locator")), ratio, fraction };
  const selector = own(value, "selector"); // from Python's scroll_to: the element to show
  if (isText(selector, limits.MAX_SELECTOR)) anchor.selector = selector;
  return anchor;
}

export function toPointer(value) {
  if (!isObject(value)) return null;
  const rx = unit(own(value, "rx"));
  const ry = unit(own(value, "ry"));
  const fx = unit(own(value, "fx"));
  const fy = unit(own(value, "fy"));
  if (rx === null || ry === null || fx === null || fy === null) return null;
  return { __proto__: null, locator: toLocator(own(value, "locator")), rx, ry, fx, fy };
}

/** Up to `most` entries of `value` about other participants, each `{id, name, color}` checked
 * (a name trimmed, a colour that is not #rgb/#rrggbb replaced), to which `extra(item, mark)`
 * adds the rest and says whether it fits; entries with a bad id or rest are left out. */
function toMarks(value, extra, most = limits.MAX_POINTERS) {
  if (!isArray(value)) return null;
  const marks = [];
  for (let i = 0; i < min(value.length, most); i++) {
    const item = own(value, i);
    if (!isObject(item)) continue;
    const id = own(item, "id");
    if (!(isText(id, 128) || isFinite(id))) continue;
    const given = own(item, "name");
    const name = typeof given === "string" ? trim(slice(given, 0, limits.MAX_NAME)) : "";
    const color = own(item, "color");
    const mark = {
      __proto__: null,
      id: `${id}`,
      name: name || "Someone",
      color: isColor(color) ? color : DEFAULT_COLOR,
    };
    if (extra(item, mark)) append(marks, mark);
  }
  return marks;
}

/** The drawable entries of a `pointers` list (those with a valid id and position). */
export function toPointers(value) {
  return toMarks(value, (item, mark) => {
    mark.pointer = toPointer(own(item, "pointer"));
    const click = own(item, "click");
    mark.click = isInteger(click) && click >= 0 ? click : 0; // how many times they clicked
    mark.replay = own(item, "replay") === true; // whether a click of theirs may be replayed
    return mark.pointer !== null;
  });
}

const isKind = (value) =>
  value === "open" ||
  value === "media" ||
  value === "text" ||
  value === "check" ||
  value === "value" ||
  value === "multi" ||
  value === "private";
const isKey = (value) => isText(value, limits.MAX_FIELD_KEY);
const isFieldText = (value) => typeof value === "string" && value.length <= limits.MAX_FIELD_TEXT;

/** The chosen options of a multiple select: at most MAX_CHOICES strings. */
function toChoices(value) {
  if (!isArray(value) || value.length > limits.MAX_CHOICES) return null;
  const choices = [];
  for (let i = 0; i < value.length; i++) {
    const choice = own(value, i);
    if (typeof choice !== "string" || choice.length > limits.MAX_STRING) return null;
    append(choices, choice);
  }
  return choices;
}

/** A field's shared value by its kind (docs/protocol.md, "Form fields"); undefined when it does
 * not fit. A private field has none: null. */
export function toFieldValue(kind, value) {
  if (kind === "text") return isFieldText(value) ? value : undefined;
  if (kind === "check") return typeof value === "boolean" ? value : undefined;
  if (kind === "value")
    return typeof value === "string" && value.length <= limits.MAX_STRING ? value : undefined;
  if (kind === "multi") return toChoices(value) ?? undefined;
  if (kind === "private") return null;
  if (kind === "open") {
    const open = isObject(value) ? own(value, "open") : undefined;
    return typeof open === "boolean" ? { __proto__: null, open } : undefined;
  }
  if (kind === "media") return toMedia(value);
  return undefined;
}

/** A media element's state: paused, position (s) and rate, within what browsers accept. */
function toMedia(value) {
  if (!isObject(value)) return undefined;
  const paused = own(value, "paused");
  const time = own(value, "time");
  const rate = own(value, "rate");
  if (typeof paused !== "boolean" || !isFinite(time) || !isFinite(rate)) return undefined;
  if (time < 0 || time > limits.MAX_MEDIA_TIME || rate < 0.0625 || rate > 16) return undefined;
  return { __proto__: null, paused, time, rate };
}

/** One field state {key, kind, value} (with the acknowledged edit `ack` when given). */
function toField(item) {
  if (!isObject(item)) return null;
  const key = own(item, "key");
  const kind = own(item, "kind");
  if (!isKey(key) || !isKind(kind)) return null;
  const value = toFieldValue(kind, own(item, "value"));
  if (value === undefined) return null;
  const field = { __proto__: null, key, kind, value };
  const ack = own(item, "ack");
  if (isInteger(ack) && ack >= 0) field.ack = ack;
  return field;
}

/** A list of fields, the invalid ones left out; null when it is not a bounded list. */
function toFields(value) {
  if (!isArray(value) || value.length > limits.MAX_FIELDS) return null;
  const fields = [];
  for (let i = 0; i < value.length; i++) {
    const field = toField(own(value, i));
    if (field) append(fields, field);
  }
  return fields;
}

/** A page action's id (cb.fill, cb.click, cb.wait_for(selector=)): 32 characters the kernel
 * chose. */
const isActionId = (value) => typeof value === "string" && value.length === 32;
const isAction = (value) => value === "fill" || value === "click" || value === "find";
/** Why a page could not do an action (cobrowse_widget/_page_actions.py, ERRORS). */
export const isActionError = (value) =>
  value === "missing" ||
  value === "not-a-field" ||
  value === "wrong-value" ||
  value === "no-option" ||
  value === "view-only" ||
  value === "left";

/** What cb.fill puts in a field: text, true/false, or option values; undefined otherwise. */
function toFillValue(value) {
  if (value === null || typeof value === "boolean" || isFieldText(value)) return value;
  return toChoices(value) ?? undefined;
}

/** A page action from the kernel: {id, action, selector, value}, or null. */
export function toPageAction(data) {
  if (!isObject(data)) return null;
  const [id, action, selector] = [own(data, "id"), own(data, "action"), own(data, "selector")];
  const value = toFillValue(own(data, "value"));
  if (!isActionId(id) || !isAction(action) || !isText(selector, limits.MAX_SELECTOR)) return null;
  return value === undefined ? null : { __proto__: null, id, action, selector, value };
}

function toSelectors(value) {
  if (!isArray(value) || value.length > limits.MAX_SELECTORS) return null;
  const selectors = [];
  for (let i = 0; i < value.length; i++) {
    const selector = own(value, i);
    if (!isText(selector)) return null;
    append(selectors, selector);
  }
  return selectors;
}

/** Others' focus to draw: [{id, name, color, focus: Locator}], the invalid ones left out. */
function toFocusMarks(value) {
  return toMarks(value, (item, mark) => {
    mark.focus = toLocator(own(item, "focus"));
    return mark.focus !== null;
  });
}

/** One end of a text selection: `{locator, offset}` (a character offset into the element's text). */
function toTextPoint(value) {
  if (!isObject(value)) return null;
  const locator = toLocator(own(value, "locator"));
  const offset = own(value, "offset");
  if (!locator || !isInteger(offset) || offset < 0 || offset > limits.MAX_TEXT_OFFSET) return null;
  return { __proto__: null, locator, offset };
}

/** A text selection: `{start, end}`, each a text point; null when it does not fit. */
export function toSelection(value) {
  if (!isObject(value)) return null;
  const start = toTextPoint(own(value, "start"));
  const end = toTextPoint(own(value, "end"));
  return start && end && { __proto__: null, start, end };
}

/** Others' selections to draw: [{id, name, color, selection}], the invalid ones left out. */
function toSelectionMarks(value) {
  return toMarks(value, (item, mark) => {
    mark.selection = toSelection(own(item, "selection"));
    return mark.selection !== null;
  });
}

/** Notes to draw: [{id, name, color, at: PointerPosition, text}], the invalid ones left out. */
function toNoteMarks(value) {
  return toMarks(
    value,
    (item, mark) => {
      mark.at = toPointer(own(item, "at"));
      const text = own(item, "text");
      mark.text = typeof text === "string" ? slice(text, 0, limits.MAX_NOTE_TEXT) : "";
      return mark.at !== null && mark.text !== "";
    },
    limits.MAX_NOTES,
  );
}

/** Highlights to draw: [{id, name, color, selector, text}], the invalid ones left out. */
function toHighlightMarks(value) {
  return toMarks(
    value,
    (item, mark) => {
      const [selector, text] = [own(item, "selector"), own(item, "text")];
      mark.selector = isText(selector, limits.MAX_SELECTOR) ? selector : null;
      mark.text = typeof text === "string" ? slice(text, 0, limits.MAX_NOTE_TEXT) : "";
      return mark.selector !== null;
    },
    limits.MAX_NOTES,
  );
}

const isSpan = (value, low) => isInteger(value) && value >= low && value <= limits.MAX_STROKE_SPAN;

/** A drawn stroke's shape: `width`, the width (CSS pixels) of the element it starts on as drawn,
 * and `path`, its points `[x0, y0, x1, y1, ...]` as whole pixels from its start (2 to
 * MAX_STROKE_POINTS points); `{width, path}` copied, or null when it does not fit. */
export function toStroke(width, path) {
  if (!isSpan(width, 1) || !isArray(path)) return null;
  const { length } = path;
  if (length < 4 || length > 2 * limits.MAX_STROKE_POINTS || length % 2) return null;
  const points = [];
  for (let i = 0; i < length; i++) {
    const value = own(path, i);
    if (!isSpan(value, -limits.MAX_STROKE_SPAN)) return null;
    append(points, value);
  }
  return { __proto__: null, width, path: points };
}

/** Strokes to draw: [{id, name, color, at: PointerPosition, width, path}] (at its start), the
 * invalid ones left out. */
function toStrokeMarks(value) {
  return toMarks(
    value,
    (item, mark) => {
      mark.at = toPointer(own(item, "at"));
      const stroke = toStroke(own(item, "width"), own(item, "path"));
      if (stroke) [mark.width, mark.path] = [stroke.width, stroke.path];
      return mark.at !== null && stroke !== null;
    },
    limits.MAX_NOTES,
  );
}

const toTitle = (value) => (typeof value === "string" ? slice(value, 0, limits.MAX_TITLE) : "");

/** An agent -> widget message, checked and copied; null when it does not fit. */
export function agentMessage(data) {
  if (!isObject(data)) return null;
  const type = own(data, "type");
  if (type === "leaving") return { type };
  if (type === "hello" || type === "navigated") {
    const url = toWebUrl(own(data, "url"));
    if (url === null) return null;
    const title = toTitle(own(data, "title"));
    if (type === "navigated") return { type, url, title, active: own(data, "active") !== false };
    const result = own(data, "result");
    const site = own(data, "site");
    return {
      type,
      url,
      title,
      result: limits.RESULT_ID.test(result ?? "") ? result : null,
      site: isText(site) ? site : "",
    };
  }
  if (type === "scroll") {
    const anchor = toAnchor(own(data, "anchor"));
    return anchor && { type, anchor };
  }
  if (type === "pointer") {
    const given = own(data, "pointer");
    const pointer = given === null ? null : toPointer(given);
    return given === null || pointer ? { type, pointer } : null;
  }
  if (type === "fields") {
    const fields = toFields(own(data, "fields"));
    return fields && { type, fields };
  }
  if (type === "frame-pointer") {
    const [x, y] = [unit(own(data, "x")), unit(own(data, "y"))];
    return x === null || y === null ? null : { type, x, y };
  }
  if (type === "click") {
    const pointer = toPointer(own(data, "pointer"));
    return pointer && { type, pointer };
  }
  if (type === "stroke") {
    const at = toPointer(own(data, "at"));
    const stroke = toStroke(own(data, "width"), own(data, "path"));
    return at && stroke && { type, at, width: stroke.width, path: stroke.path };
  }
  if (type === "selection") {
    const given = own(data, "selection");
    const selection = given === null ? null : toSelection(given);
    return given === null || selection ? { type, selection } : null;
  }
  if (type === "focus") {
    const given = own(data, "locator");
    const locator = given === null ? null : toLocator(given);
    return given === null || locator ? { type, locator } : null;
  }
  if (type === "done") {
    const [id, error] = [own(data, "id"), own(data, "error")];
    return isActionId(id) && (error === null || isActionError(error)) ? { type, id, error } : null;
  }
  if (type === "field") {
    const field = toField(data);
    if (!field) return null;
    const message = { type, key: field.key, kind: field.kind, value: field.value };
    if (field.kind !== "text") return message;
    const base = own(data, "base");
    const seq = own(data, "seq");
    if (!isFieldText(base) || !isInteger(seq) || seq < 1) return null;
    return { ...message, base, seq };
  }
  return null;
}

/** A widget -> agent message, checked and copied; null when it does not fit. */
export function widgetMessage(data) {
  if (!isObject(data)) return null;
  const type = own(data, "type");
  if (type === "scroll-to") {
    const anchor = toAnchor(own(data, "anchor"));
    return anchor && { __proto__: null, type, anchor };
  }
  if (type === "pointers") {
    const pointers = toPointers(own(data, "pointers"));
    return pointers && { __proto__: null, type, pointers };
  }
  if (type === "frame-pointer") {
    const frame = own(data, "frame");
    const [x, y] = [unit(own(data, "x")), unit(own(data, "y"))];
    const valid = isInteger(frame) && frame >= 0 && frame < limits.MAX_FRAMES;
    return valid && x !== null && y !== null ? { __proto__: null, type, frame, x, y } : null;
  }
  if (type === "fields") {
    const fields = toFields(own(data, "fields"));
    return fields && { __proto__: null, type, fields };
  }
  if (type === "focus") {
    const marks = toFocusMarks(own(data, "marks"));
    return marks && { __proto__: null, type, marks };
  }
  if (type === "notes") {
    const marks = toNoteMarks(own(data, "marks"));
    return marks && { __proto__: null, type, marks };
  }
  if (type === "strokes") {
    const marks = toStrokeMarks(own(data, "marks"));
    return marks && { __proto__: null, type, marks };
  }
  if (type === "highlights") {
    const marks = toHighlightMarks(own(data, "marks"));
    return marks && { __proto__: null, type, marks };
  }
  if (type === "draw") {
    const on = own(data, "on");
    const given = own(data, "color");
    const color = isColor(given) ? given : DEFAULT_COLOR;
    return typeof on === "boolean" ? { __proto__: null, type, on, color } : null;
  }
  if (type === "selections") {
    const marks = toSelectionMarks(own(data, "marks"));
    return marks && { __proto__: null, type, marks };
  }
  if (type === "command") {
    const command = toPageAction(data);
    return command && { __proto__: null, ...command, type };
  }
  if (type === "privacy") {
    const selectors = toSelectors(own(data, "selectors"));
    const shared = toSelectors(own(data, "shared"));
    const all = own(data, "all");
    if (!selectors || !shared || typeof all !== "boolean") return null;
    return { __proto__: null, type, selectors, shared, all };
  }
  return null;
}
