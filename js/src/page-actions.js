// What Python asks one page to do (cb.fill, cb.click, cb.wait_for(selector=); docs/protocol.md,
// "Kernel messages"): the view tells the kernel which page it shows; the kernel sends each action
// to one view, whose page's agent performs it; the answer goes back to the kernel. Only answers
// to actions this view handed its current page are passed on (a page can forge the agent's).
import { toPageAction } from "./protocol/validate.js";

export class PageActions {
  /** `mayAct(action)`: whether this view's user may do it here now (a follower or a reader may
   * not fill or click); `agent`: the link to the shown page. */
  constructor(model, view, { agent, mayAct }) {
    this.model = model;
    this.view = view;
    this.agent = agent;
    this.mayAct = mayAct;
    this.handed = new Set(); // ids of the actions the shown page has and has not answered
    this.onMessage = (content) => {
      if (content?.kind !== "command" || content.view !== this.view) return;
      const action = toPageAction(content);
      if (!action) return;
      if (!this.mayAct(action.action)) return void this.answer(action.id, "view-only");
      this.handed.add(action.id);
      this.agent.send({ type: "command", ...action });
    };
    model.on("msg:custom", this.onMessage);
  }

  /** This view shows `url` now ("" while the next page loads). */
  shows(url) {
    this.model.send({ kind: "page", view: this.view, url });
  }

  /** The frame loaded another document: what the last one was handed and did not answer is
   * lost. */
  left() {
    for (const id of this.handed) this.answer(id, "left");
    this.handed.clear();
  }

  /** The page's answer to one of its actions. */
  done({ id, error }) {
    if (this.handed.delete(id)) this.answer(id, error);
  }

  answer(id, error) {
    this.model.send({ kind: "done", id, error });
  }

  destroy() {
    this.model.off("msg:custom", this.onMessage);
    this.shows("");
  }
}
