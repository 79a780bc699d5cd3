// Form fields in the room's Y.Doc (docs/protocol.md, "Form fields"): the `fields` map holds, per
// page (a hash of its URL) and field key, a Y.Text for text fields (participants typing in one field merge), a
// boolean, a string or a list of strings for the others (the last change wins), or null for a
// private field someone typed in (its value never leaves their page); {open} for a <details>,
// {paused, time, rate} for a <video> or <audio>. In practice mode (schema.js, `fieldMode`) each
// participant's fields are their own: the `answers` map holds them the same way, each key
// prefixed with its owner's username (escaped: `ownerPrefix`), and only the owner writes them.
import * as Y from "yjs";
import { toHexString } from "lib0/buffer";
import { digest } from "lib0/hash/sha256";
import { MAX_FIELD_TEXT, MAX_FIELDS } from "./protocol/limits.js";
import { rebase, textDiff } from "./protocol/text-edit.js";
import { historyIndex, roots } from "./schema.js";

/** Characters of field keys and values a room keeps (fields of pages furthest back in its
 * history make way first): a page, hostile or not, cannot fill the room's document. */
export const FIELD_BUDGET = 128 * 1024;
/** The same for each participant's own fields in practice mode (a class shares the document). */
export const ANSWER_BUDGET = 8 * 1024;
/** Encoded bytes of the room's document past which no new field entry is made (deleted
 * entries leave their keys behind): navigation must keep working in a room of any age. */
export const DOC_BRAKE = 512 * 1024;

/** The start of every key of `owner`'s own fields: their username, "%" and " " escaped, and a
 * space; "" for the room's shared fields (`owner` null). */
export const ownerPrefix = (owner) =>
  owner === null ? "" : `${owner.replaceAll("%", "%25").replaceAll(" ", "%20")} `;

/** The map that holds the room's shared fields, or, for an `owner`, everyone's own. */
export const fieldsOf = (doc, owner = null) => doc.getMap(owner === null ? "fields" : "answers");

const ids = new Map(); // URL -> page id, the latest few

/** The page a URL shows: the URL without its fragment. */
export const pageOf = (url) => url.split("#")[0];

/** The id of the page a URL shows: the first 128 bits of the SHA-256 of the URL without its
 * fragment, in hex (so that a key's length does not depend on the URL's). */
export function pageId(url) {
  let id = ids.get(url);
  if (id === undefined) {
    id = toHexString(digest(new TextEncoder().encode(pageOf(url))).subarray(0, 16));
    if (ids.size >= 256) ids.delete(ids.keys().next().value);
    ids.set(url, id);
  }
  return id;
}

/** The map key of field `key` on page `url` (`owner`'s own, or the room's shared one). */
export const entryKey = (url, key, owner = null) => `${ownerPrefix(owner)}${pageId(url)} ${key}`;

const sizeOf = (name, entry) =>
  name.length + (entry instanceof Y.Text ? entry.length : JSON.stringify(entry ?? null).length);

/** How many characters page `url`'s fields may take, up to `more` when that can be made: when the
 * room's fields would pass FIELD_BUDGET, those of other pages go, the ones furthest from the
 * room's place in its history first (pages no longer in it before all). Call inside a
 * transaction. */
function makeRoom(doc, url, more, owner) {
  const fields = fieldsOf(doc, owner);
  const prefix = ownerPrefix(owner);
  const budget = owner === null ? FIELD_BUDGET : ANSWER_BUDGET;
  const own = (name) => name.startsWith(prefix);
  let used = 0;
  // Each keystroke asks: a sum, the common case, before any grouping by page.
  for (const [name, entry] of fields) if (own(name)) used += sizeOf(name, entry);
  if (used + more <= budget) return budget - used;
  const pages = new Map(); // page id -> {names, size}
  for (const [name, entry] of fields) {
    if (!own(name)) continue;
    const page = name.slice(prefix.length, name.indexOf(" ", prefix.length));
    if (!pages.has(page)) pages.set(page, { names: [], size: 0 });
    pages.get(page).names.push(name);
    pages.get(page).size += sizeOf(name, entry);
  }
  const near = new Map(); // page id -> how many steps from the room's place in its history
  const here = historyIndex(doc);
  roots(doc)
    .history.toArray()
    .forEach((entry, at) => {
      const id = pageId(String(entry));
      near.set(id, Math.min(near.get(id) ?? Infinity, Math.abs(at - here)));
    });
  pages.delete(pageId(url));
  const far = (page) => near.get(page) ?? Infinity;
  const others = [...pages.keys()].sort((a, b) => far(b) - far(a));
  for (const page of others) {
    if (used + more <= budget) break;
    for (const name of pages.get(page).names) fields.delete(name);
    used -= pages.get(page).size;
  }
  return budget - used;
}

/** How many characters new entries of page `url` may take (up to `more`): none once the
 * document has passed DOC_BRAKE. */
const roomForNew = (doc, url, more, owner) =>
  Y.encodeStateAsUpdate(doc).length > DOC_BRAKE ? 0 : makeRoom(doc, url, more, owner);

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

/** The stored fields of page `url` (`owner`'s own, or the shared ones): [{key, kind, value}],
 * at most MAX_FIELDS. */
export function pageFields(doc, url, owner = null) {
  const prefix = entryKey(url, "", owner);
  const fields = [];
  for (const [name, entry] of fieldsOf(doc, owner)) {
    if (fields.length >= MAX_FIELDS) break;
    if (!name.startsWith(prefix)) continue;
    const read = readEntry(entry);
    if (read) fields.push({ key: name.slice(prefix.length), ...read });
  }
  return fields;
}

/** Give each text field of a page's inventory a Y.Text, holding the page's own value, unless
 * the room has one: made as the page loads, before anyone types, so that two participants'
 * first keystrokes land in one shared text. A field the inventory calls private loses any value
 * the room holds for it (the rules may have changed since it was typed in). */
export function prepare(doc, url, inventory, origin, owner = null) {
  const fields = fieldsOf(doc, owner);
  const name = (key) => entryKey(url, key, owner);
  const fresh = inventory.filter(({ key, kind }) => kind === "text" && !fields.has(name(key)));
  // A field the rules made private since someone typed in it: the room forgets its value.
  const hidden = inventory.filter(
    ({ key, kind }) => kind === "private" && (fields.get(name(key)) ?? null) !== null,
  );
  if (hidden.length) {
    doc.transact(() => hidden.forEach(({ key }) => fields.set(name(key), null)), origin);
  }
  if (!fresh.length) return;
  const sizes = fresh.map(({ key, value }) => name(key).length + value.length);
  doc.transact(() => {
    let room = roomForNew(
      doc,
      url,
      sizes.reduce((sum, size) => sum + size, 0),
      owner,
    );
    fresh.forEach(({ key, value }, i) => {
      if (sizes[i] > room) return; // a field there is no room for stays the page's own
      fields.set(name(key), new Y.Text(value));
      room -= sizes[i];
    });
  }, origin);
}

/** Apply a participant's edit (a validated `field` message) to page `url`'s entry (`owner`'s
 * own, or the shared one); returns the text the field holds now (for a text edit), else null. */
export function applyEdit(doc, url, edit, origin, owner = null) {
  const fields = fieldsOf(doc, owner);
  const name = entryKey(url, edit.key, owner);
  const entry = fields.get(name);
  const grow = (more) => (fields.has(name) ? makeRoom : roomForNew)(doc, url, more, owner) >= more;
  if (edit.kind !== "text") {
    const read = readEntry(entry);
    const [now, before] = [edit.value, read?.value].map((value) => JSON.stringify(value));
    if (read && read.kind === edit.kind && before === now) return null;
    const more = now.length - (read ? before.length : -name.length); // a new entry: its key too
    doc.transact(() => grow(more) && fields.set(name, edit.value), origin);
    return null;
  }
  let text = entry instanceof Y.Text ? entry : null;
  const current = text ? text.toString() : "";
  const wanted = rebase(edit.base, edit.value, current);
  if (wanted.length > MAX_FIELD_TEXT) return current;
  doc.transact(() => {
    if (!grow(wanted.length - current.length + (text ? 0 : name.length))) return;
    if (!text) fields.set(name, (text = new Y.Text()));
    const { at, remove, insert } = textDiff(text.toString(), wanted);
    if (remove) text.delete(at, remove);
    if (insert) text.insert(at, insert);
  }, origin);
  return text ? text.toString() : current;
}

/** Calls `onChange(page, key)` (`page` a pageId) for every field entry (`owner`'s own, or the
 * shared ones) a transaction from elsewhere than `origin` changed (a new value, or typing in a
 * text). Returns the function that stops it. */
export function observeFields(doc, origin, onChange, owner = null) {
  const fields = fieldsOf(doc, owner);
  const prefix = ownerPrefix(owner);
  const handler = (events, transaction) => {
    if (transaction.origin === origin) return;
    const names = new Set();
    for (const event of events) {
      if (event.target === fields) for (const name of event.keysChanged) names.add(name);
      else if (typeof event.path[0] === "string") names.add(event.path[0]);
    }
    for (const name of names) {
      const space = name.indexOf(" ", prefix.length);
      if (name.startsWith(prefix) && space > prefix.length)
        onChange(name.slice(prefix.length, space), name.slice(space + 1));
    }
  };
  fields.observeDeep(handler);
  return () => fields.unobserveDeep(handler);
}
