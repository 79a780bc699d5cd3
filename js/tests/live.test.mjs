// Live presence payloads: a pointer move in a few bytes, each element named once.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as live from "../src/live.js";
import * as sync from "../src/sync.js";

const LOCATOR = { tag: "p", id: "intro", text: "Welcome to the tour", path: [["body", 0]] };
const pointer = { locator: LOCATOR, rx: 0.1234, ry: 1, fx: 0.5, fy: 0.0001 };
const AT = { rx: 0.1234, ry: 1, fx: 0.5, fy: 0.0001 };

test("a move over an element named before is under twenty bytes on the wire, with the id", () => {
  const payload = live.pointerPayload(pointer, 5, false);
  assert.deepEqual(live.readPayload(payload), { pointer: AT, slot: 5 }); // no locator
  assert.ok(sync.liveMessage(4294967295, payload).length <= 18);
});

test("entering an element names its locator in a slot", () => {
  assert.deepEqual(live.readPayload(live.pointerPayload(pointer, 63, true)), {
    pointer: AT,
    slot: 63,
    locator: LOCATOR,
  });
  const nowhere = live.pointerPayload({ ...pointer, locator: null }, 0, true);
  assert.equal(live.readPayload(nowhere).locator, null);
});

test("a pointer that left is one byte", () => {
  const payload = live.pointerPayload(null);
  assert.equal(payload.length, 1);
  assert.deepEqual(live.readPayload(payload), { pointer: null });
});

test("fractions are clamped both ways", () => {
  const wild = { locator: null, rx: -3, ry: 7, fx: Number.NaN, fy: 0.5 };
  const { pointer: read } = live.readPayload(live.pointerPayload(wild, 0, false));
  assert.deepEqual(read, { rx: 0, ry: 1, fx: 0, fy: 0.5 });
  const big = new Uint8Array([0, 0, 0xff, 0xff, 0x03, 0, 0, 0]); // rx = 65535 ten-thousandths
  assert.equal(live.readPayload(big).pointer.rx, 1);
});

test("anything malformed from a peer reads as null, never throws", () => {
  const named = live.pointerPayload(pointer, 1, true);
  const samples = [
    new Uint8Array([]),
    new Uint8Array([9]), // an unknown kind
    new Uint8Array([0, 0, 1, 2]), // truncated
    new Uint8Array([2, 0]), // trailing bytes
    new Uint8Array([...live.pointerPayload(pointer, 1, false), 0]),
    live.pointerPayload(pointer, live.SLOTS, false), // a slot past the bound
    named.slice(0, named.length - 1),
    new Uint8Array([1, 0, 0, 0, 0, 0, 3, 0x7b, 0x7b, 0x7b]), // a locator that is not JSON
  ];
  for (const bytes of samples) assert.equal(live.readPayload(bytes), null, bytes.join(","));
});

test("each element is named once, and a new one takes the slot used longest ago", () => {
  const slots = live.nameSlots();
  assert.deepEqual(slots.slotOf("a"), { slot: 0, named: true });
  assert.deepEqual(slots.slotOf("b"), { slot: 1, named: true });
  assert.deepEqual(slots.slotOf("a"), { slot: 0, named: false });
  for (let i = 2; i < live.SLOTS; i++) assert.equal(slots.slotOf(`e${i}`).slot, i);
  assert.deepEqual(slots.slotOf("new"), { slot: 1, named: true }); // "b": used longest ago
  assert.deepEqual(slots.slotOf("a"), { slot: 0, named: false });
  assert.deepEqual(slots.slotOf("b"), { slot: 2, named: true }); // "e2" goes now
  slots.forget(); // someone joined: they know no names
  assert.deepEqual(slots.slotOf("a"), { slot: 0, named: true });
});

test("a scroll is its anchor's two fractions over a named element", () => {
  const anchor = { locator: LOCATOR, ratio: 0.25, fraction: 0.9999 };
  assert.deepEqual(live.readPayload(live.scrollPayload(anchor, 7, true)), {
    scroll: { ratio: 0.25, fraction: 0.9999 },
    slot: 7,
    locator: LOCATOR,
  });
  const moved = live.scrollPayload({ ...anchor, ratio: 0.5 }, 7, false);
  assert.deepEqual(live.readPayload(moved), { scroll: { ratio: 0.5, fraction: 0.9999 }, slot: 7 });
  assert.ok(sync.liveMessage(4294967295, moved).length <= 14);
});
