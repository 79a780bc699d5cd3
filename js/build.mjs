// Bundles the widget (ESM for anywidget) and the agent (classic script injected into proxied
// pages). `import text from "bundle:./x.js"` gives the agent x.js bundled on its own as an IIFE,
// as a string: the worker runtime, which the agent starts workers with.
import path from "node:path";
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

const bundleAsText = {
  name: "bundle-as-text",
  setup(build) {
    build.onResolve({ filter: /^bundle:/ }, (args) => ({
      path: path.resolve(args.resolveDir, args.path.slice("bundle:".length)),
      namespace: "bundle",
    }));
    build.onLoad({ filter: /.*/, namespace: "bundle" }, async (args) => {
      const result = await esbuild.build({
        ...common,
        entryPoints: [args.path],
        format: "iife",
        write: false,
        metafile: true,
        logLevel: "silent",
      });
      return {
        contents: result.outputFiles[0].text,
        loader: "text",
        watchFiles: Object.keys(result.metafile.inputs).map((file) => path.resolve(file)),
      };
    });
  },
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
    plugins: [bundleAsText],
  },
];

for (const options of builds) {
  if (watch) {
    await (await esbuild.context(options)).watch();
  } else {
    await esbuild.build(options);
  }
}
