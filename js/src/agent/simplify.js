// A drawn stroke made small enough to share: its points simplified (Ramer-Douglas-Peucker)
// within a tolerance of a pixel, doubled until at most `most` points are left.
import { MAX_STROKE_POINTS } from "../protocol/limits.js";

/** The points of `points` ([[x, y], ...], at least one) that keep the stroke's shape: the first
 * and last always, at most `most` (>= 2) in all. */
export function simplify(points, most = MAX_STROKE_POINTS) {
  let tolerance = 1;
  let kept = reduce(points, tolerance);
  while (kept.length > most) {
    tolerance *= 2;
    kept = reduce(points, tolerance);
  }
  return kept;
}

function reduce(points, tolerance) {
  const last = points.length - 1;
  const keep = new Uint8Array(points.length);
  keep[0] = keep[last] = 1;
  const spans = [[0, last]];
  while (spans.length) {
    const [a, b] = spans.pop();
    let far = -1;
    let worst = tolerance;
    for (let i = a + 1; i < b; i++) {
      const d = distance(points[i], points[a], points[b]);
      if (d > worst) [far, worst] = [i, d];
    }
    if (far >= 0) {
      keep[far] = 1;
      spans.push([a, far], [far, b]);
    }
  }
  return points.filter((_, i) => keep[i]);
}

/** How far `p` lies from the line through `a` and `b` (from `a` when they meet). */
function distance([x, y], [ax, ay], [bx, by]) {
  const [dx, dy] = [bx - ax, by - ay];
  const length = Math.hypot(dx, dy);
  if (!length) return Math.hypot(x - ax, y - ay);
  return Math.abs(dy * (x - ax) - dx * (y - ay)) / length;
}
