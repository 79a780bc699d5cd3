// The shared validator: what a page can make its agent send is bounded and copied.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  MAX_DEPTH,
  MAX_NOTE_TEXT,
  MAX_NOTES,
  MAX_STROKE_POINTS,
  MAX_STROKE_SPAN,
  MAX_TEXT_OFFSET,
  MAX_URL,
} from "../src/protocol/limits.js";
import { agentMessage, toWebUrl, widgetMessage } from "../src/protocol/validate.js";

const plain = (value) => JSON.parse(JSON.stringify(value));
const anchor = { locator: { path: [["main", 0]], id: "x" }, ratio: 0.5, fraction: 0.25 };

test("URLs are http(s) and bounded", () => {
  assert.equal(toWebUrl("https://example.org"), "https://example.org/");
  assert.equal(toWebUrl("javascript:alert(1)"), null);
  assert.equal(toWebUrl("data:text/html,x"), null);
  assert.equal(toWebUrl(`https://example.org/${"a".repeat(MAX_URL)}`), null);
  assert.equal(toWebUrl({ toString: () => "https://example.org/" }), null);
});

test("hello and navigated carry only checked fields", () => {
  const hello = agentMessage({
    type: "hello",
    url: "https://a.example/",
    title: 7,
    extra: "x".repeat(1e5),
  });
  assert.deepEqual(hello, {
    type: "hello",
    url: "https://a.example/",
    title: "",
    result: null,
    site: "",
  });
  const site = (value) => agentMessage({ type: "hello", url: "https://a.example/", site: value });
  assert.equal(site("https://a.example").site, "https://a.example");
  assert.equal(site("s".repeat(513)).site, ""); // a frame's claim, bounded
  assert.equal(site({ toString: () => "https://a.example" }).site, "");
  assert.deepEqual(agentMessage({ type: "leaving", extra: "x" }), { type: "leaving" });
  assert.equal(agentMessage({ type: "hello", url: "file:///etc/passwd" }), null);
  const navigated = agentMessage({
    type: "navigated",
    url: "https://a.example/#b",
    title: "t".repeat(1e5),
  });
  assert.equal(navigated.title.length, 512);
  assert.equal(navigated.active, true);
  assert.equal(
    agentMessage({ type: "hello", url: "https://a.example/", result: "../x" }).result,
    null,
  );
});

test("oversized anchors lose what does not fit; deep ones are refused", () => {
  const big = "x".repeat(100_000);
  const message = agentMessage({
    type: "scroll",
    anchor: { ...anchor, locator: { path: [["p", 1]], id: big, text: big, attrs: { href: big } } },
  });
  assert.deepEqual(plain(message), {
    type: "scroll",
    anchor: { locator: { path: [["p", 1]] }, ratio: 0.5, fraction: 0.25 },
  });
  assert.ok(JSON.stringify(message).length < 200);
  const deep = Array.from({ length: MAX_DEPTH + 1 }, () => ["div", 0]);
  const refused = agentMessage({ type: "scroll", anchor: { ...anchor, locator: { path: deep } } });
  assert.equal(refused.anchor.locator, null);
  assert.equal(agentMessage({ type: "scroll", anchor: { ratio: "x", fraction: 0 } }), null);
});

test("locator fields are bounded: long attributes 512, short ones, classes and labels 200", () => {
  const long = "x".repeat(513);
  const short = "y".repeat(201);
  const locator = {
    path: [
      ["my-card", 0],
      ["#shadow-root", 0],
      ["input", 1],
    ],
    attrs: { href: "h".repeat(512), placeholder: "Email", title: short, "data-testid": "t" },
    classes: "Icon_star card",
    label: "Name",
    text: short,
    extra: long,
  };
  const message = agentMessage({ type: "scroll", anchor: { ...anchor, locator } });
  assert.deepEqual(plain(message.anchor.locator), {
    path: [
      ["my-card", 0],
      ["#shadow-root", 0],
      ["input", 1],
    ],
    attrs: { href: "h".repeat(512), "data-testid": "t", placeholder: "Email" },
    classes: "Icon_star card",
    label: "Name",
  });
  const oversized = { path: [], attrs: { role: short }, classes: short, label: short };
  const cleaned = agentMessage({ type: "scroll", anchor: { ...anchor, locator: oversized } });
  assert.deepEqual(plain(cleaned.anchor.locator), { path: [] });
});

test("pointers: null clears, junk is refused, unknown types are dropped", () => {
  assert.deepEqual(agentMessage({ type: "pointer", pointer: null }), {
    type: "pointer",
    pointer: null,
  });
  assert.equal(agentMessage({ type: "pointer", pointer: { rx: 1 } }), null);
  assert.equal(agentMessage({ type: "eval", code: "1" }), null);
  assert.equal(agentMessage([]), null);
});

test("only own properties are read", () => {
  const inherited = Object.create({ type: "scroll", anchor });
  assert.equal(agentMessage(inherited), null);
  const sparse = [];
  sparse.length = 1;
  assert.equal(widgetMessage({ type: "pointers", pointers: sparse }).pointers.length, 0);
});

test("remote pointers are capped and their names and colours cleaned", () => {
  const pointer = { locator: null, rx: 0, ry: 0, fx: 0.5, fy: 2 };
  const pointers = Array.from({ length: 100 }, (_, id) => ({
    id,
    name: ` ${"n".repeat(99)}`,
    color: "red",
    pointer,
  }));
  const { pointers: drawn } = widgetMessage({ type: "pointers", pointers });
  assert.equal(drawn.length, 64);
  assert.equal(drawn[0].name, "n".repeat(63));
  assert.equal(drawn[0].color, "#e8590c");
  assert.equal(drawn[0].pointer.fy, 1);
  const ok = widgetMessage({ type: "pointers", pointers: [{ id: "a", color: "#AbC", pointer }] });
  assert.equal(ok.pointers[0].color, "#AbC");
  assert.equal(ok.pointers[0].name, "Someone");
});

test("selections are two text points with checked locators and bounded offsets", () => {
  const point = (offset) => ({ locator: { path: [["p", 0]], id: "intro" }, offset });
  const selection = { start: point(3), end: point(9) };
  assert.deepEqual(plain(agentMessage({ type: "selection", selection })), {
    type: "selection",
    selection,
  });
  assert.deepEqual(agentMessage({ type: "selection", selection: null }), {
    type: "selection",
    selection: null,
  });
  for (const bad of [
    { start: point(-1), end: point(2) },
    { start: point(1.5), end: point(2) },
    { start: point(1), end: point(MAX_TEXT_OFFSET + 1) },
    { start: { offset: 1 }, end: point(2) },
    { start: point(1) },
  ]) {
    assert.equal(agentMessage({ type: "selection", selection: bad }), null, JSON.stringify(bad));
  }
  const marks = [
    { id: 1, name: "Ann", color: "#00aa00", selection },
    { id: 2, name: "Bob", color: "#0000ff", selection: { start: point(1) } }, // left out
  ];
  const sent = widgetMessage({ type: "selections", marks });
  assert.deepEqual(
    plain(sent.marks).map((m) => m.name),
    ["Ann"],
  );
});

test("notes to draw carry a checked position and bounded text", () => {
  const at = { locator: null, rx: 0.5, ry: 0.5, fx: 0.1, fy: 0.2 };
  const marks = [
    { id: "a1", name: "Ann", color: "#00aa00", at, text: "x".repeat(MAX_NOTE_TEXT + 50) },
    { id: "b1", name: "Bob", color: "#0000ff", at: { rx: 2 }, text: "bad place" },
    { id: "c1", name: "Cy", color: "#0000ff", at, text: "" },
  ];
  const sent = plain(widgetMessage({ type: "notes", marks }));
  assert.deepEqual(
    sent.marks.map((m) => [m.id, m.text.length]),
    [["a1", MAX_NOTE_TEXT]],
  );
});

test("a stroke from the agent is bounded whole pixels, or dropped", () => {
  const at = { locator: null, rx: 0.5, ry: 0.5, fx: 0.1, fy: 0.2 };
  const ok = { type: "stroke", at, width: 300, path: [0, 0, 4, -3, 20, 8] };
  assert.deepEqual(plain(agentMessage(ok)), ok);
  const full = Array(2 * MAX_STROKE_POINTS).fill(-MAX_STROKE_SPAN);
  assert.equal(agentMessage({ ...ok, path: full }).path.length, 2 * MAX_STROKE_POINTS);
  for (const bad of [
    { path: [...full, 0, 0] },
    { path: [0, 0, 1] },
    { path: [0, 0] },
    { path: [0, 0, 0.5, 1] },
    { path: [0, 0, NaN, 1] },
    { path: [0, 0, "1", 1] },
    { path: [0, 0, MAX_STROKE_SPAN + 1, 1] },
    { path: { length: 4, 0: 0, 1: 0, 2: 1, 3: 1 } },
    { width: 0 },
    { width: MAX_STROKE_SPAN + 1 },
    { at: { rx: 2 } },
  ]) {
    assert.equal(agentMessage({ ...ok, ...bad }), null, JSON.stringify(bad).slice(0, 60));
  }
});

test("strokes to draw are checked like the notes, as many as a room keeps", () => {
  const at = { locator: null, rx: 0.5, ry: 0.5, fx: 0.1, fy: 0.2 };
  const mark = { name: "Ann", color: "#00aa00", at, width: 300, path: [0, 0, 4, -3] };
  const marks = Array.from({ length: MAX_NOTES + 5 }, (_, i) => ({ ...mark, id: `s${i}` }));
  marks[0] = { ...mark, id: "bad", path: [0, 0, 1e9, 1] };
  marks[1] = { ...mark, id: "evil", color: "red;background:url(x)" };
  const sent = plain(widgetMessage({ type: "strokes", marks }));
  assert.equal(sent.marks.length, MAX_NOTES - 1);
  assert.deepEqual(sent.marks[0], { ...mark, id: "evil", color: "#e8590c" });
  const draw = plain(widgetMessage({ type: "draw", on: true, color: "#123" }));
  assert.deepEqual(draw, { type: "draw", on: true, color: "#123" });
  assert.equal(widgetMessage({ type: "draw", on: "yes" }), null);
});

test("a frame's pointer is two fractions; the page's agent gets it with a bounded frame index", () => {
  const from = (x, y) => agentMessage({ type: "frame-pointer", x, y });
  assert.deepEqual(from(0.25, 2), { type: "frame-pointer", x: 0.25, y: 1 });
  assert.equal(from("0.5", 0.5), null);
  assert.equal(from(NaN, 0.5), null);
  const to = (frame) => widgetMessage({ type: "frame-pointer", frame, x: 0.5, y: 0.5 });
  assert.equal(to(3).frame, 3);
  for (const frame of [-1, 16, 1.5, "2", null]) assert.equal(to(frame), null);
});

test("highlights to draw carry a bounded selector and note", () => {
  const mark = { id: "h", name: "Ann", color: "#123456", selector: "#title", text: "here" };
  const message = (marks) => widgetMessage({ type: "highlights", marks });
  assert.equal(message([mark]).marks[0].selector, "#title");
  assert.equal(message([{ ...mark, text: "t".repeat(1e4) }]).marks[0].text.length, 500);
  assert.deepEqual(message([{ ...mark, selector: "s".repeat(513) }]).marks, []);
  assert.deepEqual(message([{ ...mark, selector: "" }]).marks, []);
  assert.equal(message(Array(300).fill(mark)).marks.length, 200);
});

test("a scroll anchor from Python may name its element by a bounded selector", () => {
  const anchor = (selector) =>
    widgetMessage({
      type: "scroll-to",
      anchor: { locator: null, ratio: 0, fraction: 0, selector },
    }).anchor;
  assert.equal(anchor("#rooms").selector, "#rooms");
  assert.equal(anchor("s".repeat(513)).selector, undefined);
  assert.equal(anchor(7).selector, undefined);
});
