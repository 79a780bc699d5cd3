// Notes pinned on pages, strokes drawn on them and elements highlighted from Python
// (docs/protocol.md, "Notes"): the `notes` map holds, per id, `{page, at, text, author}` for a
// note, `{page, at, width, path, author}` for a stroke and `{page, selector, text, author}` for a
// highlight: the page (fields.pageId of its URL), where on it (a PointerPosition, as a click
// reports it; a stroke's start), the text or the stroke's shape (validate.js, toStroke), and the
// author's username. The room hub lets only the author add or change one, and only the author or
// whoever leads remove it.
import { toHexString } from "lib0/buffer";
import { pageId } from "./fields.js";
import { MAX_NOTE_TEXT, MAX_NOTES, MAX_SELECTOR } from "./protocol/limits.js";
import { toPointer, toStroke } from "./protocol/validate.js";

export const notesOf = (doc) => doc.getMap("notes");

const isSelector = (value) =>
  typeof value === "string" && value.length > 0 && value.length <= MAX_SELECTOR;

const newId = () => toHexString(crypto.getRandomValues(new Uint8Array(9)));

/** Put `entry` on page `url` in a new id, or null when the room has MAX_NOTES already. */
function put(doc, url, entry) {
  const notes = notesOf(doc);
  if (notes.size >= MAX_NOTES) return null;
  const id = newId();
  notes.set(id, { page: pageId(url), ...entry });
  return id;
}

/** Pin a note with `text` at `at` (a PointerPosition) on page `url`, by `author`; its id, or
 * null when the text is empty or too long, or the room is full. */
export function addNote(doc, { url, at, text, author }) {
  const clean = text.trim();
  if (!clean || clean.length > MAX_NOTE_TEXT) return null;
  return put(doc, url, { at, text: clean, author });
}

/** Keep a stroke drawn from `at` (`width` and `path` as toStroke takes them) on page `url`, by
 * `author`; its id, or null when it does not fit or the room is full. */
export function addStroke(doc, { url, at, width, path, author }) {
  const stroke = toStroke(width, path);
  return stroke && put(doc, url, { at, ...stroke, author });
}

/** The notes, strokes and highlights on page `url`, checked: [{id, at, author, text}] for
 * notes, [{id, at, author, width, path}] for strokes and [{id, selector, author, text}] for
 * highlights (written from Python: cobrowse_widget/_highlights.py). */
export function pageNotes(doc, url) {
  const page = pageId(url);
  const found = [];
  for (const [id, note] of notesOf(doc)) {
    if (note?.page !== page || typeof note.author !== "string") continue;
    const at = toPointer(note.at);
    const stroke = note.path === undefined ? null : toStroke(note.width, note.path);
    const text = typeof note.text === "string" && note.text.length <= MAX_NOTE_TEXT && note.text;
    if (at && stroke) found.push({ id, at, author: note.author, ...stroke });
    else if (at && text) found.push({ id, at, author: note.author, text });
    else if (isSelector(note.selector))
      found.push({ id, selector: note.selector, author: note.author, text: text || "" });
  }
  return found;
}

/** Remove the notes `ids` in one change. */
export function removeNotes(doc, ids) {
  const notes = notesOf(doc);
  doc.transact(() => ids.forEach((id) => notes.delete(id)));
}
