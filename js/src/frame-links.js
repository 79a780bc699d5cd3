// Frames in the shown page (docs/protocol.md, "Frames in the page"). The agent in a frame of the
// page asks the widget's window for a link ({cobrowse: "frame"}, no port). The widget answers
// only a direct child of its own frame's window, of the page's site, as it does its frame: a
// fresh MessageChannel whose other end goes to that window alone. A frame shares its fields as
// part of the page's, under keys `frame {n} {frame page id} {key}`, and its pointer, which the
// page's agent places over the frame's element.
import { pageId } from "./fields.js";
import { MAX_FIELD_KEY, MAX_FRAMES, RATES } from "./protocol/limits.js";
import { agentMessage, widgetMessage } from "./protocol/validate.js";
import { tokenBucket } from "./protocol/rate.js";

const PREFIX = "frame ";

export class FrameLinks {
  /** `frame` is the widget's iframe; `on` holds fields(message) and field(message) for a
   * frame's messages (their keys made the page's), pointer({frame, x, y}) for its pointer (in
   * fractions of its viewport), and privacy(), the rules a frame gets when its link opens. */
  constructor(frame, on) {
    this.frame = frame;
    this.on = on;
    this.links = new Map(); // frame index -> {port, prefix}
    this.waiting = new Set(); // frames that asked before the page said hello
    this.site = null; // the shown page's site (scheme and registrable domain), once it said hello
    this.budget = tokenBucket(RATES.frame, performance.now());
    this.onMessage = (event) => {
      if (event.data?.cobrowse !== "frame" || !this.budget.take(performance.now())) return;
      const source = event.source;
      if (this.site !== null) this.link(source);
      else if (this.waiting.size < MAX_FRAMES) this.waiting.add(source);
    };
    window.addEventListener("message", this.onMessage);
  }

  /** The page's agent said hello (its page is of `site`): link the frames that asked meanwhile. */
  pageShown(site) {
    this.site = site;
    for (const source of this.waiting) this.link(source);
    this.waiting.clear();
  }

  /** The page is leaving, or another has loaded: its frames, and the next page's that ask
   * before it says hello, wait for the next hello. */
  reset() {
    for (const { port } of this.links.values()) port.close();
    this.links.clear();
    this.site = null;
  }

  /** Where `source` is among the shown page's frames, or -1 when it is not one of them. */
  indexOf(source) {
    const page = this.frame.contentWindow;
    if (!source || !page || source.parent !== page) return -1;
    const count = Math.min(page.frames.length, MAX_FRAMES);
    for (let i = 0; i < count; i++) if (page.frames[i] === source) return i;
    return -1;
  }

  link(source) {
    const index = this.indexOf(source);
    if (index < 0) return;
    this.links.get(index)?.port.close();
    const channel = new MessageChannel();
    const port = channel.port1;
    const link = { port, prefix: null };
    this.links.set(index, link);
    port.onmessage = ({ data }) => this.receive(index, link, agentMessage(data));
    source.postMessage({ cobrowse: "connect" }, "*", [channel.port2]);
  }

  receive(index, link, message) {
    if (!message || (message.type === "hello") === (link.prefix !== null)) return;
    if (message.type === "hello") {
      // As the proxy names them (a frame's claim: a filter, not a boundary; the frame gets
      // only its own fields back).
      if (!message.site || message.site !== this.site) return void link.port.close();
      link.prefix = `${PREFIX}${index} ${pageId(message.url).slice(0, 16)} `;
      send(link.port, this.on.privacy());
    } else if (message.type === "fields") {
      const fields = message.fields.map((field) => ({ ...field, key: link.prefix + field.key }));
      this.on.fields({ fields: fields.filter(({ key }) => key.length <= MAX_FIELD_KEY) });
    } else if (message.type === "field") {
      const key = link.prefix + message.key;
      if (key.length <= MAX_FIELD_KEY) this.on.field({ ...message, key });
    } else if (message.type === "frame-pointer") {
      this.on.pointer({ frame: index, x: message.x, y: message.y });
    }
  }

  /** Send a message (the privacy rules) to every frame. */
  sendAll(message) {
    for (const { port, prefix } of this.links.values()) if (prefix) send(port, message);
  }

  /** Send each frame its fields among `fields` (the page's), under their own keys. */
  sendFields(fields) {
    for (const { port, prefix } of this.links.values()) {
      if (!prefix) continue;
      const own = fields.filter(({ key }) => key.startsWith(prefix));
      const mine = own.map((field) => ({ ...field, key: field.key.slice(prefix.length) }));
      if (mine.length) send(port, { type: "fields", fields: mine });
    }
  }

  destroy() {
    window.removeEventListener("message", this.onMessage);
    this.reset();
  }
}

/** Whether a field key is a frame's (it goes to that frame, not to the page's agent). */
export const isFrameKey = (key) => key.startsWith(PREFIX);

function send(port, message) {
  const checked = widgetMessage(message);
  if (checked) port.postMessage(checked);
}
