// The doc's bounds on the JS side (the Python side: tests/test_schema_crosslang.py).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";
import { MAX_HISTORY, MAX_URL } from "../src/protocol/limits.js";
import * as schema from "../src/schema.js";

test("history keeps the latest entries and a consistent index", () => {
  const doc = new Y.Doc();
  for (let i = 0; i < MAX_HISTORY + 20; i++) schema.navigate(doc, `https://e.example/${i}`);
  const history = schema.roots(doc).history.toArray();
  assert.equal(history.length, MAX_HISTORY);
  assert.equal(history[0], "https://e.example/20");
  assert.equal(schema.historyIndex(doc), MAX_HISTORY - 1);
  assert.equal(schema.currentUrl(doc), `https://e.example/${MAX_HISTORY + 19}`);
  assert.ok(schema.go(doc, -1));
  assert.equal(schema.currentUrl(doc), history[MAX_HISTORY - 2]);
});

test("overlong URLs and results are refused", () => {
  const doc = new Y.Doc();
  const long = `https://e.example/${"a".repeat(MAX_URL)}`;
  assert.throws(() => schema.navigate(doc, long), RangeError);
  assert.throws(() => schema.navigate(doc, "https://e.example/", "x".repeat(100)), RangeError);
  assert.throws(() => schema.setScroll(doc, long, {}), RangeError);
  assert.equal(schema.roots(doc).history.length, 0);
});

test("a tutorial step is read checked and cut to its bounds", () => {
  const doc = new Y.Doc();
  assert.equal(schema.readStep(doc), null);
  const step = schema.stepOf(doc);
  step.set("n", 3);
  step.set("title", "t".repeat(500));
  step.set("text", 7);
  assert.deepEqual(schema.readStep(doc), { n: 3, title: "t".repeat(200), text: "" });
  step.set("n", "3");
  assert.equal(schema.readStep(doc), null);
});
