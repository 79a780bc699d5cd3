// The CoBrowser widget front-end (anywidget): wires the view, the room and kernel links, the
// agent link and the navigation state machine (navigation.js decides; this file does).
import * as Y from "yjs";
import { Awareness } from "y-protocols/awareness";
import { AgentLink } from "./agent-link.js";
import { FrameLinks, isFrameKey } from "./frame-links.js";

// What the widget says when a note or a stroke does not fit in the room.
const ROOM_FULL = `The room keeps at most ${MAX_NOTES} notes and drawings: remove some (⌫) first.`;
import * as control from "./control.js";
import * as fields from "./fields.js";
import * as notes from "./notes.js";
import * as privacy from "./privacy.js";
import { KernelLink } from "./kernel.js";
import * as live from "./live.js";
import { Navigation } from "./navigation.js";
import { PageActions } from "./page-actions.js";
import { MAX_NOTES, RATES } from "./protocol/limits.js";
import { coalesced, tokenBucket } from "./protocol/rate.js";
import { RoomConnection } from "./room.js";
import * as schema from "./schema.js";
import { jupyterServer, openSession } from "./server.js";
import { buildView } from "./view.js";

/** A peer's frame size, `{width, height}` in CSS pixels within sane bounds, or null. */
function toSize(value) {
  const fits = (n) => Number.isInteger(n) && n >= 100 && n <= 10000;
  return fits(value?.width) && fits(value?.height)
    ? { width: value.width, height: value.height }
    : null;
}

/** The Python a colleague runs to join `room` (JSON strings are valid Python string literals). */
export function joinCode(url, room) {
  const call = `CoBrowser(${JSON.stringify(url)}, room=${JSON.stringify(room)})`;
  return `from cobrowse_widget import CoBrowser\n${call}`;
}

const KERNEL_WAIT = 3000; // ms a fresh named room waits for a silent kernel's state
const SETTLE_MS = 400; // ms a scroll rests before the room's doc keeps it
const REST_MS = 250; // ms a pointer rests before it goes into awareness too
const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The path of an upstream URL under a proxy prefix (docs/protocol.md, "URLs"). */
function proxiedPath(url) {
  const u = new URL(url);
  const host = u.port ? `${u.hostname}:${u.port}` : u.hostname;
  return `${u.protocol.slice(0, -1)}/${host}${u.pathname}${u.search}${u.hash}`;
}

/** Shows the widget; when the room refuses this view's copy of it (its role changed under an
 * update of its own), starts again from the room's. */
function render({ model, el }) {
  let stop = () => {};
  const restart = () => {
    stop();
    stop = start({ model, el }, () => setTimeout(restart));
  };
  restart();
  return () => stop();
}

function start({ model, el }, onRefused) {
  const view = buildView(el, model.get("height"));
  const doc = new Y.Doc();
  const awareness = new Awareness(doc);
  const kernel = new KernelLink(model, doc);
  const server = jupyterServer();
  let room = null;
  let session = null;
  let disposed = false;
  let writes = false; // this user may write to the room (a reader may not)
  let following = true; // in presenter mode: this view goes where the presenter goes
  let presenterView = false; // in presenter mode: this view shows the presenter's frame size

  /** Others on this page: [{id, name, color, state}] (peers' data: the agent link bounds it
   * before it reaches the page's realm). */
  const othersHere = () => {
    const others = [];
    awareness.getStates().forEach((state, id) => {
      if (id === doc.clientID || !state || state.url !== navigation.shownUrl) return;
      const user = state.user ?? {};
      others.push({ id, name: String(user.name ?? ""), color: String(user.color ?? ""), state });
    });
    return others;
  };
  // Others' pointers move live (live.js): each one's latest live position, until an awareness
  // state of theirs (which carries their latest pointer) replaces it.
  const livePointers = new Map(); // client id -> their pointer, or null once it left
  const liveNames = new Map(); // client id -> slot -> the locator their live pointer named there
  const onLive = (id, payload) => {
    const message = live.readPayload(payload);
    const state = awareness.getStates().get(id);
    if (id === doc.clientID || !message || !state?.user) return;
    const { pointer, scroll, slot, locator } = message;
    if (!liveNames.has(id)) liveNames.set(id, new Map());
    const names = liveNames.get(id);
    if (locator !== undefined) names.set(slot, locator);
    else if (slot !== undefined && !names.has(slot)) return; // named before we came: wait
    if (scroll) {
      const { ratio, fraction } = scroll;
      const anchor = { locator: names.get(slot), ratio, fraction }; // as the agent makes them
      followLive(id, state, { url: state.url, anchor });
      return;
    }
    livePointers.set(id, pointer && { locator: names.get(slot), ...pointer });
    sendPointers();
  };
  const marksSent = { focus: "", selections: "" }; // what the agent was last sent of each
  const sendPointers = () => {
    const here = othersHere();
    const pointers = [];
    for (const { state, ...who } of here) {
      const pointer = livePointers.has(who.id) ? livePointers.get(who.id) : state.pointer;
      if (!pointer) continue;
      // A ripple for everyone's click; replayed (a tab) only for who leads.
      pointers.push({
        ...who,
        pointer,
        click: state.click,
        replay: control.leads(doc, state.user),
      });
    }
    agent.send({ type: "pointers", pointers });
  };
  // Others' focus and selections, which change with their presence (not with live moves): sent
  // only when someone's changed, and all again to a page that just loaded.
  const sendMarks = ({ again = false } = {}) => {
    const here = othersHere();
    for (const [field, type] of [
      ["focus", "focus"],
      ["selection", "selections"],
    ]) {
      const marks = here
        .filter(({ state }) => state[field])
        .map(({ state, ...who }) => ({ ...who, [field]: state[field] }));
      const json = JSON.stringify(marks);
      if (again || json !== marksSent[type]) agent.send({ type, marks });
      marksSent[type] = json;
    }
  };

  // The room's settled scroll position (in the doc) is where a freshly loaded page goes; live
  // scrolls travel in awareness and move this view as they come (the latest, at most 30/s).
  const applyRemoteScroll = ({ onLoad = false } = {}) => {
    if (!following) return;
    const scroll = schema.getScroll(doc);
    if (scroll && scroll.url === navigation.shownUrl && (onLoad || scroll.by !== doc.clientID)) {
      agent.send({ type: "scroll-to", anchor: scroll.anchor });
    }
  };
  const followScroll = coalesced(
    (anchor) => agent.send({ type: "scroll-to", anchor }),
    RATES.scroll,
  );
  const liveScrolls = new Map(); // client id -> {key, scroll}: the latest scroll of theirs seen
  /** Follow participant `id`'s latest `scroll` ({url, anchor}, live or in their awareness) when
   * it is new and they lead. */
  const followLive = (id, state, scroll) => {
    const key = JSON.stringify(scroll);
    if (id === doc.clientID || !scroll || liveScrolls.get(id)?.key === key) return;
    if (!control.leads(doc, state.user)) return; // a reader's or a follower's: not followed
    liveScrolls.set(id, { key, scroll });
    if (scroll.url === navigation.shownUrl && following) followScroll.call(scroll.anchor);
  };

  // What this participant shows others in awareness changes in several places at once (a scroll
  // and a click): the fields go out together, once per task, with the latest pointer.
  let presence = null;
  let myPointer = null;
  let myScroll = null; // {url, anchor}: where this participant scrolled last
  let myViewport = null; // {width, height}: this view's frame
  const present = (fields) => {
    if (presence === null) {
      presence = {};
      queueMicrotask(() => {
        const state = awareness.getLocalState();
        const latest = { pointer: myPointer, scroll: myScroll, viewport: myViewport };
        if (state) awareness.setLocalState({ ...state, ...presence, ...latest });
        presence = null;
      });
    }
    Object.assign(presence, fields);
  };
  // Our pointer and scrolls go out live, a few bytes each, naming an element's locator only the
  // first time; once they rest, they go into awareness too, where those who join find them.
  const slots = live.nameSlots();
  const sendLive = (position, payload) => {
    const { slot, named } = position ? slots.slotOf(JSON.stringify(position.locator)) : {};
    if (!room?.sendLive(payload(position, slot, named))) slots.forget();
  };
  let rest = 0;
  const movePointer = (pointer) => {
    myPointer = pointer;
    sendLive(pointer, live.pointerPayload);
    clearTimeout(rest);
    rest = setTimeout(() => present({}), REST_MS);
  };

  const startKernelWait = () => {
    Promise.race([kernel.synced, delay(KERNEL_WAIT)]).then(() => {
      if (!disposed) navigation.kernelAnswered(model.get("start_url"));
    });
  };
  const actions = {
    room: ({ url, index, length }) => {
      view.setAddress(url);
      view.setHistoryButtons(index, length);
    },
    load: ({ url, result }) => {
      agent.drop();
      frameLinks.reset(); // the page will not say it is leaving: its link is closed
      const kept = result === null ? "" : `_/result/${encodeURIComponent(result)}/`;
      view.frame.src = `${session.prefix}${kept}${proxiedPath(url)}`;
    },
    showing: ({ url }) => {
      pageActions.shows(url);
      myPointer = myScroll = null;
      present({ url, focus: null, selection: null });
      showPeople(); // who is on another page now
      showNotes();
    },
    error: ({ text }) => view.setError(text),
    "wait-for-kernel": startKernelWait,
    // After the room's state went to the kernel (updates and this message share the comm).
    "room-ready": () => model.send({ kind: "room", synced: true }),
  };
  const navigation = new Navigation(doc, (action) => actions[action.type](action));

  // Scrolls and pointers from the agent coalesce to the latest; a reader's scrolls stay its own.
  // A scroll goes out live, and into awareness and the doc once it has rested (so that an hour
  // of scrolling does not grow the doc, and a page loaded later goes where the room is).
  let settle = 0;
  let clicks = 0;
  const clickBudget = tokenBucket(RATES.click, performance.now());
  const strokeBudget = tokenBucket(RATES.stroke, performance.now());
  const shareScroll = coalesced(({ url, anchor }) => {
    if (url !== navigation.shownUrl) return;
    myScroll = { url, anchor };
    sendLive(anchor, live.scrollPayload);
    clearTimeout(settle);
    settle = setTimeout(() => {
      if (url === navigation.shownUrl) schema.setScroll(doc, url, anchor);
      present({});
    }, SETTLE_MS);
  }, RATES.scroll);
  const sharePointer = coalesced(({ url, pointer }) => {
    if (url === navigation.shownUrl) movePointer(pointer);
  }, RATES.pointer);
  const shareFocus = coalesced((focus) => present({ focus }), RATES.navigation);
  const shareSelection = coalesced((selection) => present({ selection }), RATES.selection);
  // Form fields: the agent's edits go into the doc (a reader's are answered with the room's
  // value), and the room's changes to the shown page's fields go to the agent. Each text edit is
  // acknowledged with the text it made, so the agent can rebase edits still on their way.
  const fromAgent = { fields: true }; // the origin of transactions that apply the agent's edits
  const acks = new Map(); // field key -> the agent's latest text edit applied, for this page load
  let fieldBudget = null;
  const shownPage = () => navigation.shownUrl; // its fields: those of the URL without fragment
  const sendFields = (list) => {
    const acked = list.map((f) => ({ ...f, ack: acks.get(f.key) ?? 0 }));
    const own = acked.filter((f) => !isFrameKey(f.key)); // the rest are the page's frames'
    if (own.length) agent.send({ type: "fields", fields: own });
    if (own.length < acked.length) frameLinks.sendFields(acked);
  };
  // The notebook's privacy rules hold for the whole room (privacy.js): published under this
  // user's name when they write, and everyone's applied on this page.
  const ownRules = () => ({
    private: model.get("private"),
    all: model.get("private_by_default"),
    shared: model.get("shared"),
  });
  const rulesMessage = () => ({ type: "privacy", ...privacy.effectiveRules(doc, ownRules()) });
  const sendPrivacy = () => {
    if (writes && session) privacy.publish(doc, me(), ownRules());
    agent.send(rulesMessage());
    frameLinks.sendAll(rulesMessage());
  };
  const privacyMap = privacy.privacyOf(doc);
  privacyMap.observe(sendPrivacy);
  // In practice mode the fields this view shows and writes are its user's own (fields.js).
  let owner = null;
  const entryOf = (key) =>
    fields.readEntry(fields.fieldsOf(doc, owner).get(fields.entryKey(shownPage(), key, owner)));
  const onFieldList = ({ fields: inventory }) => {
    if (writes) fields.prepare(doc, shownPage(), inventory, fromAgent, owner);
    sendFields(fields.pageFields(doc, shownPage(), owner));
  };
  const onFieldEdit = (edit) => {
    if (!fieldBudget.take(performance.now())) return;
    if (writes) fields.applyEdit(doc, shownPage(), edit, fromAgent, owner);
    if (edit.kind === "text") acks.set(edit.key, edit.seq);
    const entry = entryOf(edit.key);
    if (edit.kind === "text" || !navigation.writer)
      sendFields(entry ? [{ key: edit.key, ...entry }] : []);
  };
  const observeFields = () =>
    fields.observeFields(
      doc,
      fromAgent,
      (page, key) => {
        if (page !== fields.pageId(shownPage())) return;
        const entry = entryOf(key);
        if (entry) sendFields([{ key, ...entry }]);
      },
      owner,
    );
  let stopFields = observeFields();
  // The room starts or stops practising: this view's fields, cookies and form results become
  // its user's own (a session of their own) or the room's again; the page loads anew with them.
  const onMode = () => {
    showControl();
    const wanted = session && schema.practising(doc) ? me() || null : null;
    if (wanted === owner) return;
    owner = wanted;
    stopFields();
    stopFields = observeFields();
    renewSession({ reload: true });
  };
  const modeMap = schema.modeOf(doc);
  modeMap.observe(onMode);

  // The page's frames share their fields as the page's (frame-links.js).
  const frameLinks = new FrameLinks(view.frame, {
    privacy: rulesMessage, // a frame reports no field before it knows which are private
    fields: onFieldList,
    field: onFieldEdit,
    pointer: (at) => agent.send({ type: "frame-pointer", ...at }),
  });
  const agent = new AgentLink(view.frame, {
    load: () => {
      frameLinks.reset();
      pageActions.left();
      navigation.frameLoaded();
    },
    hello: (message) => {
      navigation.hello(message);
      acks.clear();
      fieldBudget = tokenBucket(RATES.field, performance.now());
      frameLinks.pageShown(message.site);
      sendPrivacy(); // the agent reports no field before it knows which are private
      applyRemoteScroll({ onLoad: true });
      sendPointers();
      sendMarks({ again: true }); // a fresh page has drawn none
      if (drawing) setDrawing(true); // a fresh page draws nothing yet
    },
    fields: onFieldList,
    field: onFieldEdit,
    navigated: (message) => navigation.navigated(message),
    done: (message) => pageActions.done(message),
    leaving: () => frameLinks.reset(),
    scroll: ({ anchor }) => {
      if (navigation.writer) shareScroll.call({ url: navigation.shownUrl, anchor });
      else if (following && control.roleOf(doc, me()).follow) {
        following = false; // scrolled away from the presenter's place
        showControl();
      }
    },
    pointer: ({ pointer }) => sharePointer.call({ url: navigation.shownUrl, pointer }),
    focus: ({ locator }) => shareFocus.call(locator),
    selection: ({ selection }) => shareSelection.call(selection),
    stroke: ({ at, width, path }) => {
      if (!drawing || !writes || !strokeBudget.take(performance.now())) return;
      const made = notes.addStroke(doc, {
        url: navigation.shownUrl,
        at,
        width,
        path,
        author: me(),
      });
      if (made === null) view.setStatus(ROOM_FULL);
    },
    // A click shows as a ripple where the pointer is (counted, so each one is seen once).
    click: ({ pointer }) => {
      if (pinning) {
        view.setStatus("");
        return void pinAt(pointer);
      }
      if (!clickBudget.take(performance.now())) return;
      clicks += 1;
      myPointer = pointer;
      present({ click: clicks });
    },
  });

  // Python's fill and click act in one view's page, as this user (the kernel picks the view);
  // finding an element is anyone's.
  const pageActions = new PageActions(model, doc.clientID, {
    agent,
    mayAct: (action) => action === "find" || navigation.writer,
  });

  const { scroll } = schema.roots(doc);
  const onScroll = () => applyRemoteScroll();
  scroll.observe(onScroll);
  // Others' presence: people come and go, pointers move, live scrolls move this view. Our own
  // pointer and scroll going out change nothing here.
  const onAwareness = ({ added, updated, removed }, origin) => {
    const ids = added.concat(updated);
    showPeople();
    for (const id of removed) {
      liveScrolls.delete(id);
      liveNames.delete(id);
    }
    for (const id of removed.concat(ids)) livePointers.delete(id); // their state is the latest
    if (added.some((id) => id !== doc.clientID)) slots.forget(); // they know no name of ours
    if (origin === "local") return;
    sendPointers();
    sendMarks();
    fitPresenter(); // the presenter's frame may have changed size
    for (const id of ids) {
      const state = awareness.getStates().get(id);
      if (state) followLive(id, state, state.scroll);
    }
  };
  awareness.on("change", onAwareness);

  // Chromium sends a sandboxed frame no pointerout when the pointer leaves it: clear our pointer
  // as soon as it is over the widget's own controls.
  view.onPointerOutsidePage(() => {
    if (myPointer) movePointer(null);
  });
  view.onNavigate((text) => navigation.userNavigate(text));
  view.onBack(() => navigation.go(-1));
  view.onForward(() => navigation.go(1));
  const onHeight = () => view.setHeight(model.get("height"));
  model.on("change:height", onHeight);
  const privacyEvents = ["change:private", "change:shared", "change:private_by_default"];
  for (const event of privacyEvents) model.on(event, sendPrivacy);

  // The participant list: who is here, what they do in presenter mode, who is on another page
  // (with a "Go there" for who may move the room). Redrawn only when something in it changed.
  let peopleShown = "";
  const showPeople = () => {
    const { presenter, presenting } = control.readControl(doc);
    const list = [];
    awareness.getStates().forEach((state, id) => {
      const user = state?.user;
      if (!user) return;
      const self = id === doc.clientID;
      let role = user.reader ? "view only" : "";
      if (presenting && user.username === presenter) role = "presenting";
      else if (presenting && !user.reader)
        role = state.following === false ? "not following" : "following";
      const shown = fields.pageOf(navigation.shownUrl);
      const away =
        !self && state.url && shown && fields.pageOf(String(state.url)) !== shown ? state.url : "";
      const name = String(user.name ?? "");
      const initials = String(user.initials ?? ""); // stamped by the room, as the name is
      list.push({ id, self, name, initials, color: String(user.color ?? ""), role, away });
    });
    const shown = JSON.stringify([list, navigation.writer]);
    if (shown === peopleShown) return;
    peopleShown = shown;
    view.setParticipants(list, navigation.writer);
    showNotes(); // their authors' names and colours
  };
  view.onGoThere((url) => navigation.userNavigate(url));

  // Who leads: a presenter's followers do not move the room (the hub would refuse it), and go
  // where the presenter goes unless they scrolled away.
  const me = () => session?.user?.username ?? "";
  const showControl = () => {
    const role = control.roleOf(doc, me());
    const state = control.readControl(doc);
    navigation.setWriter(writes && role.drive);
    view.setReadOnly(!(writes && role.drive), writes ? "" : "View only"); // a follower: status
    const act = (text, title, run) => ({ text, title, run });
    const actions = [];
    let status = "";
    if (!writes) {
      status = "";
    } else if (!state.presenting) {
      // only a presenter may start presenting where the server says so (the hub's groups)
      if (session?.lead !== false)
        actions.push(
          act("Present", "Lead: everyone follows your page and scrolling", () =>
            control.present(doc, me()),
          ),
        );
    } else if (role.lead || role.own) {
      status = role.lead ? "You are presenting" : `${nameOf(state.presenter)} has the lead`;
      if (role.own && !role.lead)
        actions.push(act("Take back", "Lead again", () => control.grant(doc, me())));
      if (role.lead && !role.own)
        actions.push(act("Hand back", "Give the lead back", () => control.handBack(doc)));
      if (role.lead)
        actions.push(
          act("Bring all here", "Everyone who scrolled away follows you again", () =>
            control.summon(doc),
          ),
        );
      if (role.own)
        actions.push(
          act("Stop presenting", "Everyone drives again", () => control.stopPresenting(doc)),
        );
      for (const user of role.own ? control.openRequests(doc, Date.now()) : []) {
        actions.push(
          act(`Give ${nameOf(user)} the lead`, `${nameOf(user)} asks for control`, () =>
            control.grant(doc, user),
          ),
        );
        actions.push(
          act("Decline", `Decline ${nameOf(user)}'s request`, () => control.withdraw(doc, user)),
        );
      }
    } else {
      status = following ? `Following ${nameOf(state.presenter)}` : "Not following";
      actions.push(
        presenterView
          ? act("Own view", "Show the page at this cell's width", () => togglePresenterView())
          : act("Presenter's view", "See the page at the presenter's width, scaled to fit", () =>
              togglePresenterView(),
            ),
      );
      if (!following) actions.push(act("Follow again", "Go back to the presenter's place", follow));
      const asked = control.openRequests(doc, Date.now()).includes(me());
      if (!asked)
        actions.push(
          act("Request control", "Ask the presenter for the lead", () =>
            control.ask(doc, me(), Date.now()),
          ),
        );
      else status += " (control requested)";
    }
    // Practising: this user's answers are their own (the room's page still is everyone's).
    const practice = schema.practising(doc) ? "Practice: your answers are your own" : "";
    view.setControl({ status: [status, practice].filter(Boolean).join(" · "), actions });
    fitPresenter();
    const followingNow = state.presenting && !role.lead ? following : undefined;
    if (awareness.getLocalState()?.following !== followingNow) present({ following: followingNow });
    showPeople();
  };
  // Notes: pinned where a participant clicks after the note button, and strokes they drag after
  // the draw button (until they press it again), shown to everyone on that page; removed by their
  // author, or by whoever leads in presenter mode (the hub checks both).
  let pinning = false;
  let drawing = false;
  const setDrawing = (on) => {
    drawing = on;
    agent.send({ type: "draw", on, color: colorOf(me()) });
  };
  const mayRemove = (note) => {
    const { presenting, presenter, owner } = control.readControl(doc);
    return note.author === me() || (presenting && [presenter, owner].includes(me()));
  };
  const showNotes = () => {
    const here = notes.pageNotes(doc, navigation.shownUrl);
    const marks = here.map(({ author, ...note }) => ({
      ...note,
      name: nameOf(author),
      color: colorOf(author),
    }));
    agent.send({ type: "notes", marks: marks.filter((mark) => mark.at && mark.text) });
    agent.send({ type: "strokes", marks: marks.filter((mark) => mark.path) });
    agent.send({ type: "highlights", marks: marks.filter((mark) => mark.selector) });
    const canPin = writes && navigation.shownUrl !== "";
    if (drawing && !canPin) setDrawing(false);
    view.setNotes({ canPin, pinning, drawing, canRemove: writes && here.some(mayRemove) });
  };
  const pinAt = (at) => {
    pinning = false;
    showNotes();
    const url = navigation.shownUrl;
    view.askNote((text) => {
      if (!text || url !== navigation.shownUrl) return;
      if (notes.addNote(doc, { url, at, text, author: me() }) === null) view.setStatus(ROOM_FULL);
    });
  };
  view.onPin(() => {
    pinning = !pinning;
    if (drawing) setDrawing(false);
    view.setStatus(pinning ? "Click on the page where the note goes." : "");
    showNotes();
  });
  view.onDraw(() => {
    pinning = false;
    setDrawing(!drawing);
    view.setStatus(drawing ? "Drag on the page to draw; press ✍ again to stop." : "");
    showNotes();
  });
  view.onUnpin(() =>
    notes.removeNotes(
      doc,
      notes
        .pageNotes(doc, navigation.shownUrl)
        .filter(mayRemove)
        .map((note) => note.id),
    ),
  );
  const notesMap = notes.notesOf(doc);
  notesMap.observe(showNotes);

  // The presenter's view: their frame's size (from their presence), this page scaled to fit it.
  const togglePresenterView = () => {
    presenterView = !presenterView;
    showControl();
  };
  let fitted = "null";
  const fitPresenter = () => {
    const { presenting, presenter } = control.readControl(doc);
    let size = null;
    if (presenterView && presenting && presenter !== me())
      size = toSize(presenceOf(presenter)[1]?.viewport);
    if (JSON.stringify(size) !== fitted) view.fitTo(size);
    fitted = JSON.stringify(size);
  };
  const shareSize = coalesced((size) => {
    myViewport = size; // kept, for the first state: the frame is measured before the room opens
    present({});
  }, RATES.navigation);
  view.onFrameSize((size) => shareSize.call(size));

  const follow = () => {
    following = true;
    showControl();
    applyRemoteScroll({ onLoad: true });
    const [id, state] = presenceOf(control.readControl(doc).presenter);
    const scroll = liveScrolls.get(id)?.scroll ?? state?.scroll; // their latest
    if (scroll?.url === navigation.shownUrl) followScroll.call(scroll.anchor);
  };
  /** `[client id, presence]` of a participant who is `username` (another view's before this
   * one's), or [] when none is here. */
  const presenceOf = (username) => {
    let own = [];
    for (const [id, state] of awareness.getStates()) {
      if (state?.user?.username !== username) continue;
      if (id !== doc.clientID) return [id, state];
      own = [id, state];
    }
    return own;
  };
  const colorOf = (username) => String(presenceOf(username)[1]?.user.color ?? "#888888");
  const nameOf = (username) =>
    String(presenceOf(username)[1]?.user.name ?? (username || "someone"));
  let summons = 0;
  const onControl = () => {
    const { summons: now, presenting } = control.readControl(doc);
    if (now !== summons || !presenting) {
      summons = now;
      if (!following) follow();
    }
    showControl();
    showNotes(); // who may remove which notes
  };
  const showStep = () => view.setStep(schema.readStep(doc));
  const stepMap = schema.stepOf(doc);
  stepMap.observe(showStep);
  showStep();
  const controlMap = doc.getMap("control");
  const requests = doc.getMap("requests");
  controlMap.observe(onControl);
  requests.observe(showControl);
  const requestTimer = setInterval(showControl, control.REQUEST_MS / 4); // requests lapse

  const useSession = (s, { reload }) => {
    const renewed = session !== null && s.prefix !== session.prefix;
    session = s;
    writes = s.write;
    view.frame.setAttribute("sandbox", s.sandbox); // before the frame's first page
    kernel.offerPass(s.kernelPass, s.user?.username); // the kernel's own socket to the room
    navigation.session({ write: s.write, reload: reload || renewed });
    showControl();
  };
  // A server restart, or a session left unused past its time, ends the room's proxy session:
  // ask again (the server answers with the same one while it lives) and load the page under the
  // new prefix when it changed.
  const renewSession = async ({ reload }) => {
    try {
      const s = await openSession(server, model.get("room"), { own: owner !== null });
      if (!disposed) useSession(s, { reload });
    } catch (err) {
      if (!disposed) view.setError(`Could not renew the co-browsing session: ${err.message}`);
    }
  };
  // Reload: the session may have ended (a server restart); then the room's page again, for
  // everyone when this view writes.
  view.onReload(() => renewSession({ reload: false }).then(() => !disposed && navigation.reload()));
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
      kernel.start();
      useSession(s, { reload: false });
      awareness.setLocalState({ user: s.user, url: "", pointer: null, viewport: myViewport });
      room = new RoomConnection(s.server ?? server, model.get("room"), doc, awareness, {
        onSynced: () => {
          onMode(); // a room that practises: this user's own fields and session
          navigation.roomSynced({ ownRoom: model.get("own_room") });
          sendPrivacy(); // this notebook's rules into the room, once it has the room's
        },
        onStatus: (text) => view.setStatus(text),
        onReconnect: () => {
          slots.forget(); // who came meanwhile knows no name of ours
          renewSession({ reload: false });
        },
        onRefused,
        onLive,
      });
      navigation.roomChanged();
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
    pageActions.destroy();
    agent.destroy();
    frameLinks.destroy();
    shareScroll.cancel();
    followScroll.cancel();
    clearTimeout(settle);
    sharePointer.cancel();
    clearTimeout(rest);
    shareFocus.cancel();
    shareSelection.cancel();
    shareSize.cancel();
    model.off("change:height", onHeight);
    for (const event of privacyEvents) model.off(event, sendPrivacy);
    awareness.off("change", onAwareness);
    scroll.unobserve(onScroll);
    controlMap.unobserve(onControl);
    stepMap.unobserve(showStep);
    modeMap.unobserve(onMode);
    notesMap.unobserve(showNotes);
    privacyMap.unobserve(sendPrivacy);
    requests.unobserve(showControl);
    clearInterval(requestTimer);
    stopFields();
    navigation.destroy();
    kernel.destroy();
    awareness.destroy();
    doc.destroy();
    view.destroy();
  };
}

export default { render };
