// Bundles the browser assets into ../app/static, which is committed so that the service runs
// without npm. The output must be byte-for-byte reproducible: `.ci/web` rebuilds and compares.
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";

const here = dirname(fileURLToPath(import.meta.url));
// `.ci/web` builds into a temporary folder (WEB_OUT_DIR) and compares it with the committed one.
const outdir = process.env.WEB_OUT_DIR ?? join(here, "..", "app", "static");

// Each page: its bundled script (with the style sheets it imports) and its HTML.
const pages = ["graphiql", "dashboard", "counter"];

await rm(outdir, { recursive: true, force: true });
await esbuild.build({
  entryPoints: pages.map((page) => ({
    in: join(here, "src", page, `${page}.js`),
    out: join(page, page),
  })),
  outdir,
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  charset: "utf8",
  // Licences of the bundled packages go to `<page>.js.LEGAL.txt` beside each bundle.
  legalComments: "external",
  define: { "process.env.NODE_ENV": '"production"' },
  // The style sheets inline their fonts; nothing is fetched from elsewhere.
  loader: { ".woff": "dataurl", ".woff2": "dataurl", ".ttf": "dataurl", ".svg": "dataurl" },
  logLevel: "warning",
});
for (const page of pages) {
  await mkdir(join(outdir, page), { recursive: true });
  await copyFile(join(here, "src", page, "index.html"), join(outdir, page, "index.html"));
}
