// Notes pinned on pages (docs/protocol.md, "Notes"): the `notes` map holds, per note id,
// `{page, at, text, author}`: the page (fields.pageId of its URL), where on it (a
// PointerPosition, as a click reports it), the text, and the author's username. The room hub
// lets only the author add or change a note, and only the author or whoever leads remove it.
import { toHexString } from "lib0/buffer";
import { pageId } from "./fields.js";
import { MAX_NOTE_TEXT, MAX_NOTES } from "./protocol/limits.js";
import { toPointer } from "./protocol/validate.js";

export const notesOf = (doc) => doc.getMap("notes");

const newId = () => toHexString(crypto.getRandomValues(new Uint8Array(9)));

/** Pin a note with `text` at `at` (a PointerPosition) on page `url`, by `author`; its id, or
 * null when the text is empty or too long, or the room has MAX_NOTES already. */
export function addNote(doc, { url, at, text, author }) {
  const notes = notesOf(doc);
  const clean = text.trim();
  if (!clean || clean.length > MAX_NOTE_TEXT || notes.size >= MAX_NOTES) return null;
  const id = newId();
  notes.set(id, { page: pageId(url), at, text: clean, author });
  return id;
}

/** The notes on page `url`, checked: [{id, at, text, author}]. */
export function pageNotes(doc, url) {
  const page = pageId(url);
  const found = [];
  for (const [id, note] of notesOf(doc)) {
    if (note?.page !== page || typeof note.text !== "string" || typeof note.author !== "string")
      continue;
    const at = toPointer(note.at);
    if (at && note.text.length <= MAX_NOTE_TEXT)
      found.push({ id, at, text: note.text, author: note.author });
  }
  return found;
}

/** Remove the notes `ids` in one change. */
export function removeNotes(doc, ids) {
  const notes = notesOf(doc);
  doc.transact(() => ids.forEach((id) => notes.delete(id)));
}
