// The kernel's pycrdt replica as a Yjs peer: sync messages ride anywidget custom messages
// (docs/protocol.md, "Kernel messages"). Once the kernel syncs with the room on a socket of its
// own (it says so: {kind: "link", up: true}), this view stops relaying the room's updates to it.
import * as sync from "./sync.js";

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
      if (origin !== KERNEL_ORIGIN) this.send(sync.syncUpdate(update));
    };
    this.relaying = false;
    this.onMessage = (content, buffers) => {
      if (content?.kind === "link") return this.relay(content.up !== true);
      if (content?.kind !== "sync" || !buffers?.length) return;
      const { type, decoder } = sync.readMessage(asBytes(buffers[0]));
      if (type !== sync.SYNC) return;
      const { kind, reply } = sync.readSync(decoder, this.doc, KERNEL_ORIGIN);
      if (kind === sync.STEP2) this.resolveSynced();
      if (reply) this.send(reply);
    };
  }

  /** Start relaying, and ask the kernel for its state (custom messages are not replayed). */
  start() {
    this.model.on("msg:custom", this.onMessage);
    this.relay(true);
  }

  /** Relay this document's updates to the kernel, or stop (it has its own socket). Resuming
   * asks for the kernel's state again, so nothing made meanwhile is missed. */
  relay(on) {
    if (on === this.relaying) return;
    this.relaying = on;
    if (!on) return void this.doc.off("update", this.onDocUpdate);
    this.doc.on("update", this.onDocUpdate);
    this.send(sync.syncStep1(this.doc));
  }

  /** Give the kernel the server's pass for its own socket to the room, and who it acts as. */
  offerPass(pass, user) {
    if (typeof pass === "string" && pass) this.model.send({ kind: "link", pass, user: user ?? "" });
  }

  /** One framed sync message to the kernel: {kind: "sync"} with the message as its buffer. */
  send(message) {
    this.model.send({ kind: "sync" }, undefined, [message]);
  }

  destroy() {
    this.doc.off("update", this.onDocUpdate);
    this.model.off("msg:custom", this.onMessage);
  }
}
