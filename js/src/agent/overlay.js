// The room's pointers, drawn over the page in a closed shadow-DOM overlay that page CSS cannot
// restyle, page scripts cannot read (others' names and pointers) and that never takes clicks.
// Everything drawn comes from peers: names are set as text only.
import { scroller } from "./layout.js";
import { attachShadow, setText } from "./natives.js";

const SVG = "http://www.w3.org/2000/svg";
const ARROW = "M1 1 L1 17 L5.5 12.5 L8.5 19 L11 18 L8 11.5 L14 11.5 Z";
const MISSING = " (pointing at something not on your page)";
// A pointer outside the viewport is drawn at its edge, with an arrow towards it.
const EDGE = 4;
const SIDES = { above: " \u2191", below: " \u2193", left: " \u2190", right: " \u2192" };
// Milliseconds of locator resolution one frame may spend (one resolution always runs): peers
// choose the locators, and a miss on a large page scans thousands of elements.
const RESOLVE_MS = 8;
const FRAME_MS = 16;
const RIPPLE_MS = 700;
const HOST_STYLE = `all: initial !important; display: block !important; position: absolute !important;
  left: 0 !important; top: 0 !important; width: 0 !important; height: 0 !important;
  overflow: visible !important; pointer-events: none !important; z-index: 2147483647 !important;`;
const STYLE = `
  .cursor { position: absolute; left: 0; top: 0; color: var(--color); }
  svg { display: block; width: 16px; height: 20px; overflow: visible;
    filter: drop-shadow(0 1px 1px rgb(0 0 0 / 0.35)); }
  path { fill: currentColor; stroke: #fff; stroke-width: 1.5; stroke-linejoin: round; }
  .cobrowse-pointer { position: absolute; left: 14px; top: 18px; max-width: 32em; overflow: hidden;
    padding: 2px 6px; border-radius: 4px; background: var(--color); color: #fff;
    font: 12px/1.3 system-ui, sans-serif; white-space: nowrap; text-overflow: ellipsis;
    text-shadow: 0 0 2px rgb(0 0 0 / 0.6); }
  .missing { opacity: 0.6; }
  .missing path { fill: #fff; stroke: currentColor; stroke-dasharray: 3 2; }
  .missing .cobrowse-pointer { background: #fff; color: var(--color); border: 1px dashed var(--color);
    text-shadow: none; }
  .ripple { position: absolute; left: -14px; top: -14px; width: 28px; height: 28px;
    border-radius: 50%; border: 3px solid var(--ripple, #e8590c); opacity: 0;
    animation: ripple 700ms ease-out; }
  @keyframes ripple { from { opacity: 0.9; scale: 0.3; } to { opacity: 0; scale: 1.6; } }
  .focus { position: absolute; left: 0; top: 0; box-sizing: border-box; border-radius: 3px;
    border: 2px solid var(--color); }
  .focus span { position: absolute; left: -2px; bottom: 100%; padding: 0 4px; border-radius: 3px 3px 0 0;
    background: var(--color); color: #fff; font: 11px/1.4 system-ui, sans-serif; white-space: nowrap; }
  .highlight { border-width: 3px; box-shadow: 0 0 0 4px color-mix(in srgb, var(--color) 25%, transparent); }
  /* at the box's other corner from a focus label: both show when someone is in a highlighted field */
  .highlight span { left: auto; right: -3px; font-size: 12px; max-width: 32em; overflow: hidden;
    text-overflow: ellipsis; }
  .selection { position: absolute; left: 0; top: 0; }
  .selection div { position: absolute; left: 0; top: 0; background: var(--color); opacity: 0.28;
    border-radius: 2px; }
  .selection span { position: absolute; left: 0; top: 0; padding: 0 4px; border-radius: 3px;
    background: var(--color); color: #fff; font: 11px/1.4 system-ui, sans-serif; white-space: nowrap;
    transform: translateY(-100%); }
  .note { position: absolute; left: 0; top: 0; }
  .note::before { content: ""; position: absolute; left: -6px; top: -6px; width: 12px; height: 12px;
    border-radius: 50%; background: var(--color); border: 2px solid #fff;
    box-shadow: 0 1px 3px rgb(0 0 0 / 0.4); }
  .note span { position: absolute; left: 10px; top: -10px; width: max-content; max-width: 22em;
    padding: 3px 7px;
    border-radius: 6px; border-left: 4px solid var(--color); background: #fffbe6; color: #222;
    font: 12px/1.35 system-ui, sans-serif; white-space: pre-wrap; overflow-wrap: anywhere;
    box-shadow: 0 1px 4px rgb(0 0 0 / 0.3); }
  svg.stroke { position: absolute; left: 0; top: 0; width: 1px; height: 1px; }
  .stroke polyline, .drawing polyline { fill: none; stroke: var(--color, #e8590c); stroke-width: 3;
    stroke-linecap: round; stroke-linejoin: round; }
  .drawing { position: fixed; inset: 0; pointer-events: auto; cursor: crosshair;
    touch-action: none; }
  .drawing svg { width: 100%; height: 100%; filter: none; }
  .offscreen svg { display: none; }
  .offscreen .cobrowse-pointer { left: 0; top: 0; }
  .offscreen.right .cobrowse-pointer { transform: translateX(-100%); }
  .offscreen.below .cobrowse-pointer { transform: translateY(-100%); }
`;

/** Returns `draw(pointers)`, which replaces the drawn set with `pointers` (already validated). */
export function remotePointers(resolve, onClick = () => {}) {
  let host = null;
  let shadow = null;
  const drawn = new Map(); // id -> {cursor, label, pointer, key, element}

  let deadline = 0; // this frame's resolution budget ends at this performance.now()
  let behind = false; // a pointer waits for the next frame's budget
  const place = (entry, first) => {
    const { pointer } = entry;
    const key = JSON.stringify(pointer.locator);
    if (key !== entry.key || !entry.element?.isConnected) {
      if (first || performance.now() < deadline) {
        entry.key = key;
        entry.element = pointer.locator && resolve(pointer.locator);
      } else {
        behind = true; // drawn where its last element was, for now
      }
    }
    const origin = host.getBoundingClientRect();
    let x;
    let y;
    const found = entry.element?.getClientRects().length > 0;
    if (found) {
      const box = entry.element.getBoundingClientRect();
      x = box.left + pointer.rx * box.width - origin.left;
      y = box.top + pointer.ry * box.height - origin.top;
    } else {
      const root = scroller();
      x = pointer.fx * root.scrollWidth - window.scrollX - origin.left;
      y = pointer.fy * root.scrollHeight - window.scrollY - origin.top;
    }
    // Where it is in the viewport; off it, the pointer waits at the nearest edge.
    const [vx, vy] = [x + origin.left, y + origin.top];
    const side = sideOf(vx, vy);
    if (side) {
      x = clamp(vx, EDGE, innerWidth - EDGE) - origin.left;
      y = clamp(vy, EDGE, innerHeight - EDGE) - origin.top;
    }
    const { classList } = entry.cursor;
    classList.toggle("missing", !found);
    classList.toggle("offscreen", side !== null);
    for (const name of Object.keys(SIDES)) classList.toggle(name, side === name);
    setText(entry.label, (found ? entry.name : entry.name + MISSING) + (side ? SIDES[side] : ""));
    entry.cursor.style.transform = `translate(${x}px, ${y}px)`;
    if (entry.clicked) {
      entry.clicked = false;
      ripple(shadow, x, y, entry.color);
      if (found && entry.replay) onClick(entry.element);
    }
  };

  let frame = 0;
  let placed = -Infinity; // when the pointers were last placed
  let start = 0; // where the next frame starts resolving: every pointer gets its turn
  const placeAll = () => {
    frame = 0;
    placed = performance.now();
    behind = false;
    deadline = performance.now() + RESOLVE_MS;
    const entries = [...drawn.values()];
    start = entries.length ? start % entries.length : 0;
    entries.forEach((_, i) => place(entries[(start + i) % entries.length], i === 0));
    start += 1;
    if (behind) schedule();
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(placeAll);
  };

  return function draw(pointers) {
    if (!host) {
      [host, shadow] = overlay();
      addEventListener("resize", schedule);
      addEventListener("scroll", schedule, { passive: true }); // edges move with the viewport
      new ResizeObserver(schedule).observe(document.body ?? document.documentElement);
    }
    overlay(); // put back if a page script removed it
    const seen = new Set();
    for (const { id, name, color, pointer, click, replay } of pointers) {
      seen.add(id);
      let entry = drawn.get(id);
      if (!entry) {
        entry = { ...createCursor(), click }; // a click made before we saw them is not shown
        shadow.append(entry.cursor);
        drawn.set(id, entry);
      }
      if (click !== entry.click) {
        entry.click = click;
        entry.clicked = true; // a ripple where the pointer is placed next
      }
      entry.name = name;
      entry.pointer = pointer;
      entry.replay = replay;
      entry.cursor.style.setProperty("--color", color);
      entry.color = color;
    }
    // Placed at once when nothing was placed this frame, else on the next frame: the first
    // update shows without waiting for a frame, a burst of them costs one placement a frame.
    if (!frame && performance.now() - placed >= FRAME_MS) placeAll();
    else schedule();
    for (const [id, entry] of drawn) {
      if (seen.has(id)) continue;
      entry.cursor.remove();
      drawn.delete(id);
    }
  };
}

const clamp = (value, low, high) => Math.min(Math.max(value, low), Math.max(low, high));

/** Which side of the viewport the point (viewport coordinates) lies beyond, or null. */
function sideOf(x, y) {
  if (y < 0) return "above";
  if (y > innerHeight) return "below";
  if (x < 0) return "left";
  if (x > innerWidth) return "right";
  return null;
}

/** Draws one mark per participant over the page and keeps it in place as the page scrolls and
 * resizes; returns `draw(marks)` (each `{id, ...}`, checked), which replaces the drawn set.
 * `make()` returns an entry `{node, ...}` for a new participant, `update(entry, mark)` takes
 * their latest mark (resolving its elements when it changed), `place(entry, origin)` positions
 * it (`origin`: the overlay's box). */
export function overlayMarks({ make, update, place }) {
  const drawn = new Map(); // id -> entry
  let frame = 0;
  const placeAll = () => {
    frame = 0;
    const origin = overlay()[0].getBoundingClientRect();
    for (const entry of drawn.values()) place(entry, origin);
  };
  const schedule = () => {
    if (!frame) frame = requestAnimationFrame(placeAll);
  };
  addEventListener("scroll", schedule, { passive: true });
  addEventListener("resize", schedule);
  return function draw(marks) {
    const [, shadow] = overlay();
    const seen = new Set();
    for (const mark of marks) {
      seen.add(mark.id);
      let entry = drawn.get(mark.id);
      if (!entry) {
        entry = make();
        shadow.append(entry.node);
        drawn.set(mark.id, entry);
      }
      update(entry, mark);
    }
    for (const [id, entry] of drawn) {
      if (seen.has(id)) continue;
      entry.node.remove();
      drawn.delete(id);
    }
    schedule();
  };
}

/** A new mark's node: a div of `className` with a label (span) in it. */
export function labelled(className) {
  const node = document.createElement("div");
  node.className = className;
  const label = document.createElement("span");
  node.append(label);
  return { node, label };
}

let shared = null; // [host, shadow]: one overlay for pointers and marks (focus, selections)

/** Whether `node` is the overlay's host (what page events see of anything in it). */
export const isOverlay = (node) => shared !== null && node === shared[0];

/** The overlay's host and closed shadow root, made on first use and kept in the document. */
export function overlay() {
  if (!shared) shared = createHost();
  if (!shared[0].isConnected) document.documentElement.append(shared[0]);
  return shared;
}

function createHost() {
  const host = document.createElement("cobrowse-overlay");
  host.id = "cobrowse-overlay";
  host.style.cssText = HOST_STYLE;
  const style = document.createElement("style");
  style.textContent = STYLE;
  const shadow = attachShadow(host, { __proto__: null, mode: "closed" });
  shadow.append(style);
  return [host, shadow];
}

/** A ring spreading from where someone clicked, in their colour (the cursor's --color). */
function ripple(shadow, x, y, color) {
  const ring = document.createElement("div");
  ring.className = "ripple";
  ring.style.setProperty("--ripple", color); // a checked #rgb or #rrggbb
  ring.style.transform = `translate(${x}px, ${y}px)`;
  shadow.append(ring);
  setTimeout(() => ring.remove(), RIPPLE_MS);
}

function createCursor() {
  const cursor = document.createElement("div");
  cursor.className = "cursor";
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("viewBox", "0 0 16 20");
  const path = document.createElementNS(SVG, "path");
  path.setAttribute("d", ARROW);
  svg.append(path);
  const label = document.createElement("span");
  label.className = "cobrowse-pointer";
  cursor.append(svg, label);
  return { cursor, label };
}
