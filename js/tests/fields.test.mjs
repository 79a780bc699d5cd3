// Form fields in the doc (src/fields.js) and the text edits both bundles share
// (src/protocol/text-edit.js): two participants typing in one field merge.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";
import * as fields from "../src/fields.js";
import * as schema from "../src/schema.js";
import { MAX_FIELD_TEXT } from "../src/protocol/limits.js";
import { mapPosition, rebase, textDiff } from "../src/protocol/text-edit.js";
import { agentMessage, widgetMessage } from "../src/protocol/validate.js";

const PAGE = "https://e.example/form";
const AGENT = { agent: true };

/** Two docs that exchange every update, like two participants of a room. */
function pair() {
  const a = new Y.Doc();
  const b = new Y.Doc();
  a.on("update", (update, origin) => origin !== "peer" && Y.applyUpdate(b, update, "peer"));
  b.on("update", (update, origin) => origin !== "peer" && Y.applyUpdate(a, update, "peer"));
  return [a, b];
}

test("one edit, and where positions go", () => {
  assert.deepEqual(textDiff("hello", "help"), { at: 3, remove: 2, insert: "p" });
  assert.deepEqual(textDiff("aaa", "aaaa"), { at: 3, remove: 0, insert: "a" });
  assert.equal(mapPosition("world", "hello world", 5), 11); // text before the caret
  assert.equal(mapPosition("world", "world!", 5), 5); // typed exactly at the caret: after it
  assert.equal(mapPosition("abcdef", "abXf", 4), 2); // inside a replaced span: its start
  assert.equal(rebase("ab", "abc", "Xab"), "Xabc");
  assert.equal(rebase("abc", "ac", "abcd"), "acd");
  assert.equal(rebase("abc", "abc!", "abc"), "abc!");
});

test("two participants typing in one field merge, whoever typed first", () => {
  const [a, b] = pair();
  fields.prepare(a, PAGE, [{ key: "#name", kind: "text", value: "" }], AGENT);
  fields.prepare(b, PAGE, [{ key: "#name", kind: "text", value: "" }], AGENT); // there already
  fields.applyEdit(a, PAGE, { key: "#name", kind: "text", base: "", value: "world" }, AGENT);
  // B's agent had not seen A's word: its edit is rebased onto the room's text.
  const made = fields.applyEdit(
    b,
    PAGE,
    { key: "#name", kind: "text", base: "", value: "hello " },
    AGENT,
  );
  assert.equal(made, "hello world");
  assert.deepEqual(fields.pageFields(a, PAGE), [
    { key: "#name", kind: "text", value: "hello world" },
  ]);
});

test("texts made at once before syncing lose nothing typed after either", () => {
  const a = new Y.Doc();
  const b = new Y.Doc();
  fields.prepare(a, PAGE, [{ key: "#n", kind: "text", value: "" }], AGENT);
  fields.prepare(b, PAGE, [{ key: "#n", kind: "text", value: "" }], AGENT);
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  fields.applyEdit(a, PAGE, { key: "#n", kind: "text", base: "", value: "x" }, AGENT);
  fields.applyEdit(b, PAGE, { key: "#n", kind: "text", base: "", value: "y" }, AGENT);
  Y.applyUpdate(a, Y.encodeStateAsUpdate(b));
  Y.applyUpdate(b, Y.encodeStateAsUpdate(a));
  const [field] = fields.pageFields(a, PAGE);
  assert.ok(field.value === "xy" || field.value === "yx", field.value);
  assert.deepEqual(fields.pageFields(b, PAGE), [field]);
});

test("other kinds keep the latest value; pages keep their own fields", () => {
  const doc = new Y.Doc();
  fields.applyEdit(doc, PAGE, { key: "#agree", kind: "check", value: true }, AGENT);
  fields.applyEdit(doc, PAGE, { key: "#langs", kind: "multi", value: ["py", "js"] }, AGENT);
  fields.applyEdit(doc, PAGE, { key: "#pin", kind: "private", value: null }, AGENT);
  fields.applyEdit(doc, `${PAGE}2`, { key: "#agree", kind: "check", value: false }, AGENT);
  assert.deepEqual(fields.pageFields(doc, PAGE), [
    { key: "#agree", kind: "check", value: true },
    { key: "#langs", kind: "multi", value: ["py", "js"] },
    { key: "#pin", kind: "private", value: null },
  ]);
});

test("a text past its bound is not taken", () => {
  const doc = new Y.Doc();
  const long = "x".repeat(MAX_FIELD_TEXT + 1);
  fields.applyEdit(doc, PAGE, { key: "#n", kind: "text", base: "", value: long }, AGENT);
  assert.deepEqual(fields.pageFields(doc, PAGE), []);
});

test("changes from elsewhere are observed, the agent's own are not", () => {
  const [a, b] = pair();
  const seen = [];
  const stop = fields.observeFields(b, AGENT, (url, key) => seen.push([url, key]));
  fields.applyEdit(b, PAGE, { key: "#own", kind: "check", value: true }, AGENT);
  fields.applyEdit(a, PAGE, { key: "#n", kind: "text", base: "", value: "a" }, AGENT);
  fields.applyEdit(a, PAGE, { key: "#n", kind: "text", base: "a", value: "ab" }, AGENT);
  stop();
  fields.applyEdit(a, PAGE, { key: "#late", kind: "check", value: true }, AGENT);
  const page = fields.pageId(PAGE);
  assert.deepEqual(seen, [
    [page, "#n"],
    [page, "#n"],
  ]);
});

test("a page is a hash of its URL without fragment: keys stay short whatever the URL", () => {
  const long = `${PAGE}?q=${"x".repeat(8000)}`;
  assert.equal(fields.pageId(`${long}#part`), fields.pageId(long));
  assert.match(fields.entryKey(long, "#name"), /^[0-9a-f]{32} #name$/);
  assert.notEqual(fields.pageId(PAGE), fields.pageId(`${PAGE}?q=1`));
});

const FILL = "x".repeat(MAX_FIELD_TEXT - 100);
const textFields = (n, prefix = "t") =>
  Array.from({ length: n }, (_, i) => ({ key: `#${prefix}${i}`, kind: "text", value: FILL }));
const ENTRY = 32 + 1 + "#t0".length + FILL.length; // a page id, a space, a key and a value

test("a page cannot fill the room: what passes the fields' budget stays the page's own", () => {
  const doc = new Y.Doc();
  fields.prepare(doc, PAGE, textFields(256), AGENT); // a hostile page: 256 full fields
  const kept = Math.floor(fields.FIELD_BUDGET / ENTRY);
  assert.equal(fields.pageFields(doc, PAGE).length, kept);
  assert.ok(Y.encodeStateAsUpdate(doc).length < fields.FIELD_BUDGET + 4096);
  // What is left fills up; then nothing grows: not a kept text, not a new value.
  const spare = fields.FIELD_BUDGET - kept * ENTRY;
  const filler = { key: "#fill", kind: "value", value: "f".repeat(spare - 32 - 1 - 5 - 2) };
  fields.applyEdit(doc, PAGE, filler, AGENT);
  const edit = { key: "#t0", kind: "text", base: FILL, value: `${FILL}y` };
  assert.ok(fields.applyEdit(doc, PAGE, edit, AGENT) === FILL, "a kept text grew");
  fields.applyEdit(doc, PAGE, { key: "#new", kind: "check", value: true }, AGENT);
  const keys = fields.pageFields(doc, PAGE).map((f) => f.key);
  assert.equal(keys.length, kept + 1);
  assert.ok(keys.includes("#fill") && !keys.includes("#new"));
  // Shrinking always goes through.
  const cut = { key: "#t0", kind: "text", base: FILL, value: "short" };
  assert.equal(fields.applyEdit(doc, PAGE, cut, AGENT), "short");
});

test("the fields of pages furthest from the room's place in its history make way first", () => {
  const doc = new Y.Doc();
  const pages = ["a", "b", "c", "d", "e"].map((name) => `https://e.example/${name}`);
  for (const url of pages) schema.navigate(doc, url);
  schema.go(doc, -2); // at c: b and d are one step away, a and e two
  const each = Math.floor(fields.FIELD_BUDGET / 4 / ENTRY); // a quarter of the budget each
  const gone = "https://e.example/gone";
  for (const url of [pages[1], pages[3], gone, pages[0]]) {
    fields.prepare(doc, url, textFields(each), AGENT);
  }
  const count = (url) => fields.pageFields(doc, url).length;
  fields.prepare(doc, pages[2], textFields(each), AGENT); // a fifth: one page must go
  assert.deepEqual([gone, ...pages].map(count), [0, each, each, each, each, 0]);
  fields.prepare(doc, pages[4], textFields(each), AGENT); // and again: a, two steps away
  assert.deepEqual(pages.map(count), [0, each, each, each, each]);
});

test("past the document brake no new field entry is made, and edits to kept ones still are", () => {
  const doc = new Y.Doc();
  fields.prepare(doc, PAGE, [{ key: "#kept", kind: "text", value: "" }], AGENT);
  doc.getMap("padding").set("x", "p".repeat(fields.DOC_BRAKE)); // a room grown old
  fields.prepare(doc, PAGE, [{ key: "#late", kind: "text", value: "" }], AGENT);
  fields.applyEdit(doc, PAGE, { key: "#box", kind: "check", value: true }, AGENT);
  const edit = { key: "#kept", kind: "text", base: "", value: "still shared" };
  assert.equal(fields.applyEdit(doc, PAGE, edit, AGENT), "still shared");
  assert.deepEqual(
    fields.pageFields(doc, PAGE).map((f) => f.key),
    ["#kept"],
  );
});

test("field messages are checked both ways", () => {
  const edit = { type: "field", key: "#n", kind: "text", base: "", value: "a", seq: 1 };
  assert.deepEqual(agentMessage(edit), edit);
  assert.equal(agentMessage({ ...edit, seq: 0 }), null);
  assert.equal(agentMessage({ ...edit, value: "x".repeat(MAX_FIELD_TEXT + 1) }), null);
  assert.equal(agentMessage({ type: "field", key: "#a", kind: "check", value: "yes" }), null);
  assert.equal(agentMessage({ type: "field", key: "", kind: "check", value: true }), null);
  const listed = agentMessage({
    type: "fields",
    fields: [
      { key: "#a", kind: "multi", value: ["x"] },
      { key: "#b", kind: "bogus", value: 1 },
    ],
  });
  assert.deepEqual(JSON.parse(JSON.stringify(listed)), {
    type: "fields",
    fields: [{ key: "#a", kind: "multi", value: ["x"] }],
  });
  const privacy = { type: "privacy", selectors: [".x"], shared: [], all: true };
  assert.deepEqual({ ...widgetMessage(privacy) }, privacy);
  assert.equal(widgetMessage({ ...privacy, selectors: [""] }), null);
  assert.equal(widgetMessage({ ...privacy, all: "yes" }), null);
});

test("focus messages are checked both ways", () => {
  const locator = { path: [["input", 0]], id: "name" };
  assert.deepEqual(JSON.parse(JSON.stringify(agentMessage({ type: "focus", locator }))), {
    type: "focus",
    locator,
  });
  assert.deepEqual(agentMessage({ type: "focus", locator: null }), {
    type: "focus",
    locator: null,
  });
  assert.equal(agentMessage({ type: "focus", locator: { path: "x" } }), null);
  const marks = widgetMessage({
    type: "focus",
    marks: [
      { id: 1, name: "<b>Ann</b>", color: "red; x: y", focus: locator },
      { id: 2, name: "Bob", color: "#123456", focus: null },
    ],
  }).marks;
  assert.equal(marks.length, 1); // a mark without a valid locator is left out
  assert.equal(marks[0].color, "#e8590c"); // a colour that is not #rgb/#rrggbb is replaced
  assert.equal(marks[0].name, "<b>Ann</b>"); // drawn as text, never as HTML
});

test("typing past the fields' budget makes another page's fields go, as a new field does", () => {
  const doc = new Y.Doc();
  const [here, away] = ["https://e.example/here", "https://e.example/away"];
  schema.navigate(doc, away);
  schema.navigate(doc, here);
  const each = Math.floor(fields.FIELD_BUDGET / 2 / ENTRY);
  fields.prepare(doc, away, textFields(each), AGENT);
  fields.prepare(doc, here, textFields(each), AGENT);
  const spare = fields.FIELD_BUDGET - 2 * each * ENTRY; // then nearly all of it taken
  const filler = { key: "#fill", kind: "value", value: "f".repeat(spare - 32 - 1 - 5 - 2 - 50) };
  fields.applyEdit(doc, here, filler, AGENT);
  assert.equal(fields.pageFields(doc, away).length, each);
  const edit = { key: "#t0", kind: "text", base: FILL, value: `${FILL}${"y".repeat(99)}` };
  assert.equal(fields.applyEdit(doc, here, edit, AGENT), edit.value);
  assert.equal(fields.pageFields(doc, away).length, 0);
  assert.equal(fields.pageFields(doc, here).length, each + 1);
});

test("practising, each participant's own fields are kept and bounded apart", () => {
  const [a, b] = pair();
  const edit = (value) => ({ key: "#answer", kind: "text", base: "", value });
  fields.applyEdit(a, PAGE, edit("shared"), AGENT);
  fields.applyEdit(a, PAGE, edit("ann's"), AGENT, "ann");
  fields.applyEdit(b, PAGE, edit("bob's"), AGENT, "b o%b");
  const seen = [];
  const stop = fields.observeFields(a, AGENT, (page, key) => seen.push(key), "ann");
  fields.applyEdit(b, PAGE, { key: "#x", kind: "check", value: true }, AGENT, "b o%b");
  fields.applyEdit(b, PAGE, { key: "#y", kind: "check", value: true }, AGENT);
  stop();
  assert.deepEqual(seen, [], "nobody else's fields are this participant's");
  assert.deepEqual(fields.pageFields(a, PAGE), [
    { key: "#answer", kind: "text", value: "shared" },
    { key: "#y", kind: "check", value: true },
  ]);
  assert.deepEqual(fields.pageFields(a, PAGE, "ann"), [
    { key: "#answer", kind: "text", value: "ann's" },
  ]);
  assert.equal(fields.entryKey(PAGE, "#x", "b o%b"), `b%20o%25b ${fields.pageId(PAGE)} #x`);
  // One participant's budget: a long answer fits the shared fields, not one's own.
  const long = "x".repeat(fields.ANSWER_BUDGET);
  assert.equal(fields.applyEdit(a, PAGE, edit(long), AGENT, "ann"), "ann's");
  assert.equal(fields.applyEdit(a, PAGE, { ...edit(long), base: "shared" }, AGENT), long);
});
