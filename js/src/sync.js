// The y-sync framing shared by the room socket and the kernel link (docs/protocol.md, "Room
// socket"): a varuint message type, then a y-protocols sync message (step 1, step 2, update v1),
// an awareness update, or (the room socket only) a live presence message.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";

export const SYNC = 0;
export const AWARENESS = 1;
export const LIVE = 8; // a participant's client id and a live.js payload (docs/protocol.md)

/** The sync message kinds `readSync` reports. */
export const STEP1 = syncProtocol.messageYjsSyncStep1;
export const STEP2 = syncProtocol.messageYjsSyncStep2;
export const UPDATE = syncProtocol.messageYjsUpdate;

function message(type, write) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, type);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** Sync step 1: our state vector, asking the peer for what we miss. */
export const syncStep1 = (doc) => message(SYNC, (e) => syncProtocol.writeSyncStep1(e, doc));

/** A document update (v1) made here. */
export const syncUpdate = (update) => message(SYNC, (e) => syncProtocol.writeUpdate(e, update));

/** An encoded awareness update. */
export const awarenessMessage = (update) =>
  message(AWARENESS, (e) => encoding.writeVarUint8Array(e, update));

/** The type of one incoming message and a decoder at its body. */
export function readMessage(bytes) {
  const decoder = decoding.createDecoder(bytes);
  return { type: decoding.readVarUint(decoder), decoder };
}

/** Applies the sync body at `decoder` to `doc` (as `origin`): returns its kind and the reply to
 * send back (step 2 for a step 1), or null when there is none. */
export function readSync(decoder, doc, origin) {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, SYNC);
  const kind = syncProtocol.readSyncMessage(decoder, encoder, doc, origin);
  const reply = encoding.length(encoder) > 1 ? encoding.toUint8Array(encoder) : null;
  return { kind, reply };
}

/** The awareness update in the body at `decoder`. */
export const readAwareness = (decoder) => decoding.readVarUint8Array(decoder);

/** A live presence message: `payload` (live.js) from participant `clientId`. */
export const liveMessage = (clientId, payload) =>
  message(LIVE, (e) => {
    encoding.writeVarUint(e, clientId);
    encoding.writeVarUint8Array(e, payload);
  });

/** `{clientId, payload}` of the live message body at `decoder`. */
export function readLive(decoder) {
  const clientId = decoding.readVarUint(decoder);
  return { clientId, payload: decoding.readVarUint8Array(decoder) };
}
