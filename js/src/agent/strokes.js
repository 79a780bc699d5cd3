// Freehand strokes. While this user draws, a layer over the page takes the pointer (the page sees
// no click, selects no text): each drag of theirs is drawn as it goes and reported when it ends,
// anchored to the element under its start. Others' strokes are drawn in their colour, kept on
// that element as the page scrolls and reflows, and scaled with its width.
import { anchorAt, anchorPoint } from "./anchored.js";
import { overlay, overlayMarks } from "./overlay.js";
import { elementAt, positionOn } from "./pointers.js";
import { simplify } from "./simplify.js";
import * as n from "./natives.js";
import { MAX_STROKE_SPAN } from "../protocol/limits.js";

const SVG = "http://www.w3.org/2000/svg";
const MIN_STEP = 3; // CSS pixels a point must lie from the last one kept while drawing
const MAX_DRAG = 20000; // points one drag keeps before it is simplified

const clampSpan = (value) => Math.min(MAX_STROKE_SPAN, Math.max(-MAX_STROKE_SPAN, value));
/** An element's width as a stroke on it records it (and measures it again to scale). */
const widthOf = (box) => Math.min(MAX_STROKE_SPAN, Math.max(1, Math.round(box.width)));

function polyline(className) {
  const svg = document.createElementNS(SVG, "svg");
  if (className) n.setAttribute(svg, "class", className);
  const line = document.createElementNS(SVG, "polyline");
  svg.append(line);
  return [svg, line];
}

const pointsText = (points) => points.map(([x, y]) => `${x},${y}`).join(" ");

/** Reports each stroke this user draws while drawing is on with `send({at, width, path})`: `at`
 * the PointerPosition of its start, `width` its element's, `path` the points from the start
 * (docs/protocol.md, "Notes"). Returns `setDrawing(on, color)` (this user's colour). */
export function trackStrokes({ send, describe }) {
  let layer = null;
  let line = null; // the stroke under way, drawn in the layer
  let drag = null; // {at, width, points}: points in document pixels, the start first
  const show = () => {
    const points = drag ? drag.points.map(([x, y]) => [x - scrollX, y - scrollY]) : [];
    n.setAttribute(line, "points", pointsText(points));
  };
  const down = (event) => {
    if (!n.isTrusted(event) || event.button !== 0 || drag) return;
    layer.setPointerCapture(event.pointerId);
    const [x, y] = [event.clientX, event.clientY];
    const element = elementAt(x, y);
    drag = {
      at: positionOn(element, x, y, describe),
      width: element ? widthOf(element.getBoundingClientRect()) : 1,
      points: [[x + scrollX, y + scrollY]],
    };
  };
  const move = (event) => {
    if (!drag || !n.isTrusted(event) || drag.points.length >= MAX_DRAG) return;
    const [x, y] = [event.clientX + scrollX, event.clientY + scrollY];
    const [lastX, lastY] = drag.points[drag.points.length - 1];
    if (Math.hypot(x - lastX, y - lastY) < MIN_STEP) return;
    drag.points.push([x, y]);
    show();
  };
  const end = (event) => {
    if (!drag || !n.isTrusted(event)) return;
    const { at, width, points } = drag;
    drag = null;
    show();
    if (event.type !== "pointerup" || points.length < 2) return; // cancelled, or a click
    const [x0, y0] = points[0];
    const path = simplify(points).flatMap(([x, y]) => [
      clampSpan(Math.round(x - x0)),
      clampSpan(Math.round(y - y0)),
    ]);
    send({ at, width, path });
  };
  return function setDrawing(on, color) {
    if (!layer && on) {
      layer = document.createElement("div");
      layer.className = "drawing";
      const [svg, drawn] = polyline("");
      line = drawn;
      layer.append(svg);
      n.listen(layer, "pointerdown", down);
      n.listen(layer, "pointermove", move);
      n.listen(layer, "pointerup", end);
      n.listen(layer, "pointercancel", end);
    }
    if (!layer) return;
    overlay()[1].append(layer); // put back if a page script removed the overlay
    layer.hidden = !on;
    layer.style.setProperty("--color", color);
  };
}

/** Returns `draw(marks)`: others' strokes on this page ({id, color, at, width, path}, checked). */
export function remoteStrokes(resolve) {
  return overlayMarks({
    make() {
      const [node, line] = polyline("stroke");
      return { node, line, key: "", element: null, at: null, scale: 0 };
    },
    update(entry, { color, at, width, path }) {
      anchorAt(entry, at, resolve);
      Object.assign(entry, { width, path, scale: 0 }); // its points are set again when placed
      entry.node.style.setProperty("--color", color);
    },
    place(entry, origin) {
      const { x, y, box } = anchorPoint(entry);
      const scale = box ? widthOf(box) / entry.width : 1; // not on this page: as it was drawn
      if (scale !== entry.scale) {
        entry.scale = scale;
        const points = [];
        for (let i = 0; i < entry.path.length; i += 2)
          points.push(
            [entry.path[i], entry.path[i + 1]].map((v) => Math.round(v * scale * 10) / 10),
          );
        n.setAttribute(entry.line, "points", pointsText(points));
      }
      entry.node.style.transform = `translate(${x - origin.left}px, ${y - origin.top}px)`;
    },
  });
}
