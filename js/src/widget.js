// The CoBrowser widget front-end (anywidget): toolbar, participants, and the proxied page.
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { jupyterServer, openSession } from "./server.js";
import { RoomConnection } from "./room.js";
import { KernelLink } from "./kernel.js";
import { buildView } from "./view.js";
import * as schema from "./schema.js";
import { RATES } from "./protocol/limits.js";
import { coalesced, tokenBucket } from "./protocol/rate.js";
import { agentMessage, toPointers, toWebUrl } from "./protocol/validate.js";

/** Turn what someone typed in the address bar into an http(s) URL of bounded length, or null. */
export function normalizeUrl(text) {
  const url = text.trim();
  if (!url) return null;
  return toWebUrl(/^[a-z][a-z0-9+.-]*:\/\//i.test(url) ? url : `https://${url}`);
}

/** The Python a colleague runs to join `room` (JSON strings are valid Python string literals). */
export function joinCode(url, room) {
  const call = `CoBrowser(${JSON.stringify(url)}, room=${JSON.stringify(room)})`;
  return `from cobrowse_widget import CoBrowser\n${call}`;
}

const KERNEL_WAIT = 3000; // ms a fresh named room waits for a silent kernel's state
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function render({ model, el }) {
  const view = buildView(el, model.get("height"));
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  const kernel = new KernelLink(model, doc);
  const cleanups = [() => kernel.destroy(), () => awareness.destroy(), () => doc.destroy()];
  let room = null;
  let session = null;
  let port = null; // MessagePort to the agent of the page currently shown
  let writer = false; // a reader watches and follows: it never writes to the doc
  // What the iframe shows (as its agent last reported) and what we asked it to load: an upstream
  // URL, plus the id of a kept form result when the page is one.
  let shown = { url: "", result: null };
  let pending = null;
  let shownFor = null; // the room's page this view stands for (a redirect may land elsewhere)
  const same = (a, b) => a !== null && b !== null && a.url === b.url && a.result === b.result;
  const shownUrl = () => shown.url;

  const proxiedPath = (url) => {
    const u = new URL(url);
    const host = u.port ? `${u.hostname}:${u.port}` : u.hostname;
    return `${u.protocol.slice(0, -1)}/${host}${u.pathname}${u.search}${u.hash}`;
  };

  const load = (target) => {
    if (!session || !target.url) return;
    if (normalizeUrl(target.url) === null) {
      view.setError(`The room's address is not a web address: ${target.url}`);
      return;
    }
    pending = target;
    dropPort();
    const kept = target.result === null ? "" : `_/result/${encodeURIComponent(target.result)}/`;
    view.frame.src = `${session.prefix}${kept}${proxiedPath(target.url)}`;
  };

  const dropPort = () => {
    if (port) port.close();
    port = null;
  };

  const showPage = () => {
    const target = { url: schema.currentUrl(doc), result: schema.currentResult(doc) };
    view.setAddress(target.url);
    view.setHistoryButtons(schema.historyIndex(doc), schema.roots(doc).history.length);
    if (same(target, shown)) shownFor = target; // e.g. the navigator recorded where we landed
    if (target.url && !same(target, shownFor) && !same(target, pending)) load(target);
  };

  const remotePointers = () => {
    const pointers = [];
    awareness.getStates().forEach((state, id) => {
      if (id === doc.clientID || !state?.pointer || state.url !== shownUrl()) return;
      const user = state.user ?? {};
      pointers.push({
        id,
        name: String(user.name ?? "someone"),
        color: String(user.color ?? ""),
        pointer: state.pointer,
      });
    });
    return toPointers(pointers); // peers' data, bounded before it reaches the page's realm
  };

  const sendToAgent = (message) => port?.postMessage(message);

  // Live scrolls by others move this view; a freshly loaded page takes the room's position
  // whoever made it.
  const applyRemoteScroll = ({ onLoad = false } = {}) => {
    const scroll = schema.getScroll(doc);
    if (scroll && scroll.url === shownUrl() && (onLoad || scroll.by !== doc.clientID)) {
      sendToAgent({ type: "scroll-to", anchor: scroll.anchor });
    }
  };

  // The frame shows another document (or a same-document navigation moved it): our pointer was
  // on the old one.
  const setShown = (url, result) => {
    shown = { url, result };
    const state = awareness.getLocalState();
    if (state) awareness.setLocalState({ ...state, url, pointer: null });
  };
  const nowShowing = (url, result) => {
    setShown(url, result);
    view.setError(null);
  };

  // Everything from the agent is checked (a page can forge it) and capped: scrolls and pointers
  // coalesce to the latest, navigations past the cap are not shared.
  const now = () => performance.now();
  const navigations = tokenBucket(RATES.navigation, now());
  const mayNavigate = () => writer && navigations.take(now());
  const shareScroll = coalesced(({ url, anchor }) => {
    if (url === shownUrl()) schema.setScroll(doc, url, anchor);
  }, RATES.scroll);
  const sharePointer = coalesced(({ url, pointer }) => {
    if (url === shownUrl()) awareness.setLocalStateField("pointer", pointer);
  }, RATES.pointer);
  cleanups.push(
    () => shareScroll.cancel(),
    () => sharePointer.cancel(),
  );

  const onAgentMessage = (data, channel) => {
    const message = agentMessage(data);
    if (!message) return;
    const hello = message.type === "hello";
    if (hello === channel.greeted) return; // one hello per page load, and nothing before it
    if (hello) {
      channel.greeted = true;
      const { url, result } = message;
      const expected = pending;
      pending = null;
      nowShowing(url, result);
      shownFor = expected ?? shown;
      const moved = url !== schema.currentUrl(doc) || result !== schema.currentResult(doc);
      if (expected === null && moved) {
        // The user followed a link or sent a form (a reader's own moves are not shared: it is
        // brought back to the room's page below).
        if (mayNavigate()) schema.navigate(doc, url, result);
      } else if (
        expected !== null &&
        url !== expected.url &&
        schema.currentUrl(doc) === expected.url &&
        schema.navigatedBy(doc) === doc.clientID &&
        mayNavigate()
      ) {
        schema.replace(doc, url); // our navigation was redirected
      }
      showPage(); // the room may have moved on while this page loaded
      applyRemoteScroll({ onLoad: true });
      sendToAgent({ type: "pointers", pointers: remotePointers() });
    } else if (message.type === "navigated" && message.url !== shown.url) {
      const { url, active } = message;
      nowShowing(url, null); // pushState or a fragment: the same document moved
      shownFor = shown;
      const ours = active || schema.navigatedBy(doc) === doc.clientID;
      if (ours && url !== schema.currentUrl(doc) && mayNavigate()) schema.navigate(doc, url);
    } else if (message.type === "scroll" && writer) {
      shareScroll.call({ url: shownUrl(), anchor: message.anchor });
    } else if (message.type === "pointer") {
      sharePointer.call({ url: shownUrl(), pointer: message.pointer });
    }
  };

  // Each page load gets a fresh channel; only this iframe's agent ever holds the other end.
  const onFrameLoad = () => {
    dropPort();
    // Until its agent says hello the frame shows none of the room's pages, and a page without an
    // agent (the proxy's error pages) never will: the room's page must load again when it is
    // asked for, even if it is the one shown before.
    setShown("", null);
    shownFor = null;
    const channel = new MessageChannel();
    port = channel.port1;
    const state = { greeted: false };
    port.onmessage = ({ data }) => onAgentMessage(data, state);
    view.frame.contentWindow?.postMessage({ cobrowse: "connect" }, "*", [channel.port2]);
  };
  view.frame.addEventListener("load", onFrameLoad);
  cleanups.push(() => view.frame.removeEventListener("load", onFrameLoad));

  const { page, history, scroll } = schema.roots(doc);
  page.observe(showPage);
  history.observe(showPage);
  scroll.observe(() => applyRemoteScroll());

  const onAwareness = () => {
    const people = [];
    awareness.getStates().forEach((state, id) => {
      if (state?.user) people.push({ ...state.user, id, self: id === doc.clientID });
    });
    view.setParticipants(people);
    sendToAgent({ type: "pointers", pointers: remotePointers() });
  };
  awareness.on("change", onAwareness);

  // Chromium sends a sandboxed frame no pointerout when the pointer leaves it: clear our pointer
  // as soon as it is over the widget's own controls.
  view.onPointerOutsidePage(() => {
    if (awareness.getLocalState()?.pointer) awareness.setLocalStateField("pointer", null);
  });
  view.onNavigate((text) => {
    if (!writer) return;
    const url = normalizeUrl(text);
    if (url) schema.navigate(doc, url);
    else view.setError(`"${text.slice(0, 200)}" is not a web address (http or https).`);
  });
  view.onBack(() => writer && schema.go(doc, -1));
  view.onForward(() => writer && schema.go(doc, 1));
  const reloadPage = () => load({ url: schema.currentUrl(doc), result: schema.currentResult(doc) });

  const onHeight = () => view.setHeight(model.get("height"));
  model.on("change:height", onHeight);
  cleanups.push(() => model.off("change:height", onHeight));

  let disposed = false;
  const server = jupyterServer();
  const useSession = (s) => {
    session = s;
    view.frame.setAttribute("sandbox", s.sandbox); // before the frame's first page
    writer = s.write;
    view.setReadOnly(!writer);
  };
  // A server restart, or a session left unused past its time, ends the room's proxy session:
  // ask again (the server answers with the same one while it lives) and load the page under the
  // new prefix when it changed.
  const renewSession = async ({ reload }) => {
    const before = session?.prefix;
    try {
      const s = await openSession(server, model.get("room"));
      if (disposed) return;
      useSession(s);
      if (reload || s.prefix !== before) reloadPage();
    } catch (err) {
      if (!disposed) view.setError(`Could not renew the co-browsing session: ${err.message}`);
    }
  };
  view.onReload(() => renewSession({ reload: true }));
  view.onShare(() => {
    const url = schema.currentUrl(doc) || model.get("start_url");
    const code = joinCode(url, model.get("room"));
    const copied = navigator.clipboard?.writeText(code);
    const intro = "A colleague on this Jupyter server joins by running: ";
    view.showInvite(copied ? `Copied. ${intro}` : intro, code);
    copied?.catch(() => view.showInvite(intro, code));
  });

  openSession(server, model.get("room"))
    .then((s) => {
      if (disposed) return;
      useSession(s);
      awareness.setLocalState({ user: s.user, url: "", pointer: null });
      room = new RoomConnection(server, model.get("room"), doc, awareness, {
        onSynced: () => {
          // A room of the widget's own starts from the kernel; a named room may need a first
          // page, unless the kernel is giving it one (`cb.goto` in the cell that made the
          // widget): decide once the kernel's state is in, or a moment later if it is silent.
          if (model.get("own_room") || schema.currentUrl(doc)) return showPage();
          const kernelAnswered = Promise.race([kernel.synced, delay(KERNEL_WAIT)]);
          kernelAnswered.then(() => {
            if (disposed) return;
            if (writer && !schema.currentUrl(doc) && model.get("start_url")) {
              schema.navigate(doc, model.get("start_url"));
            }
            showPage();
          });
        },
        onStatus: (text) => view.setStatus(text),
        onReconnect: () => renewSession({ reload: false }),
      });
      kernel.start();
      showPage();
    })
    .catch((err) => {
      if (disposed) return;
      view.setError(`Could not start co-browsing: ${err.message}`);
      view.frame.hidden = true; // no page will show: the message is all there is
      model.send({ kind: "server", ok: false, reason: err.message }); // Python warns once
    });

  return () => {
    disposed = true;
    room?.destroy();
    dropPort();
    cleanups.reverse().forEach((fn) => fn());
    view.destroy();
  };
}

export default { render };
