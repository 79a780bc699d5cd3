// A view's side of Python's page actions (src/page-actions.js), against a stand-in for the
// widget's model that records what goes to the kernel: an action is handed to the page only when
// it names this view and this user may do it; only the page's answer to an action it was handed
// reaches the kernel (a page can forge the agent's messages), once.
import assert from "node:assert/strict";
import { test } from "node:test";
import { PageActions } from "../src/page-actions.js";

class Model {
  constructor() {
    this.sent = [];
    this.handlers = new Set();
  }
  on(event, handler) {
    assert.equal(event, "msg:custom");
    this.handlers.add(handler);
  }
  off(_, handler) {
    this.handlers.delete(handler);
  }
  send(content) {
    this.sent.push(content);
  }
  fromKernel(content) {
    for (const handler of this.handlers) handler(content);
  }
}

const ID = "a".repeat(32);
const command = (fields) => ({
  kind: "command",
  id: ID,
  view: 7,
  action: "click",
  selector: "#go",
  value: null,
  ...fields,
});

function setUp({ mayAct = () => true } = {}) {
  const model = new Model();
  const page = [];
  const actions = new PageActions(model, 7, { agent: { send: (m) => page.push(m) }, mayAct });
  return { model, page, actions };
}

test("an action for this view goes to its page, and the page's answer to the kernel once", () => {
  const { model, page, actions } = setUp();
  model.fromKernel(command({ view: 8 })); // another view's
  model.fromKernel(command({ action: "eval" })); // no such action
  model.fromKernel(command({ selector: "x".repeat(513) }));
  assert.deepEqual(page, []);
  model.fromKernel(command({}));
  assert.deepEqual(page, [
    { type: "command", id: ID, action: "click", selector: "#go", value: null },
  ]);
  actions.done({ id: "b".repeat(32), error: null }); // forged: never handed
  actions.done({ id: ID, error: null });
  actions.done({ id: ID, error: "missing" }); // a second answer
  assert.deepEqual(model.sent, [{ kind: "done", id: ID, error: null }]);
});

test("a follower's or reader's view answers view-only without asking its page", () => {
  const { model, page } = setUp({ mayAct: (action) => action === "find" });
  model.fromKernel(command({ action: "fill", value: "x" }));
  model.fromKernel(command({ id: "c".repeat(32), action: "find" }));
  assert.deepEqual(model.sent, [{ kind: "done", id: ID, error: "view-only" }]);
  assert.equal(page.length, 1);
});

test("what a replaced page was handed is answered left, and a view says what it shows", () => {
  const { model, actions } = setUp();
  model.fromKernel(command({}));
  actions.shows("https://example.org/"); // the same document moved: still handed
  actions.left();
  actions.done({ id: ID, error: null }); // too late: the page went
  actions.destroy();
  model.fromKernel(command({ id: "d".repeat(32) })); // no longer listening
  assert.deepEqual(model.sent, [
    { kind: "page", view: 7, url: "https://example.org/" },
    { kind: "done", id: ID, error: "left" },
    { kind: "page", view: 7, url: "" },
  ]);
});
