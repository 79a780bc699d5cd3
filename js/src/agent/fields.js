// Form fields and page controls (docs/protocol.md, "Form fields"): report what the user types,
// ticks and picks, opens (<details>) and plays (<video>, <audio>), and
// apply the room's values so that the page's framework notices (the prototypes' own setters, then
// `input` and `change` events, as a user's edit would fire them). Private fields (passwords, card
// numbers, files, hidden inputs, what the page or the notebook marks) never leave this page:
// only the fact that someone typed there does. Only the user's own (trusted) events count, so a
// page script cannot write into the room through its fields.
import { editableText, isEditingHost, setEditableText } from "./editable.js";
import { looksGenerated } from "./locator.js";
import * as n from "./natives.js";
import { mapPosition, rebase } from "../protocol/text-edit.js";
import { MAX_FIELD_KEY, MAX_FIELD_TEXT, MAX_FIELDS } from "../protocol/limits.js";

const FIELDS = "input, textarea, select, details, video, audio, [contenteditable]";
const NativeMutationObserver = MutationObserver; // before any page script can replace it
const ANNOUNCE_MS = 300;
const WATCH = { childList: true, subtree: true };
const MEDIA_EVENTS = ["play", "pause", "seeked", "ratechange"];
const QUIET_MS = 500; // media events that follow a change from the room are not the user's
const MASK = "\u2022\u2022\u2022\u2022 (private)"; // someone typed here; what stays theirs
const ALWAYS_PRIVATE = [
  "input[type=password i]",
  "input[type=file i]",
  "input[type=hidden i]",
  "[autocomplete*=cc- i]",
  "[autocomplete*=password i]",
  "[autocomplete*=one-time-code i]",
  "[data-cobrowse-private]",
].join(", ");
// Kinds by input type; passwords and files are fields too, always private (others see that
// someone typed or chose one, never what).
const TEXT_TYPES = new Set(["text", "search", "email", "url", "tel", "password", ""]);
const VALUE_TYPES = new Set(["number", "range", "color", "date", "time", "datetime-local"]);
for (const type of ["month", "week", "radio", "file"]) VALUE_TYPES.add(type);
const CARET_TYPES = new Set(["text", "search", "url", "tel", ""]); // setSelectionRange works
const NativeFocusEvent = FocusEvent; // captured before any page script runs, as natives.js does

/** The kind of value a field shares, or null for fields that share none (buttons...). */
function kindOf(element) {
  const kind = fieldKind(element);
  // Nobody types in a read-only text field (an app's hidden focus catcher, say): nothing to
  // share. (On a checkbox, where some apps set it, `readonly` means nothing.)
  return kind === "text" && n.getAttribute(element, "readonly") !== null ? null : kind;
}

function fieldKind(element) {
  const tag = n.localName(element);
  if (tag === "textarea") return "text";
  if (tag === "details") return "open";
  if (tag === "video" || tag === "audio") return "media";
  if (tag === "select") return n.selectMultiple(element) ? "multi" : "value";
  if (tag !== "input") return isEditingHost(element) ? "text" : null;
  const type = typeOf(element);
  if (TEXT_TYPES.has(type)) return "text";
  if (type === "checkbox") return "check";
  return VALUE_TYPES.has(type) ? "value" : null;
}

const typeOf = (element) => (n.getAttribute(element, "type") ?? "").trim().toLowerCase();

/** Reads and writes one field's value by its kind, through captured accessors. */
function valueOf(element) {
  const tag = n.localName(element);
  if (tag === "textarea") return n.textareaValue.get(element);
  if (tag === "details") return { open: n.detailsOpen.get(element) };
  if (tag === "video" || tag === "audio") {
    const time = Math.round(n.media.time.get(element) * 100) / 100;
    return { paused: n.media.paused(element), time, rate: n.media.rate.get(element) };
  }
  if (tag === "select") {
    if (!n.selectMultiple(element)) return n.selectValue.get(element);
    const chosen = [];
    for (const option of n.selectOptions(element)) {
      if (n.optionSelected.get(option)) chosen.push(n.optionValue(option));
    }
    return chosen;
  }
  if (tag !== "input") return editableText(element);
  const type = typeOf(element);
  if (type === "checkbox") return n.inputChecked.get(element);
  if (type === "radio") return radioValue(element);
  return n.inputValue.get(element);
}

/** The value of the checked radio button in `element`'s group ("" when none is). */
function radioValue(element) {
  for (const radio of radioGroup(element)) {
    if (n.inputChecked.get(radio)) return n.getAttribute(radio, "value") ?? "on";
  }
  return "";
}

function radioGroup(element) {
  const name = n.getAttribute(element, "name");
  if (!name) return [element];
  const scope = n.rootNode(element);
  const group = [];
  for (const radio of scope.querySelectorAll("input[type=radio i]")) {
    if (n.getAttribute(radio, "name") === name) group.push(radio);
  }
  return group;
}

/**
 * The field's key, the same on every copy of the page: a radio group's name, an author's id, a
 * name with its position among fields of that name, else the element's path from <body>.
 */
function keyOf(element, describe) {
  const tag = n.localName(element);
  const name = n.getAttribute(element, "name");
  let key;
  if (tag === "input" && typeOf(element) === "radio" && name) {
    // A name a framework generates anew on each load (react-aria's) is no key: the group is
    // known by where its first button is.
    key = looksGenerated(name)
      ? `radio ${pathKey(firstNamed(element, name), describe)}`
      : `radio ${name}`;
  } else {
    const id = n.getAttribute(element, "id");
    if (id && !looksGenerated(id)) key = `#${id}`;
    else if (name) key = `${tag} ${name} ${namedIndex(element, tag, name)}`;
    else key = pathKey(element, describe);
  }
  return key.length <= MAX_FIELD_KEY ? key : null;
}

const pathKey = (element, describe) =>
  `path ${describe(element)
    .path.map(([step, i]) => `${step}:${i}`)
    .join("/")}`;

/** The first input named `name` in `element`'s tree (the first button of a radio group). */
function firstNamed(element, name) {
  for (const other of n.rootNode(element).querySelectorAll("input")) {
    if (n.getAttribute(other, "name") === name) return other;
  }
  return element;
}

function namedIndex(element, tag, name) {
  let index = 0;
  for (const other of n.rootNode(element).querySelectorAll(tag)) {
    if (other === element) return index;
    if (n.getAttribute(other, "name") === name) index++;
  }
  return index;
}

/** Whether a field's value stays on this page, by the built-in rules and the notebook's. */
function isPrivate(element, rules) {
  const test = (selector) => {
    try {
      return inTree(element, (node) => n.matches(node, selector));
    } catch {
      return true; // a selector the browser cannot read keeps the field private
    }
  };
  const any = (selectors) => {
    for (let i = 0; i < selectors.length; i++) if (test(selectors[i])) return true;
    return false;
  };
  if (test(ALWAYS_PRIVATE) || any(rules.selectors)) return true;
  return rules.all && !any(rules.shared);
}

/** Whether `element` or an element it is inside (across shadow roots) passes `check`. */
function inTree(element, check) {
  for (let node = element; node;) {
    if (check(node)) return true;
    const parent = node.parentElement;
    if (parent) node = parent;
    else {
      const root = n.rootNode(node);
      node = root instanceof ShadowRoot ? n.shadowHost(root) : null;
    }
  }
  return false;
}

/** Show that someone typed in a private field here, without what (its value stays theirs). */
function mask(element) {
  const tag = n.localName(element);
  if ((tag === "input" || tag === "textarea") && !valueOf(element)) {
    n.setAttribute(element, "placeholder", MASK);
  }
}

/** Fire what a user's edit fires, for frameworks to notice a value set from the room. */
function announce(element, kind) {
  const fire = (type) => n.dispatch(element, new n.NativeEvent(type, { bubbles: true }));
  if (kind === "check") fire("click"); // React follows checkboxes and radios by click events
  fire("input");
  fire("change");
  // Many apps take a value only when the user is done with the field: Streamlit's text and
  // number inputs, Dash's debounced inputs and its slider's number box, react-aria's combobox
  // (which then closes the list the text opened) commit on leaving it, not on each input. A
  // participant's edit from the room is a finished edit, so a field this user is not in is left
  // as after their own edit: blur, then focusout, both toward where this user's focus really is
  // (so nothing reads it as focus leaving the page). A field the user is in stays theirs: their
  // own Enter or leaving commits it. Enter (which may submit a form) is never sent.
  const active = deepActive();
  if (element === active) return;
  const leave = (type, bubbles) =>
    n.dispatch(
      element,
      new NativeFocusEvent(type, { bubbles, composed: true, relatedTarget: active }),
    );
  leave("blur", false);
  leave("focusout", true);
}

/** Where the caret and selection of a focused text field are: [start, end], or null. */
function caretOf(element) {
  const area = n.localName(element) === "textarea";
  if (!area && !CARET_TYPES.has(typeOf(element))) return null;
  const start = (area ? n.selection.areaStart : n.selection.start)(element);
  const end = (area ? n.selection.areaEnd : n.selection.end)(element);
  return start === null ? null : [start, end];
}

/** Put a caret read before the value changed from `before` to `after` where it belongs now
 * (setting a value moves the browser's caret to the end). */
function restoreCaret(element, caret, before, after) {
  const area = n.localName(element) === "textarea";
  const [start, end] = [mapPosition(before, after, caret[0]), mapPosition(before, after, caret[1])];
  (area ? n.selection.areaSet : n.selection.set)(element, start, end);
}

/**
 * Starts reporting the user's field edits with `send(message)`; returns {inventory(),
 * apply(fields), setRules(rules), hasRules()}. `describe` names elements that have neither id nor name.
 */
export function syncFields({ send, describe }) {
  let rules = null; // nothing is reported before the widget says which fields are private
  const keys = new WeakMap(); // element -> its key, found once
  const texts = new WeakMap(); // text field -> {last, seq, pending}: edits not yet acknowledged
  const seen = new Set(); // fields found in open shadow roots by their events
  const shadows = new Set(); // open shadow roots found in the page when it is inventoried
  let composing = null; // the field an input method is composing in: left alone until done
  let byKey = new Map(); // field key -> its element, as last found
  const deferred = new Map();

  const key = (element) => {
    if (!keys.has(element)) keys.set(element, keyOf(element, describe));
    return keys.get(element);
  };
  const textState = (element) => {
    let state = texts.get(element);
    if (!state) texts.set(element, (state = { last: valueOf(element), seq: 0, pending: [] }));
    return state;
  };
  const shareable = (element) => kindOf(element) !== null && key(element) !== null;
  // Web components' fields: their open shadow roots are looked for when the page is
  // inventoried (a walk of the whole tree), then queried with the document.
  let observer = null; // watches the page and its shadow roots for added fields, once asked
  const findShadows = (root) => {
    for (const element of root.querySelectorAll("*")) {
      const shadow = n.shadowRootOf(element);
      if (shadow && !shadows.has(shadow)) {
        shadows.add(shadow);
        observer?.observe(shadow, WATCH);
        findShadows(shadow);
      }
    }
  };
  const all = () => {
    const found = new Set([...document.querySelectorAll(FIELDS), ...seen]);
    for (const shadow of shadows)
      for (const element of shadow.querySelectorAll(FIELDS)) found.add(element);
    return [...found].filter((element) => element.isConnected && shareable(element));
  };

  const report = (element) => {
    if (rules === null) return;
    const kind = kindOf(element);
    const name = kind && key(element);
    if (!name) return;
    if (isPrivate(element, rules)) {
      send({ type: "field", key: name, kind: "private", value: null });
    } else if (kind === "text") {
      const state = textState(element);
      const value = valueOf(element);
      if (value === state.last || value.length > MAX_FIELD_TEXT) return;
      const edit = { seq: ++state.seq, base: state.last, value };
      state.pending.push(edit);
      state.last = value;
      send({ type: "field", key: name, kind, ...edit });
    } else {
      send({ type: "field", key: name, kind, value: valueOf(element) });
    }
  };

  const fieldOf = (event) => {
    if (!n.isTrusted(event)) return null;
    const target = n.composedPath(event)[0];
    if (!(target instanceof Element) || !n.matches(target, FIELDS)) return null;
    if (n.rootNode(target) instanceof ShadowRoot) seen.add(target);
    return target;
  };
  const onEdit = (event) => {
    const element = fieldOf(event);
    if (element && element !== composing) report(element);
  };
  const onStart = (event) => {
    const element = fieldOf(event);
    if (element && kindOf(element) === "text") textState(element); // the value before an edit
  };
  const onSummary = (event) => {
    if (!n.isTrusted(event)) return;
    const summary = n
      .composedPath(event)
      .find((node) => node instanceof Element && n.localName(node) === "summary");
    const details = summary?.parentElement;
    if (details && n.localName(details) === "details") setTimeout(() => report(details)); // toggled by then
  };
  const quiet = new WeakMap(); // media element -> until when its events are the room's doing
  const onMedia = (event) => {
    const element = n.composedPath(event)[0];
    if (!(element instanceof HTMLMediaElement) || !n.userHasActed()) return;
    if ((quiet.get(element) ?? 0) > performance.now()) return;
    report(element);
  };
  n.listen(window, "click", onSummary, true);
  for (const type of MEDIA_EVENTS) n.listen(window, type, onMedia, true);
  n.listen(window, "input", onEdit, true);
  n.listen(window, "change", onEdit, true);
  n.listen(window, "focusin", onStart, true);
  n.listen(window, "beforeinput", onStart, true);
  n.listen(window, "compositionstart", (event) => (composing = fieldOf(event)), true);
  n.listen(
    window,
    "compositionend",
    (event) => {
      const element = fieldOf(event);
      composing = null;
      const waiting = element && deferred.get(element);
      deferred.delete(element);
      if (waiting) applyOne(element, waiting);
      if (element) report(element);
    },
    true,
  );

  const applyOne = (element, field) => {
    if (element === composing) return void deferred.set(element, field);
    const kind = kindOf(element);
    if (rules === null) return;
    if (isPrivate(element, rules)) return void (field.kind === "private" && mask(element));
    if (field.kind !== kind) return;
    if (kind === "text") return applyText(element, field);
    if (kind === "open") {
      if (n.detailsOpen.get(element) !== field.value.open)
        n.detailsOpen.set(element, field.value.open);
      return;
    }
    if (kind === "media") return applyMedia(element, field.value);
    if (kind === "check") {
      if (n.inputChecked.get(element) === field.value) return;
      n.inputChecked.set(element, field.value);
    } else if (kind === "multi") {
      const chosen = new Set(field.value);
      for (const option of n.selectOptions(element)) {
        n.optionSelected.set(option, chosen.has(n.optionValue(option)));
      }
    } else if (n.localName(element) === "input" && typeOf(element) === "radio") {
      const radio = radioGroup(element).find(
        (r) => (n.getAttribute(r, "value") ?? "on") === field.value,
      );
      if (!radio || n.inputChecked.get(radio)) return;
      n.inputChecked.set(radio, true);
      return announce(radio, "check");
    } else {
      if (valueOf(element) === field.value) return;
      (n.localName(element) === "select" ? n.selectValue : n.inputValue).set(element, field.value);
    }
    announce(element, kind);
  };

  const applyMedia = (element, { paused, time, rate }) => {
    quiet.set(element, performance.now() + QUIET_MS);
    if (n.media.rate.get(element) !== rate) n.media.rate.set(element, rate);
    if (Math.abs(n.media.time.get(element) - time) > 0.5) n.media.time.set(element, time);
    if (paused !== n.media.paused(element)) {
      if (paused) n.media.pause(element);
      else n.media.play(element)?.catch?.(() => {}); // the browser may refuse without a gesture
    }
  };

  const applyText = (element, { value, ack = 0 }) => {
    const state = textState(element);
    state.pending = state.pending.filter((edit) => edit.seq > ack);
    let text = value;
    for (const edit of state.pending) text = rebase(edit.base, edit.value, text);
    const shown = valueOf(element);
    state.last = text;
    if (text === shown) return;
    if (isEditingHost(element)) {
      setEditableText(element, text);
      return announce(element, "text");
    }
    const setter = n.localName(element) === "textarea" ? n.textareaValue : n.inputValue;
    const caret = element === deepActive() ? caretOf(element) : null;
    setter.set(element, text);
    if (caret) restoreCaret(element, caret, shown, text);
    announce(element, "text");
  };

  return {
    /** The page's shareable fields with their values (private ones without). */
    inventory() {
      const fields = [];
      if (rules === null) return fields;
      findShadows(document);
      for (const element of all()) {
        if (fields.length >= MAX_FIELDS) break;
        const kind = kindOf(element);
        const name = key(element);
        if (kind === "open" || kind === "media") continue; // they have no default to share
        if (fields.some((field) => field.key === name)) continue; // a radio group's other buttons
        if (isPrivate(element, rules)) fields.push({ key: name, kind: "private", value: null });
        else {
          const value = valueOf(element);
          if (kind === "text") textState(element);
          if (kind !== "text" || value.length <= MAX_FIELD_TEXT)
            fields.push({ key: name, kind, value });
        }
      }
      return fields;
    },
    /** Apply the room's values (validated) to the fields they name. The fields are found by
     * key once, and looked for again only when one is missing or gone (a keystroke from the
     * room finds its field without walking the page). */
    apply(fields) {
      let fresh = false;
      for (const field of fields) {
        let element = byKey.get(field.key);
        if (!element?.isConnected && !fresh) {
          byKey = new Map();
          for (const found of all()) if (!byKey.has(key(found))) byKey.set(key(found), found);
          fresh = true;
          element = byKey.get(field.key);
        }
        if (element?.isConnected) applyOne(element, field);
      }
    },
    /** Calls `onAdded()` (at most every ANNOUNCE_MS, and once after the last) when the page
     * adds fields after it loaded (an app that renders its form once its data has come), or
     * a web component that may hold some; a fresh inventory finds them. */
    watch(onAdded) {
      let timer = 0;
      const later = () => {
        timer = 0;
        onAdded();
      };
      const mayHoldFields = (node) =>
        node instanceof Element &&
        (n.matches(node, FIELDS) ||
          node.querySelector(FIELDS) !== null ||
          n.shadowRootOf(node) !== null);
      observer = new NativeMutationObserver((records) => {
        if (timer) return;
        for (const record of records) {
          for (const node of record.addedNodes) {
            if (mayHoldFields(node)) return void (timer = setTimeout(later, ANNOUNCE_MS));
          }
        }
      });
      for (const root of [document, ...shadows]) observer.observe(root, WATCH);
    },
    /** Fill `element` with `value` as its user would (cb.fill from Python): the value set, the
     * events an edit fires, then reported as this user's edit (a private field's value stays
     * here). Null when done, else why not: "not-a-field", "wrong-value", "no-option". */
    fill(element, value) {
      const kind = kindOf(element);
      if (kind === null || kind === "media") return "not-a-field";
      const wanted = { text: "string", value: "string", check: "boolean", open: "boolean" };
      if (kind === "multi" ? !Array.isArray(value) : typeof value !== wanted[kind])
        return "wrong-value";
      if (kind === "open") {
        n.detailsOpen.set(element, value); // the browser fires its toggle event
        report(element);
        return null;
      }
      let target = element;
      if (kind === "text") {
        textState(element); // the value before, where the user's own edit starts from
        if (isEditingHost(element)) setEditableText(element, value);
        else if (n.localName(element) === "textarea") n.textareaValue.set(element, value);
        else n.inputValue.set(element, value);
      } else if (kind === "check") n.inputChecked.set(element, value);
      else if (n.localName(element) === "select") {
        const options = [...n.selectOptions(element)];
        const chosen = new Set(kind === "multi" ? value : [value]);
        for (const v of chosen)
          if (!options.some((o) => n.optionValue(o) === v)) return "no-option";
        for (const option of options)
          n.optionSelected.set(option, chosen.has(n.optionValue(option)));
      } else if (typeOf(element) === "radio") {
        target = radioGroup(element).find((r) => (n.getAttribute(r, "value") ?? "on") === value);
        if (!target) return "no-option";
        n.inputChecked.set(target, true);
      } else {
        n.inputValue.set(element, value);
        if (n.inputValue.get(element) !== value) return "wrong-value"; // the browser refused it
      }
      announce(target, typeOf(target) === "radio" ? "check" : kind); // a radio: as a click
      report(target);
      return null;
    },
    setRules(given) {
      rules = given;
    },
    hasRules: () => rules !== null,
  };
}

function deepActive() {
  let active = document.activeElement;
  while (active?.shadowRoot?.activeElement) active = active.shadowRoot.activeElement;
  return active;
}
