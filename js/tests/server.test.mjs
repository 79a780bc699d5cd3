// The frame's sandbox comes from the server, and never gives pages an origin of their own.
import assert from "node:assert/strict";
import { test } from "node:test";
import { frameSandbox } from "../src/server.js";

test("the server's flags are used as given", () => {
  assert.equal(
    frameSandbox("allow-scripts allow-forms allow-popups"),
    "allow-scripts allow-forms allow-popups",
  );
});

test("no flag gives the page Jupyter's origin, and nothing else slips in", () => {
  assert.equal(frameSandbox("allow-scripts allow-same-origin"), "allow-scripts");
  assert.equal(frameSandbox('allow-scripts" onload="x'), "");
  assert.equal(frameSandbox(undefined), ""); // an older server: every restriction
  assert.equal(frameSandbox({ toString: () => "allow-same-origin" }), "");
});
