// Observable Framework configuration for the dealledger dashboards.
// A page is one Python page loader in src/ (`<name>.md.py`) that prints Markdown; the sidebar is built
// from the TITLE and ORDER constants in those files, so adding a page means adding one file.
import {readdirSync, readFileSync} from "node:fs";

const root = "src";

function discoverPages() {
  return readdirSync(root)
    .filter((file) => file.endsWith(".md.py") && file !== "index.md.py")
    .map((file) => {
      const source = readFileSync(`${root}/${file}`, "utf8");
      const title = /^TITLE\s*=\s*"([^"]+)"/m.exec(source)?.[1] ?? file.slice(0, -".md.py".length);
      const order = Number(/^ORDER\s*=\s*(-?\d+)/m.exec(source)?.[1] ?? 1000);
      return {name: title, path: `/${file.slice(0, -".md.py".length)}`, order};
    })
    .sort((a, b) => a.order - b.order || a.name.localeCompare(b.name))
    .map(({name, path}) => ({name, path}));
}

export default {
  root,
  // build.sh passes DASHBOARDS_OUT (default dashboards/dist); tests build into a temporary folder.
  output: process.env.DASHBOARDS_OUT || "dist",
  title: "dealledger",
  home: "dealledger",
  pages: discoverPages(),
  // Links end in .html so that any static file server (python -m http.server) serves the pages.
  preserveExtension: true,
  pager: false,
  toc: false,
  search: false,
  style: "style.css",
  // No web fonts: the default loads Source Serif from Google Fonts, which readers offline cannot reach.
  globalStylesheets: [],
  footer: "dealledger dashboards · built from the published serving file",
  // Page loaders run with the project's Python (duckdb pinned in pyproject.toml); build.sh sets it.
  interpreters: {".py": [process.env.DEALLEDGER_PYTHON || "python3"]}
};
