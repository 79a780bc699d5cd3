// The shared Y.Doc layout (docs/protocol.md); mirrors cobrowse_widget/_schema.py.
import {
  MAX_HISTORY,
  MAX_STEP_TEXT,
  MAX_STEP_TITLE,
  MAX_URL,
  RESULT_ID,
} from "./protocol/limits.js";

/** The longest scroll anchor kept (JSON); a validated anchor is far shorter. */
export const MAX_ANCHOR = 16384;

const checkUrl = (url) => {
  if (typeof url !== "string" || url.length > MAX_URL) {
    throw new RangeError(`a shared URL is a string of at most ${MAX_URL} characters`);
  }
};

export const roots = (doc) => ({
  page: doc.getMap("page"),
  history: doc.getArray("history"),
  scroll: doc.getMap("scroll"),
});

export const stepOf = (doc) => doc.getMap("step");

export const modeOf = (doc) => doc.getMap("mode");

/** Whether the room practises (cb.mode = "individual"): each participant's form fields are
 * their own (fields.js, `owner`), and so are their proxy session's cookies and form results. */
export const practising = (doc) => modeOf(doc).get("fields") === "individual";

/** The room's tutorial step (written from Python: cb.step), checked: {n, title, text} (cut to
 * their bounds), or null when there is none. */
export function readStep(doc) {
  const step = stepOf(doc);
  const [n, title, text] = [step.get("n"), step.get("title"), step.get("text")];
  if (!Number.isInteger(n) || typeof title !== "string" || !title) return null;
  const plain = typeof text === "string" ? text : "";
  return { n, title: title.slice(0, MAX_STEP_TITLE), text: plain.slice(0, MAX_STEP_TEXT) };
}

export const currentUrl = (doc) => String(roots(doc).page.get("url") ?? "");

export const historyIndex = (doc) => Number(roots(doc).page.get("index") ?? -1);

export const currentResult = (doc) => {
  const result = roots(doc).page.get("result");
  return typeof result === "string" ? result : null;
};

/** Go to `url` (with `result`, the id of a kept form result to show there, or null): drop forward
 * history, append it and make it current, in one transaction. The history keeps the latest
 * MAX_HISTORY entries. */
export function navigate(doc, url, result = null) {
  checkUrl(url);
  if (result !== null && !RESULT_ID.test(result)) throw new RangeError("not a result id");
  const { page, history } = roots(doc);
  doc.transact(() => {
    if (currentResult(doc) !== result) page.set("result", result);
    const index = historyIndex(doc);
    if (index >= 0 && index < history.length && history.get(index) === url) {
      if (page.get("url") !== url) page.set("url", url);
      if (result !== null) page.set("by", doc.clientID);
      return;
    }
    if (index + 1 < history.length) history.delete(index + 1, history.length - index - 1);
    history.push([url]);
    if (history.length > MAX_HISTORY) history.delete(0, history.length - MAX_HISTORY);
    page.set("index", history.length - 1);
    page.set("url", url);
    page.set("by", doc.clientID);
  });
}

/** How many times the room's page was reloaded for everyone. */
export const reloads = (doc) => Number(roots(doc).page.get("reload") ?? 0);

/** Reload the room's page for everyone. */
export function reload(doc) {
  roots(doc).page.set("reload", reloads(doc) + 1);
}

/** The Yjs client id of whoever made the latest navigation. */
export const navigatedBy = (doc) => Number(roots(doc).page.get("by") ?? -1);

/** Replace the current entry (a redirect landed somewhere else); only the client that navigated
 * does this, so concurrent participants do not each insert a copy. */
export function replace(doc, url) {
  checkUrl(url);
  const { page, history } = roots(doc);
  doc.transact(() => {
    const index = historyIndex(doc);
    if (index >= 0 && index < history.length) {
      history.delete(index, 1);
      history.insert(index, [url]);
    }
    page.set("url", url);
  });
}

/** Move `delta` steps through the history; false when there is nowhere to go. */
export function go(doc, delta) {
  const { page, history } = roots(doc);
  const target = historyIndex(doc) + delta;
  if (target < 0 || target >= history.length) return false;
  doc.transact(() => {
    page.set("index", target);
    page.set("url", history.get(target));
    if (currentResult(doc) !== null) page.set("result", null);
  });
  return true;
}

/** Record a scroll anchor for `url` made by this client. */
export function setScroll(doc, url, anchor) {
  checkUrl(url);
  const json = JSON.stringify(anchor);
  if (json.length > MAX_ANCHOR) throw new RangeError("scroll anchor too long");
  const { scroll } = roots(doc);
  doc.transact(() => {
    scroll.set("url", url);
    scroll.set("anchor", json);
    scroll.set("by", doc.clientID);
  });
}

/** The latest scroll anchor, or null. */
export function getScroll(doc) {
  const { scroll } = roots(doc);
  const raw = scroll.get("anchor");
  if (typeof raw !== "string" || raw.length > MAX_ANCHOR) return null;
  try {
    return {
      url: String(scroll.get("url") ?? ""),
      anchor: JSON.parse(raw),
      by: Number(scroll.get("by")),
    };
  } catch {
    return null;
  }
}
