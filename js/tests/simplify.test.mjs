// A drawn stroke's points made few (src/agent/simplify.js): the shape kept, the count bounded.
import assert from "node:assert/strict";
import { test } from "node:test";
import { simplify } from "../src/agent/simplify.js";
import { MAX_STROKE_POINTS } from "../src/protocol/limits.js";

test("points on a straight line go, corners stay", () => {
  const line = Array.from({ length: 50 }, (_, i) => [i * 3, i * 1.5]);
  assert.deepEqual(simplify(line), [line[0], line[49]]);
  const corner = [...line, ...Array.from({ length: 50 }, (_, i) => [147, 73.5 + i * 3])];
  assert.deepEqual(simplify(corner), [line[0], line[49], corner[99]]);
});

test("a long scribble keeps at most the bound, its ends always", () => {
  const scribble = Array.from({ length: 5000 }, (_, i) => [i * 3, (i % 2) * 40]);
  const kept = simplify(scribble);
  assert.ok(kept.length <= MAX_STROKE_POINTS && kept.length >= 2);
  assert.deepEqual([kept[0], kept.at(-1)], [scribble[0], scribble[4999]]);
  assert.equal(simplify(scribble, 2).length, 2);
});

test("a closed stroke keeps its shape, and a single point stays one", () => {
  const circle = Array.from({ length: 200 }, (_, i) => {
    const a = (2 * Math.PI * i) / 199;
    return [Math.round(100 * Math.cos(a)), Math.round(100 * Math.sin(a))];
  });
  const kept = simplify(circle);
  assert.ok(kept.length > 8 && kept.length < 60, `${kept.length} points`);
  assert.deepEqual(simplify([[5, 5]]), [[5, 5]]);
});
