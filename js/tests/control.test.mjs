// Roles in the doc (src/control.js): what each participant may do, and requests that lapse.
// The hub's enforcement of the same rules: tests/test_control.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";
import * as control from "../src/control.js";

test("who drives, leads and follows as the lead is given and taken back", () => {
  const doc = new Y.Doc();
  assert.deepEqual(control.roleOf(doc, "ann"), {
    drive: true,
    lead: false,
    own: false,
    follow: false,
  });
  control.present(doc, "ann");
  assert.equal(control.roleOf(doc, "bob").drive, false);
  assert.equal(control.roleOf(doc, "bob").follow, true);
  control.ask(doc, "bob", 1000);
  control.grant(doc, "bob");
  assert.deepEqual(control.openRequests(doc, 1000), []);
  assert.deepEqual(control.roleOf(doc, "bob"), {
    drive: true,
    lead: true,
    own: false,
    follow: false,
  });
  assert.deepEqual(control.roleOf(doc, "ann"), {
    drive: false,
    lead: false,
    own: true,
    follow: true,
  });
  control.handBack(doc);
  assert.equal(control.readControl(doc).presenter, "ann");
  control.stopPresenting(doc);
  assert.equal(control.roleOf(doc, "bob").drive, true);
});

test("requests lapse after a minute and come out oldest first", () => {
  const doc = new Y.Doc();
  control.ask(doc, "eve", 5000);
  control.ask(doc, "bob", 1000);
  assert.deepEqual(control.openRequests(doc, 2000), ["bob", "eve"]);
  assert.deepEqual(control.openRequests(doc, 1000 + control.REQUEST_MS), ["eve"]);
  control.withdraw(doc, "eve");
  assert.deepEqual(control.openRequests(doc, 6000), ["bob"]);
});

test("whose live scrolling and clicks others follow: not a reader's, a presenter's only", () => {
  const doc = new Y.Doc();
  assert.equal(control.leads(doc, { username: "bob" }), true);
  assert.equal(control.leads(doc, { username: "bob", reader: true }), false);
  assert.equal(control.leads(doc, undefined), false);
  control.present(doc, "ann");
  assert.equal(control.leads(doc, { username: "ann" }), true);
  assert.equal(control.leads(doc, { username: "bob" }), false);
});
