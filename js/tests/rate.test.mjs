// Rate caps on what a page can send as fast as it likes.
import assert from "node:assert/strict";
import { test } from "node:test";
import { coalesced, tokenBucket } from "../src/protocol/rate.js";

test("a token bucket allows its burst, then its rate", () => {
  const bucket = tokenBucket({ rate: 10, burst: 3 }, 0);
  assert.deepEqual(
    [1, 2, 3, 4].map(() => bucket.take(0)),
    [true, true, true, false],
  );
  assert.equal(bucket.wait(0), 100);
  assert.equal(bucket.take(99), false);
  assert.equal(bucket.take(200), true);
  assert.equal(bucket.take(10_000), true); // refills up to the burst only
  assert.equal([1, 2, 3].filter(() => bucket.take(10_000)).length, 2);
});

test("calls over the cap coalesce into one trailing call with the latest value", async () => {
  const seen = [];
  let trailing;
  const third = new Promise((resolve) => (trailing = resolve));
  const capped = coalesced((value) => seen.push(value) === 3 && trailing(), { rate: 50, burst: 2 });
  for (let i = 0; i < 1000; i++) capped.call(i);
  assert.deepEqual(seen, [0, 1]);
  await third; // the trailing call, whenever the cap lets it through
  assert.deepEqual(seen, [0, 1, 999]);
});
