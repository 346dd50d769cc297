// Open dashboard pages in headless Chromium and record what a reader sees.
//
//   node dashboards/scripts/snapshot.mjs --base http://127.0.0.1:PORT --out DIR page [page ...]
//
// For each page: waits until every chart card holds a drawn chart (or an error box), then writes
// DIR/<page>.html (the rendered DOM), DIR/<page>.png (full-page screenshot) and DIR/<page>.json
// (uncaught page errors, console errors, and any request that left 127.0.0.1, which is blocked: the
// site must be self-contained). Chromium is Debian's (CHROMIUM_PATH, default /usr/bin/chromium);
// playwright-core downloads no browser.
import {mkdirSync, writeFileSync} from "node:fs";
import {join} from "node:path";
import {parseArgs} from "node:util";
import {chromium} from "playwright-core";

const {values, positionals: pages} = parseArgs({
  options: {
    base: {type: "string"},
    out: {type: "string"},
    width: {type: "string", default: "1280"},
    timeout: {type: "string", default: "20000"}
  },
  allowPositionals: true
});
if (!values.base || !values.out || !pages.length) {
  console.error("usage: snapshot.mjs --base URL --out DIR page [page ...]");
  process.exit(2);
}
const timeout = Number(values.timeout);
mkdirSync(values.out, {recursive: true});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  headless: true,
  timeout,
  args: [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage"
  ]
});
let failed = false;
try {
  const context = await browser.newContext({viewport: {width: Number(values.width), height: 900}});
  const loopback = new URL(values.base).host;
  for (const name of pages) {
    const page = await context.newPage();
    const report = {page: name, pageErrors: [], consoleErrors: [], externalRequests: [], failedRequests: []};
    page.on("pageerror", (error) => report.pageErrors.push(String(error)));
    page.on("console", (message) => message.type() === "error" && report.consoleErrors.push(message.text()));
    page.on("requestfailed", (request) => report.failedRequests.push(request.url()));
    await page.route("**/*", (route) => {
      const url = new URL(route.request().url());
      if (url.host === loopback || url.protocol === "data:" || url.protocol === "blob:") return route.continue();
      report.externalRequests.push(url.href);
      return route.abort();
    });
    await page.goto(`${values.base}/${name}.html`, {waitUntil: "networkidle", timeout});
    // Observable's runtime draws cells after load: wait until each chart card holds an <svg> or an error.
    await page.waitForFunction(
      () =>
        document.querySelector("#observablehq-main") &&
        [...document.querySelectorAll("[data-chart]")].every((card) =>
          card.querySelector("svg, .observablehq--error")
        ),
      undefined,
      {timeout}
    );
    writeFileSync(join(values.out, `${name}.html`), await page.content());
    // Grow the window to the page's height, so the screenshot shows the whole page as a reader scrolls it.
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    await page.setViewportSize({width: Number(values.width), height: Math.min(Math.max(height, 600), 8000)});
    await page.screenshot({path: join(values.out, `${name}.png`)});
    writeFileSync(join(values.out, `${name}.json`), JSON.stringify(report, null, 2));
    await page.close();
  }
} catch (error) {
  console.error(String(error?.stack ?? error));
  failed = true;
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
