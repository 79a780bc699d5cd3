// The y-sync framing the room socket and the kernel link share.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";
import * as sync from "../src/sync.js";

test("step 1 gets the peer's state as step 2, and updates apply", () => {
  const here = new Y.Doc();
  const there = new Y.Doc();
  there.getMap("page").set("url", "https://a.example/");

  const asked = sync.readMessage(sync.syncStep1(here));
  assert.equal(asked.type, sync.SYNC);
  const { kind, reply } = sync.readSync(asked.decoder, there, "peer");
  assert.equal(kind, sync.STEP1);

  const answered = sync.readMessage(reply);
  assert.equal(answered.type, sync.SYNC);
  const step2 = sync.readSync(answered.decoder, here, "peer");
  assert.deepEqual(step2, { kind: sync.STEP2, reply: null });
  assert.equal(here.getMap("page").get("url"), "https://a.example/");

  const origins = [];
  there.on("update", (_, origin) => origins.push(origin));
  here.on("update", (update) => {
    const { decoder } = sync.readMessage(sync.syncUpdate(update));
    assert.deepEqual(sync.readSync(decoder, there, "peer"), { kind: sync.UPDATE, reply: null });
  });
  here.getMap("page").set("url", "https://b.example/");
  assert.equal(there.getMap("page").get("url"), "https://b.example/");
  assert.deepEqual(origins, ["peer"]);
});

test("awareness updates travel under their own type", () => {
  const update = new Uint8Array([1, 2, 3]);
  const { type, decoder } = sync.readMessage(sync.awarenessMessage(update));
  assert.equal(type, sync.AWARENESS);
  assert.deepEqual(sync.readAwareness(decoder), update);
});

test("live messages carry their participant's id and payload", () => {
  const payload = new Uint8Array([0, 1, 2]);
  const bytes = sync.liveMessage(3541923489, payload);
  const { type, decoder } = sync.readMessage(bytes);
  assert.equal(type, sync.LIVE);
  assert.deepEqual(sync.readLive(decoder), { clientId: 3541923489, payload });
});
