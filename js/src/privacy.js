// The room's privacy rules (docs/protocol.md, "Privacy"): each participant's notebook rules go
// into the `privacy` map under their username, and every view applies all of them, so a
// teacher's rules hold on the students' pages too. Rules only ever add privacy: any rule-set's
// private selectors are private for everyone, and when any makes every field private, a field
// stays shared only if every such rule-set shares it.
import { MAX_SELECTORS } from "./protocol/limits.js";

export const privacyOf = (doc) => doc.getMap("privacy");

const isRules = (value) =>
  Array.isArray(value?.private) &&
  Array.isArray(value?.shared) &&
  typeof value?.all === "boolean" &&
  [...value.private, ...value.shared].every((s) => typeof s === "string");

/** Put `username`'s rules (`{private, all, shared}`) into the room, unless they are there. */
export function publish(doc, username, rules) {
  const map = privacyOf(doc);
  if (JSON.stringify(map.get(username)) !== JSON.stringify(rules)) map.set(username, rules);
}

/** The rules to apply on this participant's pages: their own, and every well-formed rule-set in
 * the room; `{selectors, shared, all}` as the agent takes them (more private selectors than it
 * takes make every field private). */
export function effectiveRules(doc, own) {
  const sets = [own];
  for (const rules of privacyOf(doc).values()) if (isRules(rules)) sets.push(rules);
  const selectors = [...new Set(sets.flatMap((rules) => rules.private))];
  const strict = sets.filter((rules) => rules.all);
  const shared = strict.length
    ? strict.map((rules) => rules.shared).reduce((a, b) => a.filter((s) => b.includes(s)))
    : [];
  if (selectors.length > MAX_SELECTORS) return { selectors: [], shared: [], all: true }; // too many: all
  return { selectors, shared, all: strict.length > 0 };
}
