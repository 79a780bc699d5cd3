// Form fields in the room's Y.Doc (docs/protocol.md, "Form fields"): the `fields` map holds, per
// page URL and field key, a Y.Text for text fields (participants typing in one field merge), a
// boolean, a string or a list of strings for the others (the last change wins), or null for a
// private field someone typed in (its value never leaves their page); {open} for a <details>,
// {paused, time, rate} for a <video> or <audio>.
import * as Y from "yjs";
import { MAX_FIELD_TEXT, MAX_FIELDS } from "./protocol/limits.js";
import { rebase, textDiff } from "./protocol/text-edit.js";

export const fieldsOf = (doc) => doc.getMap("fields");

/** The page whose fields a URL shows: the URL without its fragment. */
export const pageOf = (url) => url.split("#")[0];

/** The map key of field `key` on page `url` (URLs, as browsers spell them, have no spaces). */
export const entryKey = (url, key) => `${pageOf(url)} ${key}`;

/** `{kind, value}` of a stored entry, or null when it holds nothing a field can show. */
export function readEntry(entry) {
  if (entry instanceof Y.Text) return { kind: "text", value: entry.toString() };
  if (entry === null) return { kind: "private", value: null };
  if (typeof entry === "boolean") return { kind: "check", value: entry };
  if (typeof entry === "string") return { kind: "value", value: entry };
  if (Array.isArray(entry) && entry.every((item) => typeof item === "string")) {
    return { kind: "multi", value: entry };
  }
  if (typeof entry?.open === "boolean") return { kind: "open", value: { open: entry.open } };
  if (typeof entry?.paused === "boolean") return { kind: "media", value: { ...entry } };
  return null;
}

/** The stored fields of page `url`: [{key, kind, value}], at most MAX_FIELDS. */
export function pageFields(doc, url) {
  const prefix = entryKey(url, "");
  const fields = [];
  for (const [name, entry] of fieldsOf(doc)) {
    if (fields.length >= MAX_FIELDS) break;
    if (!name.startsWith(prefix)) continue;
    const read = readEntry(entry);
    if (read) fields.push({ key: name.slice(prefix.length), ...read });
  }
  return fields;
}

/** Give each text field of a page's inventory a Y.Text, holding the page's own value, unless
 * the room has one: made as the page loads, before anyone types, so that two participants'
 * first keystrokes land in one shared text. */
export function prepare(doc, url, inventory, origin) {
  const fields = fieldsOf(doc);
  doc.transact(() => {
    for (const { key, kind, value } of inventory) {
      const name = entryKey(url, key);
      if (kind === "text" && !fields.has(name)) fields.set(name, new Y.Text(value));
    }
  }, origin);
}

/** Apply a participant's edit (a validated `field` message) to page `url`'s entry; returns the
 * text the field holds now (for a text edit), else null. */
export function applyEdit(doc, url, edit, origin) {
  const fields = fieldsOf(doc);
  const name = entryKey(url, edit.key);
  const entry = fields.get(name);
  if (edit.kind !== "text") {
    const read = readEntry(entry);
    const same =
      read && read.kind === edit.kind && JSON.stringify(read.value) === JSON.stringify(edit.value);
    if (!same) doc.transact(() => fields.set(name, edit.value), origin);
    return null;
  }
  let text = entry instanceof Y.Text ? entry : null;
  const current = text ? text.toString() : "";
  const wanted = rebase(edit.base, edit.value, current);
  if (wanted.length > MAX_FIELD_TEXT) return current;
  doc.transact(() => {
    if (!text) fields.set(name, (text = new Y.Text()));
    const { at, remove, insert } = textDiff(text.toString(), wanted);
    if (remove) text.delete(at, remove);
    if (insert) text.insert(at, insert);
  }, origin);
  return text.toString();
}

/** Calls `onChange(url, key)` for every field entry a transaction from elsewhere than `origin`
 * changed (a new value, or typing in a text). Returns the function that stops it. */
export function observeFields(doc, origin, onChange) {
  const fields = fieldsOf(doc);
  const handler = (events, transaction) => {
    if (transaction.origin === origin) return;
    const names = new Set();
    for (const event of events) {
      if (event.target === fields) for (const name of event.keysChanged) names.add(name);
      else if (typeof event.path[0] === "string") names.add(event.path[0]);
    }
    for (const name of names) {
      const space = name.indexOf(" ");
      if (space > 0) onChange(name.slice(0, space), name.slice(space + 1));
    }
  };
  fields.observeDeep(handler);
  return () => fields.unobserveDeep(handler);
}
