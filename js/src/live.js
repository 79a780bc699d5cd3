// Live presence payloads (docs/protocol.md, "Live presence"): a moving pointer costs a few bytes,
// not a whole awareness state. Positions are fractions in ten-thousandths; the locator of an
// element is named once, under a slot number its later moves refer to.
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";

export const SLOTS = 64; // element names one participant's pointer keeps for each receiver
const POINTER = 0; // slot, fractions
const POINTER_ON = 1; // slot, fractions, then the locator (JSON) the slot names from now on
const POINTER_GONE = 2; // the pointer left the page
const SCALE = 1e4;

const toUnit = (fraction) =>
  Number.isFinite(fraction) ? Math.round(Math.min(1, Math.max(0, fraction)) * SCALE) : 0;
const fromUnit = (decoder) => Math.min(SCALE, decoding.readVarUint(decoder)) / SCALE;

/** The payload for `pointer` (a PointerPosition, or null once it left) over the element named in
 * `slot`, naming it there first when `named`. */
export function pointerPayload(pointer, slot = 0, named = false) {
  const encoder = encoding.createEncoder();
  if (pointer === null) {
    encoding.writeVarUint(encoder, POINTER_GONE);
    return encoding.toUint8Array(encoder);
  }
  encoding.writeVarUint(encoder, named ? POINTER_ON : POINTER);
  encoding.writeVarUint(encoder, slot);
  for (const key of ["rx", "ry", "fx", "fy"]) encoding.writeVarUint(encoder, toUnit(pointer[key]));
  if (named) encoding.writeVarString(encoder, JSON.stringify(pointer.locator));
  return encoding.toUint8Array(encoder);
}

/** `{pointer, slot}` of a payload from a peer (pointer null: it left), with `locator` when it
 * names the slot's element (the parsed JSON, unchecked: the agent link checks what reaches the
 * page); null for anything malformed. */
export function readPayload(payload) {
  try {
    const decoder = decoding.createDecoder(payload);
    const kind = decoding.readVarUint(decoder);
    if (kind === POINTER_GONE) return decoding.hasContent(decoder) ? null : { pointer: null };
    if (kind !== POINTER && kind !== POINTER_ON) return null;
    const slot = decoding.readVarUint(decoder);
    const [rx, ry, fx, fy] = [0, 1, 2, 3].map(() => fromUnit(decoder));
    const message = { pointer: { rx, ry, fx, fy }, slot };
    if (kind === POINTER_ON) message.locator = JSON.parse(decoding.readVarString(decoder));
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
