// Bundles the widget (ESM for anywidget) and the agent (classic script injected into proxied pages).
import * as esbuild from "esbuild";

const watch = process.argv.includes("--watch");
const common = {
  bundle: true,
  loader: { ".css": "text" },
  minify: !watch,
  sourcemap: false,
  target: "es2020",
  charset: "ascii", // the agent goes into pages of any encoding: non-ASCII is escaped
  logLevel: "info",
};
const builds = [
  {
    ...common,
    entryPoints: ["src/widget.js"],
    outfile: "../cobrowse_widget/static/widget.js",
    format: "esm",
  },
  {
    ...common,
    entryPoints: ["src/agent/index.js"],
    outfile: "../jupyter_ext/static/agent.js",
    format: "iife",
  },
];

for (const options of builds) {
  if (watch) {
    await (await esbuild.context(options)).watch();
  } else {
    await esbuild.build(options);
  }
}
