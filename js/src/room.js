// One room websocket: the Yjs sync and awareness protocols, reconnecting with backoff.
import * as awarenessProtocol from "y-protocols/awareness";
import { roomSocketUrl } from "./server.js";
import * as sync from "./sync.js";

export const ROOM_ORIGIN = "room";
const NOT_ALLOWED = 4403; // the room refused an update of ours (jupyter_ext/handlers/_room.py)

export class RoomConnection {
  /** `onReconnect` runs each time the socket opens again after a loss (the server may have
   * restarted, and the room's proxy session with it). */
  /** `onRefused(reason)` runs when the room refused an update of ours (our role does not allow
   * it, close code 4403): this copy of the room has diverged and must start again. */
  /** `onLive(clientId, payload)` gets others' live presence messages (live.js). */
  constructor(
    server,
    room,
    doc,
    awareness,
    { onSynced, onStatus, onReconnect = () => {}, onRefused = () => {}, onLive = () => {} },
  ) {
    this.url = roomSocketUrl(server, room);
    this.doc = doc;
    this.awareness = awareness;
    this.onSynced = onSynced;
    this.onStatus = onStatus;
    this.onReconnect = onReconnect;
    this.onRefused = onRefused;
    this.onLive = onLive;
    this.opened = false;
    this.socket = null;
    this.retries = 0;
    this.closed = false;
    // Until this socket has answered the room's step 1, our changes wait: the answer carries
    // all of them, and a change sent before it could build on ones the room lacks (made while
    // we were away), which the room refuses.
    this.answered = false;
    this.onDocUpdate = (update, origin) => {
      if (origin !== ROOM_ORIGIN && this.answered) this.send(sync.syncUpdate(update));
    };
    // Only our own state goes out, never others' (not even their time-outs). If the room says
    // we are gone or changed, say again who we are.
    this.onAwarenessUpdate = ({ added, updated, removed }, origin) => {
      const mine = added.concat(updated, removed).includes(doc.clientID);
      if (mine && (origin !== ROOM_ORIGIN || awareness.getLocalState() !== null))
        this.sendOwnState();
    };
    doc.on("update", this.onDocUpdate);
    awareness.on("update", this.onAwarenessUpdate);
    this.connect();
  }

  connect() {
    const socket = new WebSocket(this.url);
    socket.binaryType = "arraybuffer";
    this.socket = socket;
    this.answered = false;
    socket.onopen = () => {
      this.retries = 0;
      this.onStatus("");
      this.send(sync.syncStep1(this.doc));
      // Say who we are with a newer clock: while we were away the room marked us gone with our
      // last clock + 1, and ignores states that are not newer than that.
      const state = this.awareness.getLocalState();
      const meta = this.awareness.meta.get(this.doc.clientID);
      if (state && meta) {
        meta.clock += 1;
        this.awareness.setLocalState({ ...state });
      } else this.sendOwnState();
      if (this.opened) this.onReconnect();
      this.opened = true;
    };
    socket.onmessage = (event) => this.receive(new Uint8Array(event.data));
    socket.onclose = (event) => {
      if (this.socket !== socket || this.closed) return;
      if (event.code === NOT_ALLOWED) return void this.onRefused(event.reason);
      this.socket = null;
      const others = [...this.awareness.getStates().keys()].filter(
        (id) => id !== this.doc.clientID,
      );
      awarenessProtocol.removeAwarenessStates(this.awareness, others, ROOM_ORIGIN);
      const delay = Math.min(10000, 250 * 2 ** this.retries++);
      this.onStatus("Connection to the room lost; reconnecting…");
      this.timer = setTimeout(() => this.connect(), delay);
    };
  }

  receive(data) {
    const { type, decoder } = sync.readMessage(data);
    if (type === sync.SYNC) {
      const { kind, reply } = sync.readSync(decoder, this.doc, ROOM_ORIGIN);
      if (reply) this.send(reply);
      if (kind === sync.STEP1) this.answered = true;
      if (kind === sync.STEP2) this.onSynced();
    } else if (type === sync.AWARENESS) {
      const update = sync.readAwareness(decoder);
      awarenessProtocol.applyAwarenessUpdate(this.awareness, update, ROOM_ORIGIN);
    } else if (type === sync.LIVE) {
      const { clientId, payload } = sync.readLive(decoder);
      this.onLive(clientId, payload);
    }
  }

  /** Sends a live presence `payload` of ours; false when the socket is not open. */
  sendLive(payload) {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(sync.liveMessage(this.doc.clientID, payload));
    return true;
  }

  sendOwnState() {
    const update = awarenessProtocol.encodeAwarenessUpdate(this.awareness, [this.doc.clientID]);
    this.send(sync.awarenessMessage(update));
  }

  send(message) {
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(message);
  }

  destroy() {
    this.closed = true;
    clearTimeout(this.timer);
    this.doc.off("update", this.onDocUpdate);
    this.awareness.off("update", this.onAwarenessUpdate);
    awarenessProtocol.removeAwarenessStates(this.awareness, [this.doc.clientID], "destroy");
    this.socket?.close();
  }
}
