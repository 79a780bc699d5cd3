// The widget's navigation state machine against real Y.Docs: what a view loads and what it writes
// to the room, for the events the widget feeds it.
import assert from "node:assert/strict";
import { test } from "node:test";
import * as Y from "yjs";
import { RATES } from "../src/protocol/limits.js";
import { Navigation, normalizeUrl } from "../src/navigation.js";
import * as schema from "../src/schema.js";

const A = "https://a.example/";
const B = "https://b.example/";
const B2 = "https://b.example/landed";
const RESULT = "kept-result-1";

/** A view: its doc, its state machine and the actions it took (newest last). */
function view({ write = true, doc = new Y.Doc() } = {}) {
  const actions = [];
  let clock = 0;
  const navigation = new Navigation(doc, (action) => actions.push(action), { now: () => clock });
  const loads = () => actions.filter((a) => a.type === "load").map((a) => a.url);
  const tick = (ms) => (clock += ms);
  return { doc, navigation, actions, loads, tick, open: () => navigation.session({ write }) };
}

/** Another participant's doc, kept in sync with `doc` as the room does. */
function peerOf(doc) {
  const peer = new Y.Doc();
  const relay = (to) => (update, origin) => {
    if (origin !== "relay") Y.applyUpdate(to, update, "relay");
  };
  Y.applyUpdate(peer, Y.encodeStateAsUpdate(doc), "relay");
  doc.on("update", relay(peer));
  peer.on("update", relay(doc));
  return peer;
}

/** The frame finished loading a page whose agent says it shows `url`. */
function landed(v, url, result = null) {
  v.navigation.frameLoaded();
  v.navigation.hello({ url, result });
}

/** A view showing `url`, loaded the way the widget does: load, frame load, hello. */
function showing(url, options) {
  const v = view(options);
  v.open();
  if (!schema.currentUrl(v.doc)) schema.navigate(v.doc, url);
  v.navigation.roomChanged();
  v.navigation.frameLoaded();
  v.navigation.hello({ url, result: null });
  return v;
}

test("a view loads the room's page once, and its hello writes nothing", () => {
  const v = view();
  schema.navigate(v.doc, A);
  assert.deepEqual(v.loads(), [], "nothing loads before the proxy session");
  v.open();
  v.navigation.roomChanged();
  assert.deepEqual(v.loads(), [A]);
  v.navigation.frameLoaded();
  assert.deepEqual(v.actions.at(-1), { type: "showing", url: "", result: null });
  v.navigation.hello({ url: A, result: null });
  v.navigation.roomChanged();
  assert.deepEqual(v.loads(), [A]);
  assert.equal(v.navigation.shownUrl, A);
  assert.deepEqual(schema.roots(v.doc).history.toArray(), [A]);
  assert.ok(v.actions.some((a) => a.type === "room" && a.url === A && a.length === 1));
});

test("a link followed in the page moves the room without loading it again", () => {
  const v = showing(A);
  v.navigation.frameLoaded();
  v.navigation.hello({ url: B, result: RESULT }); // e.g. a form sent: the proxy kept its result
  assert.equal(schema.currentUrl(v.doc), B);
  assert.equal(schema.currentResult(v.doc), RESULT);
  assert.deepEqual(v.loads(), [A]);
});

test("other views follow the room, and the user's own moves go to the room", () => {
  const leader = showing(A);
  const follower = showing(A, { doc: peerOf(leader.doc) });
  leader.navigation.userNavigate("b.example");
  assert.equal(schema.currentUrl(follower.doc), B);
  assert.deepEqual(follower.loads(), [A, B]);
  assert.deepEqual(leader.loads(), [A, B]);
  landed(leader, B);
  landed(follower, B);
  leader.navigation.go(-1);
  assert.deepEqual(follower.loads(), [A, B, A]);
  follower.navigation.go(1);
  assert.equal(schema.currentUrl(leader.doc), B);
});

test("a follower whose agent reports a redirect keeps the room's entry and does not reload", () => {
  const leader = showing(A);
  const follower = showing(A, { doc: peerOf(leader.doc) });
  leader.navigation.userNavigate(B);
  follower.navigation.frameLoaded();
  follower.navigation.hello({ url: B2, result: null }); // the follower's load was redirected
  assert.equal(schema.currentUrl(leader.doc), B, "only the navigator records a redirect");
  assert.deepEqual(follower.loads(), [A, B], "the page it landed on stands for the room's");
  // The navigator's own load lands there too and records it: the follower already shows it.
  leader.navigation.frameLoaded();
  leader.navigation.hello({ url: B2, result: null });
  assert.deepEqual(schema.roots(leader.doc).history.toArray(), [A, B2]);
  assert.equal(schema.currentUrl(follower.doc), B2);
  assert.deepEqual(follower.loads(), [A, B]);
  assert.deepEqual(leader.loads(), [A, B]);
});

test("after a page without an agent, the room's page loads again when asked for", () => {
  const v = showing(A);
  const closed = "http://127.0.0.1:9/";
  schema.navigate(v.doc, closed);
  assert.deepEqual(v.loads(), [A, closed]);
  v.navigation.frameLoaded(); // the proxy's error page: no hello ever comes
  assert.equal(v.navigation.shownUrl, "");
  schema.navigate(v.doc, A);
  assert.deepEqual(v.loads(), [A, closed, A], "the page shown before loads again");
  v.navigation.frameLoaded();
  v.navigation.go(-1);
  assert.deepEqual(v.loads(), [A, closed, A, closed], "and so does the failed one");
});

test("a reader follows the room and writes nothing", () => {
  const writer = showing(A);
  const reader = showing(A, { write: false, doc: peerOf(writer.doc) });
  reader.navigation.frameLoaded();
  reader.navigation.hello({ url: B, result: null }); // it followed a link in its page
  assert.equal(schema.currentUrl(writer.doc), A);
  assert.deepEqual(reader.loads(), [A, A], "brought back to the room's page");
  reader.navigation.hello({ url: A, result: null });
  reader.navigation.navigated({ url: `${A}#part`, active: true });
  reader.navigation.userNavigate(B);
  reader.navigation.go(-1);
  assert.deepEqual(schema.roots(writer.doc).history.toArray(), [A]);
  writer.navigation.userNavigate(B);
  assert.deepEqual(reader.loads(), [A, A, B]);
});

test("same-document moves are shared when the user made them or leads the room", () => {
  const leader = showing(A);
  const other = showing(A, { doc: peerOf(leader.doc) });
  other.navigation.navigated({ url: `${A}#later`, active: false }); // the page's own script
  assert.equal(schema.currentUrl(leader.doc), A);
  leader.navigation.navigated({ url: `${A}#mine`, active: false }); // the last navigator's
  assert.equal(schema.currentUrl(other.doc), `${A}#mine`);
  other.navigation.navigated({ url: `${A}#clicked`, active: true });
  assert.equal(schema.currentUrl(leader.doc), `${A}#clicked`);
  assert.deepEqual(other.loads(), [A, `${A}#mine`], "its own move is not loaded again");
  assert.deepEqual(leader.loads(), [A, `${A}#clicked`], "others follow it");
});

test("navigations a page reports past the cap are not shared", () => {
  const v = showing(A);
  const burst = RATES.navigation.burst;
  for (let i = 0; i < burst + 5; i++) v.navigation.navigated({ url: `${A}#${i}`, active: true });
  assert.equal(schema.roots(v.doc).history.length, 1 + burst);
  v.tick(1000);
  v.navigation.navigated({ url: `${A}#later`, active: true });
  assert.equal(schema.currentUrl(v.doc), `${A}#later`);
});

test("a session opened again loads the page when asked to or when its prefix changed", () => {
  const v = showing(A);
  v.navigation.session({ write: true });
  assert.deepEqual(v.loads(), [A]);
  v.navigation.session({ write: true, reload: true });
  assert.deepEqual(v.loads(), [A, A]);
  v.navigation.session({ write: false });
  v.navigation.userNavigate(B);
  assert.equal(schema.currentUrl(v.doc), A, "the server made this participant a reader");
});

test("a fresh named room waits for the kernel, then starts on the start URL", () => {
  const v = view();
  v.open();
  v.navigation.roomSynced({ ownRoom: false });
  assert.deepEqual(v.actions.at(-1), { type: "wait-for-kernel" });
  assert.deepEqual(v.loads(), []);
  assert.ok(!v.actions.some((a) => a.type === "room-ready"), "not before the first page");
  v.navigation.kernelAnswered(A);
  assert.equal(schema.currentUrl(v.doc), A);
  assert.deepEqual(v.loads(), [A]);
  assert.deepEqual(v.actions.at(-1), { type: "room-ready" }); // after the first page

  const named = view();
  named.open();
  schema.navigate(named.doc, B); // the kernel's `cb.goto` came in first
  named.navigation.kernelAnswered(A);
  assert.deepEqual(schema.roots(named.doc).history.toArray(), [B]);

  const reader = view({ write: false });
  reader.open();
  reader.navigation.kernelAnswered(A);
  assert.equal(schema.currentUrl(reader.doc), "", "a reader does not pick the first page");

  const own = view();
  own.open();
  own.navigation.roomSynced({ ownRoom: true });
  assert.ok(!own.actions.some((a) => a.type === "wait-for-kernel"));
  assert.deepEqual(own.actions.at(-1), { type: "room-ready" });
});

test("what is not a web address is shown as an error, never loaded", () => {
  const v = showing(A);
  v.navigation.userNavigate("javascript:alert(1)");
  assert.equal(v.actions.at(-1).type, "error");
  assert.equal(schema.currentUrl(v.doc), A);
  schema.navigate(v.doc, "ftp://files.example/"); // a modified client wrote it
  assert.deepEqual(v.actions.at(-1), {
    type: "error",
    text: "The room's address is not a web address: ftp://files.example/",
  });
  assert.deepEqual(v.loads(), [A]);
  v.navigation.frameLoaded();
  v.navigation.hello({ url: A, result: null });
  assert.ok(
    v.actions.some((a) => a.type === "error" && a.text === null),
    "a page clears it",
  );
});

test("typed addresses become https URLs", () => {
  assert.equal(normalizeUrl(" docs.python.org/3/ "), "https://docs.python.org/3/");
  assert.equal(normalizeUrl("http://x.example"), "http://x.example/");
  assert.equal(normalizeUrl(""), null);
  assert.equal(normalizeUrl("file:///etc/passwd"), null);
});

test("a load the browser let go is asked for again", () => {
  // The room moves on while its first page is loading (the kernel's cb.goto right after the
  // start page): the frame is asked for A, then B, but the document that arrives is A's.
  const v = view();
  v.open();
  schema.navigate(v.doc, A);
  schema.navigate(v.doc, B);
  assert.deepEqual(v.loads(), [A, B]);
  landed(v, A);
  assert.deepEqual(v.loads(), [A, B, B], "the room's page is loaded again");
  landed(v, B);
  assert.deepEqual(v.loads(), [A, B, B]);
  assert.deepEqual(schema.roots(v.doc).history.toArray(), [A, B], "nothing written for it");
});

test("a reload reloads the room's page for everyone; a reader's only for itself", () => {
  const one = showing(A);
  one.navigation.roomSynced({ ownRoom: true });
  const two = view({ doc: peerOf(one.doc) });
  two.open();
  two.navigation.roomSynced({ ownRoom: true });
  landed(two, A);
  const reader = view({ doc: peerOf(one.doc), write: false });
  reader.open();
  reader.navigation.roomSynced({ ownRoom: true });
  landed(reader, A);
  const before = [one.loads().length, two.loads().length, reader.loads().length];
  one.navigation.reload();
  assert.deepEqual(
    [one.loads().length, two.loads().length, reader.loads().length],
    before.map((n) => n + 1),
  );
  reader.navigation.reload(); // a reader writes nothing: only its own view reloads
  assert.equal(schema.reloads(one.doc), 1);
  assert.deepEqual([one.loads().length, reader.loads().length], [before[0] + 1, before[2] + 2]);
});

test("practising, a form's result stays the user's own until the room moves on", () => {
  const v = showing(A);
  const peer = peerOf(v.doc);
  schema.modeOf(peer).set("fields", "individual");
  landed(v, B, RESULT); // the user sent the practice form: their own answer
  assert.equal(schema.currentUrl(v.doc), A, "the room stays where it was");
  assert.deepEqual(v.loads(), [A], "and this view shows its result, not the room's page again");
  schema.navigate(peer, B2);
  assert.deepEqual(v.loads(), [A, B2], "the room moved on: so does this view");
  landed(v, B2);
  schema.modeOf(peer).set("fields", "shared");
  landed(v, A, RESULT); // a form sent with the room's fields shared: everyone goes
  assert.equal(schema.currentUrl(peer), A);
  assert.equal(schema.currentResult(peer), RESULT);
});
