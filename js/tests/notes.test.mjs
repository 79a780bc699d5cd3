// Notes and strokes in the doc (src/notes.js): kept per page, checked when read, bounded.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";
import { pageId } from "../src/fields.js";
import * as notes from "../src/notes.js";
import {
  MAX_NOTE_TEXT,
  MAX_NOTES,
  MAX_STROKE_POINTS,
  MAX_STROKE_SPAN,
} from "../src/protocol/limits.js";

const PAGE = "https://e.example/page";
const at = { locator: { id: "title", path: [["h1", 0]] }, rx: 0.25, ry: 0.5, fx: 0.1, fy: 0.2 };

test("a note is pinned on its page, and removed", () => {
  const doc = new Y.Doc();
  const id = notes.addNote(doc, { url: `${PAGE}#part`, at, text: "  look here ", author: "ann" });
  assert.match(id, /^[0-9a-f]{18}$/);
  const [note] = notes.pageNotes(doc, PAGE);
  assert.deepEqual(JSON.parse(JSON.stringify(note)), { id, at, text: "look here", author: "ann" });
  assert.deepEqual(notes.pageNotes(doc, "https://e.example/other"), []);
  notes.removeNotes(doc, [id]);
  assert.deepEqual(notes.pageNotes(doc, PAGE), []);
});

test("empty, long and one-too-many notes are not made; malformed ones are not read", () => {
  const doc = new Y.Doc();
  assert.equal(notes.addNote(doc, { url: PAGE, at, text: "   ", author: "ann" }), null);
  const long = "x".repeat(MAX_NOTE_TEXT + 1);
  assert.equal(notes.addNote(doc, { url: PAGE, at, text: long, author: "ann" }), null);
  for (let i = 0; i < MAX_NOTES; i++) notes.addNote(doc, { url: PAGE, at, text: "n", author: "a" });
  assert.equal(notes.addNote(doc, { url: PAGE, at, text: "one more", author: "ann" }), null);
  notes.notesOf(doc).clear();
  const page = pageId(PAGE);
  notes.notesOf(doc).set("x", { page, at: { rx: "no" }, text: "t", author: "a" });
  notes.notesOf(doc).set("y", { page, at, text: 7, author: "a" });
  notes.notesOf(doc).set("z", "not a note");
  assert.deepEqual(notes.pageNotes(doc, PAGE), []);
  notes.notesOf(doc).set("ok", { page, at, text: "t", author: "a" });
  assert.equal(notes.pageNotes(doc, PAGE).length, 1);
});

test("a stroke is kept on its page as one entry, read back checked, and removed like a note", () => {
  const doc = new Y.Doc();
  const stroke = { at, width: 320, path: [0, 0, 12, -4, 40, 9] };
  const id = notes.addStroke(doc, { url: PAGE, ...stroke, author: "ann" });
  assert.equal(notes.notesOf(doc).size, 1);
  const [read] = notes.pageNotes(doc, PAGE);
  assert.deepEqual(JSON.parse(JSON.stringify(read)), { id, ...stroke, author: "ann" });
  notes.removeNotes(doc, [id]);
  assert.equal(notes.notesOf(doc).size, 0);
});

test("strokes that do not fit are not made, and a peer's malformed ones are not read", () => {
  const doc = new Y.Doc();
  const long = Array.from({ length: 2 * (MAX_STROKE_POINTS + 1) }, (_, i) => i % 7);
  for (const [width, path] of [
    [320, long],
    [320, [0, 0]],
    [0, [0, 0, 1, 1]],
    [320, [0, 0, 1.5, 1]],
    [320, [0, 0, MAX_STROKE_SPAN + 1, 1]],
  ]) {
    assert.equal(notes.addStroke(doc, { url: PAGE, at, width, path, author: "a" }), null);
  }
  const page = pageId(PAGE);
  const map = notes.notesOf(doc);
  map.set("nan", { page, at, width: 10, path: [0, 0, NaN, 1], author: "a" });
  map.set("str", { page, at, width: 10, path: [0, 0, "1", 1], author: "a" });
  map.set("obj", { page, at, width: 10, path: { length: 4 }, author: "a" });
  map.set("big", { page, at, width: 10, path: long, author: "a" });
  assert.deepEqual(notes.pageNotes(doc, PAGE), []);
});

test("a highlight written from Python is read with its selector; a bad one is not", () => {
  const doc = new Y.Doc();
  const map = notes.notesOf(doc);
  const page = pageId(PAGE);
  map.set("h1", { page, selector: "#title", text: "Start here", author: "ann" });
  map.set("h2", { page, selector: "main p", author: "bob" }); // no note
  map.set("h3", { page, selector: "p".repeat(513), text: "", author: "eve" });
  map.set("h4", { page, selector: 7, text: "x", author: "eve" });
  const read = notes.pageNotes(doc, PAGE).sort((a, b) => a.id.localeCompare(b.id));
  assert.deepEqual(JSON.parse(JSON.stringify(read)), [
    { id: "h1", selector: "#title", author: "ann", text: "Start here" },
    { id: "h2", selector: "main p", author: "bob", text: "" },
  ]);
});
