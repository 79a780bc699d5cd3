// Live presence payloads (docs/protocol.md, "Live presence"): a moving pointer or a scroll costs a
// few bytes, not a whole awareness state. Positions are fractions in ten-thousandths; the locator of an
// element is named once, under a slot number its later moves refer to.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

export const SLOTS = 64; // element names one participant keeps for each receiver
const GONE = 2; // the pointer left the page
// What moves live: its kind without and with a name, and its fractions.
const KINDS = {
  pointer: { at: 0, named: 1, fractions: ["rx", "ry", "fx", "fy"] },
  scroll: { at: 3, named: 4, fractions: ["ratio", "fraction"] }, // a ScrollAnchor
};
const SCALE = 1e4;

const toUnit = (fraction) =>
  Number.isFinite(fraction) ? Math.round(Math.min(1, Math.max(0, fraction)) * SCALE) : 0;
const fromUnit = (decoder) => Math.min(SCALE, decoding.readVarUint(decoder)) / SCALE;

function payload(what, position, slot, named) {
  const encoder = encoding.createEncoder();
  const kind = KINDS[what];
  encoding.writeVarUint(encoder, named ? kind.named : kind.at);
  encoding.writeVarUint(encoder, slot);
  for (const key of kind.fractions) encoding.writeVarUint(encoder, toUnit(position[key]));
  if (named) encoding.writeVarString(encoder, JSON.stringify(position.locator));
  return encoding.toUint8Array(encoder);
}

/** The payload for `pointer` (a PointerPosition, or null once it left) over the element named in
 * `slot`, naming it there first when `named`. */
export const pointerPayload = (pointer, slot = 0, named = false) =>
  pointer === null ? new Uint8Array([GONE]) : payload("pointer", pointer, slot, named);

/** The payload for a scroll to `anchor` (a ScrollAnchor), as for a pointer. */
export const scrollPayload = (anchor, slot = 0, named = false) =>
  payload("scroll", anchor, slot, named);

/** What a payload from a peer says: `{pointer, slot}` or `{scroll, slot}` (the fractions; pointer
 * null: it left), with `locator` when it names the slot's element (the parsed JSON, unchecked:
 * the agent link checks what reaches the page); null for anything malformed. */
export function readPayload(bytes) {
  try {
    const decoder = decoding.createDecoder(bytes);
    const kind = decoding.readVarUint(decoder);
    if (kind === GONE) return decoding.hasContent(decoder) ? null : { pointer: null };
    const what = Object.keys(KINDS).find((k) => [KINDS[k].at, KINDS[k].named].includes(kind));
    if (!what) return null;
    const slot = decoding.readVarUint(decoder);
    const position = {};
    for (const key of KINDS[what].fractions) position[key] = fromUnit(decoder);
    const message = { [what]: position, slot };
    if (kind === KINDS[what].named) message.locator = JSON.parse(decoding.readVarString(decoder));
    return slot >= SLOTS || decoding.hasContent(decoder) ? null : message;
  } catch {
    return null;
  }
}

/** The sender's side of element names: `slotOf(key)` is `{slot, named}`, the slot for the
 * element `key` (a locator's JSON) and whether it must be named there (a new element takes the
 * slot used longest ago); `forget()` when receivers may not know the names (someone joined). */
export function nameSlots() {
  let slots = new Map(); // key -> slot, the most recently used last
  return {
    slotOf(key) {
      let slot = slots.get(key);
      const named = slot === undefined;
      if (named) {
        slot = slots.size < SLOTS ? slots.size : slots.values().next().value;
        if (slots.size >= SLOTS) slots.delete(slots.keys().next().value);
      } else slots.delete(key);
      slots.set(key, slot);
      return { slot, named };
    },
    forget() {
      slots = new Map();
    },
  };
}
