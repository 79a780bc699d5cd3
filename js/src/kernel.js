// The kernel's pycrdt replica as a Yjs peer: sync messages ride anywidget custom messages.
import * as encoding from "lib0/encoding";
import * as decoding from "lib0/decoding";
import * as syncProtocol from "y-protocols/sync";

const SYNC = 0;
export const KERNEL_ORIGIN = "kernel";

const asBytes = (buffer) =>
  buffer instanceof Uint8Array
    ? buffer
    : new Uint8Array(buffer.buffer ?? buffer, buffer.byteOffset ?? 0, buffer.byteLength);

export class KernelLink {
  constructor(model, doc) {
    this.model = model;
    this.doc = doc;
    /** Resolves once the kernel's state is in this document (its answer to our sync step 1). */
    this.synced = new Promise((resolve) => (this.resolveSynced = resolve));
    this.onDocUpdate = (update, origin) => {
      if (origin !== KERNEL_ORIGIN) this.send((e) => syncProtocol.writeUpdate(e, update));
    };
    this.onMessage = (content, buffers) => {
      if (content?.kind !== "sync" || !buffers?.length) return;
      const decoder = decoding.createDecoder(asBytes(buffers[0]));
      if (decoding.readVarUint(decoder) !== SYNC) return;
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, SYNC);
      const kind = syncProtocol.readSyncMessage(decoder, encoder, this.doc, KERNEL_ORIGIN);
      if (kind === syncProtocol.messageYjsSyncStep2) this.resolveSynced();
      if (encoding.length(encoder) > 1)
        this.model.send({ kind: "sync" }, undefined, [encoding.toUint8Array(encoder)]);
    };
  }

  /** Start relaying, and ask the kernel for its state (custom messages are not replayed). */
  start() {
    this.doc.on("update", this.onDocUpdate);
    this.model.on("msg:custom", this.onMessage);
    this.send((e) => syncProtocol.writeSyncStep1(e, this.doc));
  }

  send(write) {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, SYNC);
    write(encoder);
    this.model.send({ kind: "sync" }, undefined, [encoding.toUint8Array(encoder)]);
  }

  destroy() {
    this.doc.off("update", this.onDocUpdate);
    this.model.off("msg:custom", this.onMessage);
  }
}
