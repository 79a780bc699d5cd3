// Which page this view loads and what it writes to the room's history: the widget's navigation
// as a state machine over the shared doc (docs/protocol.md, "The Y.Doc"). Pure: no DOM, no
// socket, no timer. Events come in as method calls (from the room, the agent, the user and the
// session); what the view must do goes out as actions to `act`:
//   {type: "room", url, index, length}  the room's page and history (address bar, buttons)
//   {type: "load", url, result}         load this upstream URL (and kept result) in the frame
//   {type: "showing", url, result}      the frame now shows this ("" for none): our pointer was
//                                       on the page before
//   {type: "error", text}               show this problem (null: the page loaded, clear it)
//   {type: "wait-for-kernel"}           call kernelAnswered() once the kernel's state is in, or
//                                       a moment later if it is silent
//   {type: "room-ready"}                the room's state (and any first page) is in the doc: the
//                                       kernel may now apply navigations it held back
import { RATES } from "./protocol/limits.js";
import { tokenBucket } from "./protocol/rate.js";
import { toWebUrl } from "./protocol/validate.js";
import * as schema from "./schema.js";

/** Turn what someone typed in the address bar into an http(s) URL of bounded length, or null. */
export function normalizeUrl(text) {
  const url = text.trim();
  if (!url) return null;
  // A scheme is a name and a colon not followed by a digit (`localhost:8888` is a host).
  return toWebUrl(/^[a-z][a-z0-9+.-]*:(?!\d)/i.test(url) ? url : `https://${url}`);
}

const NONE = { url: "", result: null };
const same = (a, b) => a !== null && b !== null && a.url === b.url && a.result === b.result;

export class Navigation {
  /** `now()` is the clock (ms) of the cap on navigations this view shares. */
  constructor(doc, act, { now = () => performance.now() } = {}) {
    this.doc = doc;
    this.act = act;
    this.now = now;
    this.navigations = tokenBucket(RATES.navigation, now());
    this.writer = false; // a reader watches and follows: it never writes to the doc
    this.hasSession = false; // pages load under the session's prefix: none before it
    // What the frame shows (as its agent last reported), what we asked it to load, and the
    // room's page the frame stands for (a redirect may land elsewhere): an upstream URL, plus
    // the id of a kept form result when the page is one.
    this.shown = NONE;
    this.pending = null;
    this.requested = []; // what the frame was asked to load since the last hello, oldest first
    this.shownFor = null;
    this.reloads = null; // the room's reload count this view has acted on (null: not synced)
    this.onRoom = () => this.roomChanged();
    const { page, history } = schema.roots(doc);
    page.observe(this.onRoom);
    history.observe(this.onRoom);
  }

  /** The upstream URL the frame shows ("" while none of the room's pages). */
  get shownUrl() {
    return this.shown.url;
  }

  room() {
    return { url: schema.currentUrl(this.doc), result: schema.currentResult(this.doc) };
  }

  /** The room's page or history changed (or may have): follow it. */
  roomChanged() {
    const target = this.room();
    const index = schema.historyIndex(this.doc);
    const { length } = schema.roots(this.doc).history;
    this.act({ type: "room", url: target.url, index, length });
    if (same(target, this.shown)) this.shownFor = target; // e.g. the navigator recorded where we landed
    const reloads = schema.reloads(this.doc);
    const reload = this.reloads !== null && reloads !== this.reloads;
    this.reloads = reloads;
    if (target.url && (reload || (!same(target, this.shownFor) && !same(target, this.pending))))
      this.load(target);
  }

  load(target) {
    if (!this.hasSession || !target.url) return;
    if (normalizeUrl(target.url) === null) {
      this.act({ type: "error", text: `The room's address is not a web address: ${target.url}` });
      return;
    }
    this.pending = target;
    this.requested = [...this.requested, target].slice(-8);
    this.act({ type: "load", url: target.url, result: target.result });
  }

  /** Whether this view may move the room (its user writes, and leads or nobody does). */
  setWriter(write) {
    this.writer = write;
  }

  /** A proxy session (re)opened; `reload`: load the room's page again (a new prefix, or asked). */
  session({ write, reload = false }) {
    this.hasSession = true;
    this.writer = write;
    if (reload) this.load(this.room());
  }

  /** The room socket delivered the room's state. A room of the widget's own starts from the
   * kernel; a named room may need a first page, unless the kernel is giving it one (`cb.goto` in
   * the cell that made the widget): that is decided once the kernel has answered. */
  roomSynced({ ownRoom }) {
    if (this.reloads === null) this.reloads = schema.reloads(this.doc); // earlier reloads are done
    if (!ownRoom && !schema.currentUrl(this.doc)) return this.act({ type: "wait-for-kernel" });
    this.roomChanged();
    this.act({ type: "room-ready" });
  }

  /** Reload the room's page: for everyone when this view writes, else for this view. */
  reload() {
    if (this.writer) schema.reload(this.doc);
    else this.load(this.room());
  }

  /** The kernel's state is in (or it stayed silent): an empty room starts on `startUrl`. */
  kernelAnswered(startUrl) {
    if (this.writer && !schema.currentUrl(this.doc) && startUrl) {
      schema.navigate(this.doc, startUrl);
    }
    this.roomChanged();
    this.act({ type: "room-ready" });
  }

  /** The frame loaded a document. Until its agent says hello it shows none of the room's pages,
   * and a page without an agent (the proxy's error pages) never will: the room's page must load
   * again when it is asked for, even if it is the one shown before. */
  frameLoaded() {
    this.setShown(NONE);
    this.shownFor = null;
  }

  /** The agent of a freshly loaded page reports where it is (after redirects). */
  hello({ url, result }) {
    const expected = this.pending;
    const earlier = this.requested.slice(0, -1);
    this.pending = null;
    this.requested = [];
    this.nowShowing({ url, result });
    // A page asked for before the latest one: the browser let the later load go (a frame whose
    // src changes while a redirected load commits may keep the first). It stands for itself,
    // and the room's page loads again below.
    const stale =
      expected !== null &&
      !same({ url, result }, expected) &&
      earlier.some((target) => same(target, { url, result }));
    this.shownFor = stale ? this.shown : (expected ?? this.shown);
    const room = this.room();
    const moved = url !== room.url || result !== room.result;
    if (expected === null && moved) {
      // The user followed a link or sent a form (a reader's own moves are not shared: it is
      // brought back to the room's page below). In practice mode a form's result is the
      // user's own answer to the room's page: it stays theirs until the room moves on.
      if (result !== null && schema.practising(this.doc)) this.shownFor = this.room();
      else if (this.mayNavigate()) schema.navigate(this.doc, url, result);
    } else if (
      expected !== null &&
      !stale &&
      url !== expected.url &&
      room.url === expected.url &&
      schema.navigatedBy(this.doc) === this.doc.clientID &&
      this.mayNavigate()
    ) {
      schema.replace(this.doc, url); // our navigation was redirected
    }
    this.roomChanged(); // the room may have moved on while this page loaded
  }

  /** The same document moved (pushState, a fragment); `active`: the user made it. */
  navigated({ url, active }) {
    if (url === this.shown.url) return;
    this.nowShowing({ url, result: null });
    this.shownFor = this.shown;
    const ours = active || schema.navigatedBy(this.doc) === this.doc.clientID;
    if (ours && url !== schema.currentUrl(this.doc) && this.mayNavigate()) {
      schema.navigate(this.doc, url);
    }
  }

  /** The user typed an address. */
  userNavigate(text) {
    if (!this.writer) return;
    const url = normalizeUrl(text);
    if (url) schema.navigate(this.doc, url);
    else
      this.act({
        type: "error",
        text: `"${text.slice(0, 200)}" is not a web address (http or https).`,
      });
  }

  /** Back (-1) or forward (1) in the room's history, for everyone. */
  go(delta) {
    if (this.writer) schema.go(this.doc, delta);
  }

  mayNavigate() {
    return this.writer && this.navigations.take(this.now());
  }

  setShown(shown) {
    this.shown = shown;
    this.act({ type: "showing", url: shown.url, result: shown.result });
  }

  nowShowing(shown) {
    this.setShown(shown);
    this.act({ type: "error", text: null });
  }

  destroy() {
    const { page, history } = schema.roots(this.doc);
    page.unobserve(this.onRoom);
    history.unobserve(this.onRoom);
  }
}
