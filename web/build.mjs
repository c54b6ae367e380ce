// Bundles the browser assets into ../app/static, which is committed so that the service runs
// without npm. The output must be byte-for-byte reproducible: `.ci/web` rebuilds and compares.
//
// Beside the bundles it writes `persisted-documents.json`: every GraphQL operation the
// dashboard and the counter's page can send, as graphql-codegen's client preset writes its
// persisted documents (an object from the SHA-256 of a document's text, in hex, to the text).
// The service trusts these documents (`app/persisted.py`), so the pages keep working with
// TRUSTED_DOCUMENTS=only; the pages send them by that hash (Apollo's APQ extension).
import { createHash } from "node:crypto";
import { copyFile, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

import * as esbuild from "esbuild";
import { Kind, parse } from "graphql";

const here = dirname(fileURLToPath(import.meta.url));
// `.ci/web` builds into a temporary folder (WEB_OUT_DIR) and compares it with the committed one.
const outdir = process.env.WEB_OUT_DIR ?? join(here, "..", "app", "static");

// Each page: its bundled script (with the style sheets it imports) and its HTML.
const pages = ["graphiql", "dashboard", "counter"];
// The pages whose operations are trusted documents. GraphiQL sends whatever is typed into it.
const trustedPages = ["dashboard", "counter"];

await rm(outdir, { recursive: true, force: true });
const { metafile } = await esbuild.build({
  entryPoints: pages.map((page) => ({
    in: join(here, "src", page, `${page}.js`),
    out: join(page, page),
  })),
  absWorkingDir: here,
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
  // Which modules each page is made of: where its operations are read from.
  metafile: true,
});
for (const page of pages) {
  await mkdir(join(outdir, page), { recursive: true });
  await copyFile(join(here, "src", page, "index.html"), join(outdir, page, "index.html"));
}
await writeFile(join(outdir, "persisted-documents.json"), await persistedDocuments(metafile));

// --- The pages' operations -------------------------------------------------------------------
//
// The pages write each operation as a template literal that starts with `query`, `mutation`
// or `subscription`, composed of other module-level constants with `${NAME}` (fields shared
// by several operations), and pass it (or a constant holding it) to `graphql()` or a
// subscription. Each module of a page is scanned for its template literals (past comments,
// strings and regular expressions), `${NAME}` resolved through the module's constants and its
// imports, and every operation parsed. Anything that cannot be made exact fails the build: an
// operation built at run time could not be trusted.

async function persistedDocuments(metafile) {
  const modules = new Map();
  for (const [output, { entryPoint }] of Object.entries(metafile.outputs)) {
    if (!entryPoint || !trustedPages.some((page) => entryPoint === `src/${page}/${page}.js`))
      continue;
    for (const input of Object.keys(metafile.outputs[output].inputs)) {
      if (input.startsWith("src/") && input.endsWith(".js") && !modules.has(input)) {
        modules.set(input, scanModule(input, await readFile(join(here, input), "utf8")));
      }
    }
  }
  const documents = {};
  for (const module of [...modules.values()].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    for (const template of module.templates) {
      if (!/^\s*(query|mutation|subscription)\b/.test(template.quasis[0])) continue;
      const text = valueOf(modules, module, template, []);
      const operations = parseOperation(text, where(module, template)).definitions.filter(
        (definition) => definition.kind === Kind.OPERATION_DEFINITION,
      );
      if (operations.length !== 1)
        fail(where(module, template), "one operation per document (the pages send no name)");
      documents[createHash("sha256").update(text, "utf8").digest("hex")] = text;
    }
    checkCalls(modules, module);
  }
  const sorted = Object.fromEntries(Object.entries(documents).sort(([a], [b]) => (a < b ? -1 : 1)));
  return `${JSON.stringify(sorted, null, 2)}\n`;
}

function parseOperation(text, place) {
  try {
    return parse(text);
  } catch (error) {
    fail(place, `not a GraphQL document: ${error.message}`);
  }
}

// Every `graphql(X)` sends an operation of the manifest: X a template literal or a constant
// holding one (`operations.…` in the shared login form is the page's own constants).
function checkCalls(modules, module) {
  for (const match of module.code.matchAll(/(?<!function\s*)\bgraphql\(\s*([\w$.]+)/g)) {
    const argument = match[1];
    if (argument.startsWith("operations.")) continue;
    const template = /^__T(\d+)__$/.test(argument)
      ? module.templates[Number(argument.slice(3, -2))]
      : constantOf(modules, module, argument);
    if (!template || !/^\s*(query|mutation|subscription)\b/.test(template.quasis[0]))
      fail(`${module.path}`, `graphql(${argument}) sends no operation the build can read`);
  }
}

function valueOf(modules, module, template, seen) {
  const key = `${module.path}#${template.index}`;
  if (seen.includes(key)) fail(where(module, template), "a constant that includes itself");
  let text = template.quasis[0];
  template.expressions.forEach((expression, i) => {
    const name = expression.trim();
    const found = /^[A-Za-z_$][\w$]*$/.test(name) && constantOf(modules, module, name, true);
    if (!found) fail(where(module, template), `\${${name}} is not a constant the build can read`);
    text += valueOf(modules, found.module, found.template, [...seen, key]) + template.quasis[i + 1];
  });
  return text;
}

// The template literal a module-level constant `name` of `module` holds, its own or imported.
function constantOf(modules, module, name, withModule = false) {
  let owner = module;
  let exported = name;
  if (!module.constants.has(name) && module.imports.has(name)) {
    const imported = module.imports.get(name);
    owner = modules.get(imported.path);
    exported = imported.name;
  }
  const index = owner?.constants.get(exported);
  if (index === undefined) return null;
  if (index === null) fail(owner.path, `${exported} is declared more than once`);
  const template = owner.templates[index];
  return withModule ? { module: owner, template } : template;
}

function where(module, template) {
  return `${module.path}:${template.line}`;
}

function fail(place, reason) {
  throw new Error(`persisted documents: ${place}: ${reason}`);
}

// A module's template literals (their cooked static parts and the source of each `${…}`), its
// `const NAME = \`…\`` declarations and its named imports. `code` is the source with comments
// gone, regular expressions emptied and each template literal as `__T<index>__`.
function scanModule(path, source) {
  const templates = [];
  const { code, end } = scanCode(source, 0, false, templates);
  if (end !== source.length) fail(path, "unbalanced braces");
  const constants = new Map();
  for (const match of code.matchAll(/\bconst\s+([A-Za-z_$][\w$]*)\s*=\s*__T(\d+)__\s*[;\n]/g)) {
    constants.set(match[1], constants.has(match[1]) ? null : Number(match[2]));
  }
  const imports = new Map();
  for (const match of code.matchAll(/\bimport\s*\{([^}]*)\}\s*from\s*(["'])([^"']+)\2/g)) {
    if (!match[3].startsWith(".")) continue;
    const target = relative(here, resolve(here, dirname(path), match[3]));
    for (const binding of match[1].split(",")) {
      const [name, local = name] = binding.trim().split(/\s+as\s+/);
      if (name) imports.set(local, { path: target, name });
    }
  }
  for (const template of templates) {
    template.line = source.slice(0, template.start).split("\n").length;
  }
  return { path, code, templates, constants, imports };
}

// JavaScript from `i` up to the end, or up to the `}` that closes a `${` (`inExpression`).
function scanCode(source, i, inExpression, templates) {
  let code = "";
  let depth = 0;
  let previous = ""; // the last significant character or word, to tell a regex from a division
  while (i < source.length) {
    const c = source[i];
    const next = source[i + 1];
    if (c === "/" && next === "/") {
      const lineEnd = source.indexOf("\n", i);
      i = lineEnd === -1 ? source.length : lineEnd;
    } else if (c === "/" && next === "*") {
      const close = source.indexOf("*/", i + 2);
      if (close === -1) fail("source", "unclosed comment");
      i = close + 2;
      code += " ";
    } else if (c === "'" || c === '"') {
      const close = stringEnd(source, i, c);
      code += source.slice(i, close);
      i = close;
      previous = "x";
    } else if (c === "`") {
      const template = scanTemplate(source, i, templates);
      code += `__T${template.index}__`;
      i = template.end;
      previous = "x";
    } else if (c === "/" && startsRegex(previous)) {
      i = regexEnd(source, i);
      code += "/r/";
      previous = "x";
    } else if (/\s/.test(c)) {
      code += c;
      i += 1;
    } else if (/[\w$]/.test(c)) {
      const word = /^[\w$]+/.exec(source.slice(i, i + 200))[0];
      code += word;
      i += word.length;
      previous = word;
    } else {
      if (c === "{") depth += 1;
      if (c === "}") {
        if (depth === 0 && inExpression) return { code, end: i };
        depth -= 1;
      }
      code += c;
      i += 1;
      previous = c;
    }
  }
  if (inExpression) fail("source", "unclosed ${ in a template literal");
  return { code, end: i };
}

// A `/` starts a regular expression unless it follows a value (a name, a number, `)`, `]` or
// `}`); after these words it starts one too.
function startsRegex(previous) {
  if (/^(return|typeof|case|do|else|in|of|new|delete|void|throw|yield|await)$/.test(previous))
    return true;
  return !/[\w$)\]}]$/.test(previous);
}

function stringEnd(source, i, quote) {
  for (let j = i + 1; j < source.length; j += 1) {
    if (source[j] === "\\") j += 1;
    else if (source[j] === quote) return j + 1;
    else if (source[j] === "\n") break;
  }
  fail("source", "unclosed string");
}

function regexEnd(source, i) {
  let inClass = false;
  for (let j = i + 1; j < source.length; j += 1) {
    const c = source[j];
    if (c === "\\") j += 1;
    else if (c === "[") inClass = true;
    else if (c === "]") inClass = false;
    else if (c === "/" && !inClass) return j + 1 + /^[a-z]*/.exec(source.slice(j + 1))[0].length;
    else if (c === "\n") break;
  }
  fail("source", "unclosed regular expression");
}

function scanTemplate(source, start, templates) {
  const template = { index: templates.length, start, quasis: [], expressions: [] };
  templates.push(template);
  let raw = "";
  let i = start + 1;
  while (i < source.length) {
    const c = source[i];
    if (c === "\\") {
      raw += source.slice(i, i + 2);
      i += 2;
    } else if (c === "`") {
      template.quasis.push(cook(raw));
      template.end = i + 1;
      return template;
    } else if (c === "$" && source[i + 1] === "{") {
      template.quasis.push(cook(raw));
      raw = "";
      const expression = scanCode(source, i + 2, true, templates);
      template.expressions.push(source.slice(i + 2, expression.end));
      i = expression.end + 1;
    } else {
      raw += c;
      i += 1;
    }
  }
  fail("source", "unclosed template literal");
}

// The value of a template literal's static part, escapes and all, as JavaScript makes it.
function cook(raw) {
  return new Function(`return \`${raw}\`;`)();
}
