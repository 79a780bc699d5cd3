// The room's privacy rules (src/privacy.js): everyone's apply to everyone; they only add privacy.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";
import * as fields from "../src/fields.js";
import * as privacy from "../src/privacy.js";
import { MAX_SELECTORS } from "../src/protocol/limits.js";

const none = { private: [], all: false, shared: [] };

test("a teacher's rules hold on a student's page, and a student's only add to them", () => {
  const doc = new Y.Doc();
  privacy.publish(doc, "teacher", { private: [".grade"], all: true, shared: [".answer", ".name"] });
  assert.deepEqual(privacy.effectiveRules(doc, none), {
    selectors: [".grade"],
    shared: [".answer", ".name"],
    all: true,
  });
  // A student shares nothing more by saying so, and may keep more to themselves.
  const student = { private: [".notes"], all: true, shared: [".answer", ".grade"] };
  assert.deepEqual(privacy.effectiveRules(doc, student), {
    selectors: [".notes", ".grade"],
    shared: [".answer"],
    all: true,
  });
  privacy.privacyOf(doc).set("mallory", { private: "nope" }); // malformed: left out
  assert.deepEqual(privacy.effectiveRules(doc, none).selectors, [".grade"]);
});

test("more private selectors than the agent takes make every field private", () => {
  const doc = new Y.Doc();
  const many = Array.from({ length: MAX_SELECTORS + 1 }, (_, i) => `.f${i}`);
  privacy.publish(doc, "teacher", { private: many, all: false, shared: [] });
  assert.deepEqual(privacy.effectiveRules(doc, none), { selectors: [], shared: [], all: true });
});

test("publishing the same rules again changes nothing", () => {
  const doc = new Y.Doc();
  let updates = 0;
  doc.on("update", () => (updates += 1));
  privacy.publish(doc, "ann", { private: [".x"], all: false, shared: [] });
  privacy.publish(doc, "ann", { private: [".x"], all: false, shared: [] });
  assert.equal(updates, 1);
});

test("a field made private after it was typed in loses its value in the room", () => {
  const doc = new Y.Doc();
  const url = "https://e.example/form";
  fields.prepare(doc, url, [{ key: "#answer", kind: "text", value: "42" }], null);
  fields.prepare(doc, url, [{ key: "#answer", kind: "private", value: null }], null);
  assert.deepEqual(fields.pageFields(doc, url), [{ key: "#answer", kind: "private", value: null }]);
});
