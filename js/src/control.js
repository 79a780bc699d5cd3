// Roles and control in the room's Y.Doc (docs/protocol.md, "Roles and control"): free mode
// (everyone drives) or presenter mode (one leads, the others follow). The room hub enforces who
// may change what; this is what a participant may do and how they do it. Pure: no DOM.

export const REQUEST_MS = 60_000; // a request for control not granted within this lapses

const roots = (doc) => ({ control: doc.getMap("control"), requests: doc.getMap("requests") });
const text = (value) => (typeof value === "string" ? value : "");

/** {mode, presenter, owner, summons} as the doc holds them (free mode when unset). */
export function readControl(doc) {
  const { control } = roots(doc);
  const mode = control.get("mode") === "presenter" ? "presenter" : "free";
  const presenter = text(control.get("presenter"));
  return {
    presenting: mode === "presenter" && presenter !== "",
    presenter,
    owner: text(control.get("owner")),
    summons: Number(control.get("summons") ?? 0),
  };
}

/** Who asks for control now (usernames, oldest first), at time `now` (ms since the epoch). */
export function openRequests(doc, now) {
  const asks = [];
  roots(doc).requests.forEach((at, user) => {
    if (typeof at === "number" && now - at < REQUEST_MS) asks.push([at, user]);
  });
  return asks.sort((a, b) => a[0] - b[0]).map(([, user]) => user);
}

/** What `me` may do in the room as it is: {drive, lead, own, follow}. */
export function roleOf(doc, me) {
  const { presenting, presenter, owner } = readControl(doc);
  return {
    drive: !presenting || presenter === me, // navigate and scroll the room
    lead: presenting && presenter === me,
    own: presenting && owner === me,
    follow: presenting && presenter !== me,
  };
}

/** Whether others follow what the participant whose server-stamped presence `user` is does
 * live (scrolling, a click on a tab): not a reader's, and in presenter mode only the
 * presenter's. The room enforces this for the doc; each view, for presence. */
export function leads(doc, user) {
  if (!user || user.reader === true) return false;
  const { presenting, presenter } = readControl(doc);
  return !presenting || user.username === presenter;
}

const setControl = (doc, fields) =>
  doc.transact(() => {
    const { control } = roots(doc);
    for (const [key, value] of Object.entries(fields)) control.set(key, value);
  });

/** `me` starts presenting: everyone else follows. */
export const present = (doc, me) =>
  setControl(doc, { mode: "presenter", presenter: me, owner: me });

/** The owner ends presenting: everyone drives again. */
export const stopPresenting = (doc) => setControl(doc, { mode: "free", presenter: "", owner: "" });

/** The owner gives the lead to `user` (and their request is done), or takes it back. */
export function grant(doc, user) {
  doc.transact(() => {
    setControl(doc, { presenter: user });
    roots(doc).requests.delete(user);
  });
}

/** A presenter given the lead hands it back to the owner. */
export const handBack = (doc) => setControl(doc, { presenter: readControl(doc).owner });

/** The presenter brings everyone who stopped following back to their page and place. */
export const summon = (doc) => setControl(doc, { summons: readControl(doc).summons + 1 });

/** `me` asks for control (at `now`), or withdraws; the owner declines `user`'s request. */
export const ask = (doc, me, now) => roots(doc).requests.set(me, now);
export const withdraw = (doc, user) => roots(doc).requests.delete(user);
