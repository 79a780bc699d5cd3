// One edit of a text field, as the agent sees it (the field's value before and after an input
// event), and how it moves onto a text that changed meanwhile. Shared by both bundles: the widget
// rebases a participant's edit onto the room's Y.Text, the agent rebases edits the widget has not
// yet acknowledged onto the room's value, and both move carets the same way.

/** The single change turning `before` into `after`: `{at, remove, insert}` (common prefix and
 * suffix kept; the suffix never overlaps the prefix). */
export function textDiff(before, after) {
  const most = Math.min(before.length, after.length);
  let start = 0;
  while (start < most && before.charCodeAt(start) === after.charCodeAt(start)) start++;
  let end = 0;
  while (
    end < most - start &&
    before.charCodeAt(before.length - 1 - end) === after.charCodeAt(after.length - 1 - end)
  ) {
    end++;
  }
  return {
    at: start,
    remove: before.length - start - end,
    insert: after.slice(start, after.length - end),
  };
}

/** Where position `pos` of `before` is in `after` (a caret, or an edit's start). A position
 * inside the changed span goes to the span's end in `after` when `stick` is "end", else to its
 * start; one exactly at its start stays put (text typed there by someone else goes after it). */
export function mapPosition(before, after, pos, stick = "start") {
  const { at, remove, insert } = textDiff(before, after);
  if (pos <= at) return pos;
  if (pos >= at + remove) return pos - remove + insert.length;
  return stick === "end" ? at + insert.length : at;
}

/** The edit `base` -> `edited` made again on `current` (which `base` turned into meanwhile). */
export function rebase(base, edited, current) {
  if (current === base) return edited;
  const { at, remove, insert } = textDiff(base, edited);
  const from = mapPosition(base, current, at);
  const to = Math.max(from, mapPosition(base, current, at + remove, "end"));
  return current.slice(0, from) + insert + current.slice(remove ? to : from);
}
