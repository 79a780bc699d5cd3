// The link to the agent in the widget's frame (docs/protocol.md, "Agent <-> widget"): each page
// load gets a fresh MessageChannel, whose other end goes only to this iframe's window. Every
// message in is checked (a page can forge the agent's); one hello opens each page load and
// nothing comes before it. Messages out are checked too, so peers' data reaches the page bounded.
import { agentMessage, widgetMessage } from "./protocol/validate.js";

export class AgentLink {
  /** `on` holds the handlers: load() when the frame loaded a document, and hello(message),
   * navigated(message), scroll(message), pointer(message) for the agent's messages. */
  constructor(frame, on) {
    this.frame = frame;
    this.on = on;
    this.port = null;
    this.onLoad = () => this.connect();
    frame.addEventListener("load", this.onLoad);
  }

  connect() {
    this.drop();
    this.on.load();
    const channel = new MessageChannel();
    const port = channel.port1;
    let greeted = false;
    port.onmessage = ({ data }) => {
      const message = agentMessage(data);
      if (!message || (message.type === "hello") === greeted) return;
      greeted = true;
      this.on[message.type](message);
    };
    this.port = port;
    this.frame.contentWindow?.postMessage({ cobrowse: "connect" }, "*", [channel.port2]);
  }

  /** Send a widget -> agent message to the page shown, if it has an agent; dropped unless valid. */
  send(message) {
    const checked = this.port && widgetMessage(message);
    if (checked) this.port.postMessage(checked);
  }

  /** Stop listening to the page shown (another is about to load). */
  drop() {
    this.port?.close();
    this.port = null;
  }

  destroy() {
    this.frame.removeEventListener("load", this.onLoad);
    this.drop();
  }
}
