// The room socket's order of messages (src/room.js), against a stand-in for the browser's
// WebSocket that records what is sent: changes made before this socket has answered the room's
// step 1 go out in that answer, never before it (the room refuses a change that builds on
// ones it lacks).
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { RoomConnection } from "../src/room.js";
import * as sync from "../src/sync.js";

class RecordingSocket {
  static OPEN = 1;
  static last = null;
  constructor(url) {
    this.url = url;
    this.sent = [];
    this.readyState = 0;
    RecordingSocket.last = this;
  }
  send(data) {
    this.sent.push(new Uint8Array(data));
  }
  open() {
    this.readyState = RecordingSocket.OPEN;
    this.onopen();
  }
}

const kinds = (socket) =>
  socket.sent.map((data) => {
    const { type, decoder } = sync.readMessage(data);
    return type === sync.SYNC ? `sync ${decoder.arr[decoder.pos]}` : `type ${type}`;
  });

test("changes wait for the answer to the room's step 1, which carries them", () => {
  globalThis.WebSocket = RecordingSocket;
  const doc = new Y.Doc();
  const room = new Y.Doc();
  room.getMap("page").set("url", "https://a.example/");
  const awareness = new Awareness(doc);
  const connection = new RoomConnection({ baseUrl: "http://h/" }, "r", doc, awareness, {
    onSynced: () => {},
    onStatus: () => {},
  });
  const socket = RecordingSocket.last;
  socket.open();
  doc.getMap("fields").set("typed", "while connecting");
  assert.deepEqual(kinds(socket), [`sync ${sync.STEP1}`, "type 1"]); // no update yet
  socket.onmessage({ data: sync.syncStep1(room).buffer });
  const answer = socket.sent.at(-1);
  assert.equal(kinds(socket).at(-1), `sync ${sync.STEP2}`);
  const { decoder } = sync.readMessage(answer);
  sync.readSync(decoder, room, "doc");
  assert.equal(room.getMap("fields").get("typed"), "while connecting"); // in the answer
  doc.getMap("fields").set("later", "x");
  assert.equal(kinds(socket).at(-1), `sync ${sync.UPDATE}`); // from now on, at once
  connection.closed = true;
  awareness.destroy(); // its timer would keep the test running
});
