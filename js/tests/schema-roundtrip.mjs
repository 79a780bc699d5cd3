// Reads a Y.Doc update (v1, base64 on stdin) with schema.js, navigates, and prints what it saw
// plus its own update for the Python side to read (tests/test_schema_crosslang.py).
import * as Y from "yjs";
import * as fields from "../src/fields.js";
import * as schema from "../src/schema.js";

const input = JSON.parse(
  await new Promise((resolve) => {
    let text = "";
    process.stdin.on("data", (chunk) => (text += chunk));
    process.stdin.on("end", () => resolve(text));
  }),
);
const doc = new Y.Doc();
Y.applyUpdate(doc, Buffer.from(input.update, "base64"));
const seen = {
  url: schema.currentUrl(doc),
  index: schema.historyIndex(doc),
  history: schema.roots(doc).history.toArray(),
};
for (const url of input.navigate) schema.navigate(doc, url);
if (input.back) schema.go(doc, -1);
schema.setScroll(doc, schema.currentUrl(doc), { locator: null, ratio: 0.5, fraction: 0.25 });
for (const edit of input.fields ?? [])
  fields.applyEdit(doc, schema.currentUrl(doc), edit, null, edit.owner ?? null);
process.stdout.write(
  JSON.stringify({ seen, update: Buffer.from(Y.encodeStateAsUpdate(doc)).toString("base64") }),
);
