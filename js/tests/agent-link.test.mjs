// The agent link over a real MessageChannel: one hello opens each page load, forged or
// out-of-order messages are dropped, and what goes to the page is checked. The frame is a stand-in
// (an EventTarget whose window receives the connect message): Node has no iframe.
import assert from "node:assert/strict";
import { test } from "node:test";
import { once } from "node:events";
import { AgentLink } from "../src/agent-link.js";

const URL_A = "https://a.example/";

function frame() {
  const target = new EventTarget();
  target.ports = [];
  target.contentWindow = {
    postMessage: (data, origin, [port]) => {
      assert.deepEqual(data, { cobrowse: "connect" });
      target.ports.push(port);
    },
  };
  target.load = () => target.dispatchEvent(new Event("load"));
  return target;
}

/** A link on a stand-in frame; `got` lists what reached the handlers, as [kind, message];
 * `marked()` resolves when a pointer message reached them. */
function linked(t) {
  const f = frame();
  const got = [];
  let marker = () => {};
  const marked = () => new Promise((resolve) => (marker = resolve));
  const record = (kind) => (message) => {
    got.push([kind, message]);
    if (kind === "pointer") marker();
  };
  const kinds = ["hello", "navigated", "scroll", "pointer"];
  const on = Object.fromEntries(kinds.map((kind) => [kind, record(kind)]));
  const link = new AgentLink(f, { ...on, load: () => got.push(["load"]) });
  // Open ports keep Node running: close them whatever the test's outcome.
  t.after(() => {
    link.destroy();
    for (const port of f.ports) port.close();
  });
  return { f, got, link, marked };
}

/** Post `messages` from the page's end, then a pointer (valid once greeted): the port delivers
 * in order, so once the pointer is in, the messages before it went through. */
function fromPage(port, messages) {
  for (const message of messages) port.postMessage(message);
  port.postMessage({ type: "pointer", pointer: null });
}

test(
  "one hello per page load, nothing before it, forged shapes dropped",
  { timeout: 5000 },
  async (t) => {
    const { f, got, marked } = linked(t);
    f.load();
    const [port] = f.ports;
    const done = marked();
    fromPage(port, [
      { type: "navigated", url: URL_A }, // before hello
      { type: "hello", url: "javascript:alert(1)" }, // not a web address
      { type: "hello", url: URL_A, title: "A" },
      { type: "hello", url: URL_A }, // a second hello
      { type: "scroll", anchor: { ratio: 2, fraction: 0.5 } }, // clamped, kept
      { type: "eval", code: "x" },
    ]);
    await done;
    const kinds = got.map(([kind]) => kind);
    assert.deepEqual(kinds, ["load", "hello", "scroll", "pointer"]);
    assert.equal(got[1][1].url, URL_A);
    assert.equal(got[2][1].anchor.ratio, 1);
  },
);

test(
  "a new page load gets a new channel; the old page is no longer heard",
  { timeout: 5000 },
  async (t) => {
    const { f, got, marked } = linked(t);
    f.load();
    const closed = once(f.ports[0], "close");
    f.load();
    const current = f.ports[1];
    await closed; // the link let go of the old page's channel
    const done = marked();
    fromPage(current, [{ type: "hello", url: URL_A }]);
    await done;
    assert.deepEqual(
      got.map(([kind]) => kind),
      ["load", "load", "hello", "pointer"],
    );
  },
);

test("messages to the page are checked before they are sent", { timeout: 5000 }, async (t) => {
  const { f, link } = linked(t);
  link.send({ type: "scroll-to", anchor: { ratio: 0.5, fraction: 0.5 } }); // no page yet: dropped
  f.load();
  const [port] = f.ports;
  const received = [];
  const done = new Promise((resolve) => {
    port.onmessage = ({ data }) => {
      received.push(data);
      if (data.type === "scroll-to") resolve();
    };
  });
  link.send({ type: "eval", code: "x" });
  link.send({ type: "pointers", pointers: [{ id: 1, name: "x".repeat(500), pointer: null }] });
  link.send({ type: "scroll-to", anchor: { ratio: 0.5, fraction: 0.25 } });
  await done; // sent last: the messages before it are in
  assert.equal(received.length, 2);
  assert.deepEqual(received[0], { type: "pointers", pointers: [] }); // the pointer had no position
  assert.equal(received[1].type, "scroll-to");
});
