/**
 * The web dashboard end to end: a real background orch, `orch ui`'s one-time login URL opened in
 * Debian's Chromium (playwright-core), the page driven as a person would. Without Chromium the
 * tests are skipped with a message; ORCH_BROWSER_TESTS=require (as `.ci/run` sets) fails them.
 * ORCH_SCREENSHOTS=DIR saves the screenshots there (docs/screenshots for the README).
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { project, runFile } from "../../src/testing/project.ts";
import { browserProblem, launchBrowser } from "../../src/testing/browser.ts";
import type { Page } from "playwright-core";

// The page's globals, for the functions that run in the browser (tests are checked without DOM types).
// deno-lint-ignore no-explicit-any
declare const document: any;
// deno-lint-ignore no-explicit-any
declare function getComputedStyle(element: unknown): any;

const required = Deno.env.get("ORCH_BROWSER_TESTS") === "require";
const problem = await browserProblem();
if (problem && !required) console.error(`tests/e2e/web_test.ts: SKIPPED: ${problem}`);
const shots = Deno.env.get("ORCH_SCREENSHOTS");

function browserTest(name: string, fn: () => Promise<void>) {
  Deno.test({
    name: `web: ${name}`,
    ignore: problem !== undefined && !required,
    async fn() {
      if (problem) throw new Error(`Chromium is required (ORCH_BROWSER_TESTS=require): ${problem}`);
      await fn();
    },
  });
}

const STACK = `
version: 0.1
stack:
  name: shop
services:
  db:
    command: "echo 'db: ready to accept connections'; exec sleep 600"
    health:
      log: { pattern: "ready to accept connections" }
  migrate:
    kind: oneshot
    command: "echo 'migrating'; echo 'migration done'"
    dependsOn: [db]
  api:
    command: "i=0; while true; do i=$((i+1)); echo \\"INFO served request $i\\"; if [ $((i % 3)) = 0 ]; then echo \\"ERROR payment timeout $i\\" >&2; fi; sleep 0.3; done"
    replicas: 2
    dependsOn:
      - target: db
        require: ready
      - target: migrate
        require: completed
  worker:
    command: "while read line; do echo \\"worker got: $line\\"; done"
    dependsOn:
      - target: api
        require: started
`;

/** `orch ui`'s URL. */
async function loginUrl(dir: string, args: string[] = []): Promise<string> {
  const ui = await runOrch(dir, ["ui", ...args]);
  assertEquals(ui.code, 0, ui.stderr);
  const url = /(http:\/\/\S+\/ui\/login\?token=\S+)/.exec(ui.stdout)?.[1];
  assert(url, `orch ui printed no URL: ${ui.stdout}`);
  return url;
}

/** A row's state text in the services table. */
function rowState(page: Page, service: string): Promise<string> {
  return page.locator(`tr[data-service="${service}"] td.state`).innerText();
}

async function snap(page: Page, name: string): Promise<void> {
  if (!shots) return;
  await Deno.mkdir(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}.png` });
}

/** Console errors and CSP refusals (but the refusals a test asks for), for the test to check. */
function watchConsole(page: Page, expected?: RegExp): string[] {
  const problems: string[] = [];
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (expected?.test(m.text())) return;
    if (m.type() === "error" || /Content Security Policy|Refused to/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  return problems;
}

browserTest(
  "log in with the URL, live states, restart, logs filtered, an apply planned first",
  async () => {
    await using p = await project(STACK);
    const up = await runOrch(p.path, ["up", "-d", "--wait", "--timeout", "60s"]);
    assertEquals(up.code, 0, up.stderr);
    await using browser = await launchBrowser();
    const page = await browser.page();
    // The flows routes answer 404 until the API has them (the page says so).
    const problems = watchConsole(page, /status of 404 \(Not Found\)/);

    const url = await loginUrl(p.path);
    const response = await page.goto(url);
    assertEquals(response?.status(), 200);
    assert(!page.url().includes("token="), `the token left the address: ${page.url()}`);
    assertMatch(new URL(page.url()).pathname, /^\/ui\/$/);
    await page.locator(".stack-name", { hasText: "orch · shop" }).waitFor();
    const cookies = await browser.context.cookies();
    assertEquals(cookies.length, 1);
    assert(cookies[0].httpOnly && cookies[0].sameSite === "Strict", JSON.stringify(cookies[0]));
    await page.locator('tr[data-service="api"] td.state', { hasText: "ready" }).waitFor();
    assertEquals(await rowState(page, "migrate"), "completed");
    assertMatch(await page.locator('tr[data-service="api"] td.ready').innerText(), /^2\/2$/);

    // By keyboard: the skip link first, then the views.
    await page.keyboard.press("Tab");
    assertEquals(
      await page.evaluate(() => document.activeElement?.textContent),
      "Skip to the content",
    );
    await page.keyboard.press("Tab");
    assertEquals(await page.evaluate(() => document.activeElement?.textContent), "Services");

    // The URL works once.
    const other = await browser.page();
    const again = await other.goto(url);
    assertEquals(again?.status(), 401);
    assertMatch(await other.locator("h1").innerText(), /does not work/);
    await other.close();

    // A change made elsewhere shows without a reload (the events).
    const stop = await runOrch(p.path, ["stop", "worker"]);
    assertEquals(stop.code, 0, stop.stderr);
    await page.locator('tr[data-service="worker"] td.state', { hasText: "stopped" }).waitFor({
      timeout: 10_000,
    });
    await page.locator('tr[data-service="worker"] button[data-action="start"]').focus();
    await page.keyboard.press("Enter");
    await page.locator('tr[data-service="worker"] td.state', { hasText: "ready" }).waitFor({
      timeout: 10_000,
    });
    await snap(page, "services-1280-light");

    // Restart from the service's page: a new process, ready again.
    await page.locator('tr[data-service="db"] a', { hasText: "db" }).click();
    await page.locator("h1", { hasText: "db" }).waitFor();
    const pidCell = page.locator("table.instances tbody tr:first-child td:nth-child(3)");
    const before = await pidCell.innerText();
    assertMatch(before, /^\d+$/);
    await page.locator(".service-view button", { hasText: "Restart" }).click();
    await page.locator("#toasts .toast", { hasText: "db: restart done" }).waitFor({
      timeout: 30_000,
    });
    await page.waitForFunction(
      (old) => {
        const cell = document.querySelector("table.instances tbody tr:first-child td:nth-child(3)");
        const state = document.querySelector(
          "table.instances tbody tr:first-child td:nth-child(2)",
        );
        return cell?.textContent !== old && state?.textContent === "ready";
      },
      before,
      { timeout: 10_000 },
    );

    // The graph: a node per service, coloured by state, edges labelled; a node opens its service.
    await page.locator('nav a[data-route="graph"]').click();
    await page.locator("svg.graph .node").first().waitFor();
    assertEquals(await page.locator("svg.graph .node").count(), 4);
    assertEquals(
      await page.locator('svg.graph .node[data-id="api"]').getAttribute("class"),
      "node state-ready",
    );
    const labels = await page.locator("svg.graph .edge-label").allTextContents();
    assertEquals([...labels].sort(), ["completed", "ready", "ready", "started"]);
    await snap(page, "graph-1280-light");
    await page.locator('svg.graph .node[data-id="worker"]').click();
    await page.locator("h1", { hasText: "worker" }).waitFor();

    // Logs: every service, then only what a regular expression matches, then errors only.
    await page.locator('nav a[data-route="logs"]').click();
    await page.locator(".log-lines .line", { hasText: "served request" }).first().waitFor();
    await page.locator(".log-lines .line", { hasText: "payment timeout" }).first().waitFor({
      timeout: 10_000,
    });
    await page.locator('input[name="filter"]').fill("payment time(out)?");
    const filtered = await page.locator(".log-lines .line").allInnerTexts();
    assert(filtered.length > 0, "some lines match");
    for (const line of filtered) assertMatch(line, /payment timeout/);
    await page.locator('input[name="filter"]').fill("");
    await page.locator('select[name="level"]').selectOption("error");
    await page.waitForFunction(
      () => {
        const lines = [...document.querySelectorAll(".log-lines .line")];
        return lines.length > 0 &&
          lines.every((l: { classList: { contains(c: string): boolean } }) =>
            l.classList.contains("level-error")
          );
      },
      undefined,
      { timeout: 10_000 },
    );
    await page.locator('select[name="level"]').selectOption("");
    await page.locator('input[name="search"]').fill("request 1\\b");
    await page.locator(".found", { hasText: /^\d+ match/ }).waitFor();
    await snap(page, "logs-1280-light");

    // Until the API has the flows routes, the flows views say so.
    await page.locator('nav a[data-route="flows"]').click();
    await page.locator(".notice", { hasText: "Flows are not available on this orch." }).waitFor();

    // Apply: the plan first, then the change.
    await page.locator('nav a[data-route="services"]').click();
    await page.locator("button", { hasText: "Apply a stack file…" }).click();
    const changed = STACK + `  cache:\n    command: "exec sleep 600"\n`;
    await page.locator('dialog textarea[name="content"]').fill(changed);
    await page.locator("dialog button", { hasText: "Show the plan" }).click();
    await page.locator("dialog ul.plan li.plan-add", { hasText: "cache" }).waitFor();
    assertEquals(await page.locator('tr[data-service="cache"]').count(), 0, "nothing changed yet");
    await page.locator("dialog button.primary", { hasText: "Apply" }).click();
    await page.locator("dialog h3", { hasText: /^Applied$/ }).waitFor({ timeout: 30_000 });
    await page.locator("dialog button", { hasText: "Close" }).first().click();
    await page.locator('tr[data-service="cache"] td.state', { hasText: "ready" }).waitFor({
      timeout: 15_000,
    });

    for (const dark of [false, true]) {
      const phone = await browser.page({ width: 390, height: 844, dark });
      await phone.goto(`${new URL(url).origin}/ui/`);
      await phone.locator('tr[data-service="api"] td.state', { hasText: "ready" }).waitFor();
      const width = await phone.evaluate(() => document.documentElement.scrollWidth);
      assert(width <= 390, `the page fits a phone's width (${width}px)`);
      await snap(phone, `services-phone-${dark ? "dark" : "light"}`);
      await phone.close();
    }
    const dark = await browser.page({ dark: true });
    await dark.goto(`${new URL(url).origin}/ui/#/graph`);
    await dark.locator("svg.graph .node").first().waitFor();
    const background = await dark.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assertEquals(background, "rgb(13, 17, 23)", "dark when the system is");
    await snap(dark, "graph-1280-dark");
    await dark.goto(`${new URL(url).origin}/ui/#/services`);
    await dark.locator('tr[data-service="api"] td.state', { hasText: "ready" }).waitFor();
    await snap(dark, "services-1280-dark");
    assertEquals(problems, [], "no script error and nothing refused by the policy");
  },
);

browserTest("a read-only token's session sees everything and is refused every change", async () => {
  await using p = await project(STACK);
  const up = await runOrch(p.path, [
    "up",
    "-d",
    "--wait",
    "--timeout",
    "60s",
    "--listen",
    "127.0.0.1:0",
  ]);
  assertEquals(up.code, 0, up.stderr);
  const listen = runFile(p.path).listen!;
  const tokens = JSON.parse(await Deno.readTextFile(`${p.path}/.orch/tokens.json`));
  await using browser = await launchBrowser();
  const page = await browser.page();
  const problems = watchConsole(page, /status of 403 \(Forbidden\)/);
  // The dashboard is served on --listen's listener: orch ui names it.
  assert((await loginUrl(p.path)).startsWith(`http://${listen}/ui/login?token=`));

  await page.goto(`http://${listen}/ui/login?token=${encodeURIComponent(tokens.readOnly)}`);
  await page.locator(".access", { hasText: "read-only" }).waitFor();
  await page.locator('tr[data-service="api"] td.state', { hasText: "ready" }).waitFor();
  assert(await page.locator('tr[data-service="api"] button', { hasText: "Restart" }).isDisabled());
  assert(await page.locator("button", { hasText: "Apply a stack file…" }).isDisabled());
  await page.locator('nav a[data-route="logs"]').click();
  await page.locator(".log-lines .line").first().waitFor();

  // Even with its CSRF token, a read-only session changes nothing.
  const refused = await page.evaluate(async () => {
    const session = await (await fetch("/ui/session")).json();
    const response = await fetch("/v1/services/api/restart", {
      method: "POST",
      headers: { "x-orch-csrf": session.csrf },
    });
    return { status: response.status, body: await response.json() };
  });
  assertEquals(refused.status, 403);
  assertMatch(refused.body.error.message, /read-only/);
  const status = await runOrch(p.path, ["status", "--json"]);
  const api = JSON.parse(status.stdout).instances.filter((i: { service: string }) =>
    i.service === "api"
  );
  assert(api.every((i: { restarts: number; state: string }) => i.state === "ready"), status.stdout);

  // An admin session without the CSRF header is refused too.
  const admin = await browser.page();
  await admin.goto(await loginUrl(p.path));
  await admin.locator(".access", { hasText: "admin" }).waitFor();
  const noCsrf = await admin.evaluate(async () =>
    (await fetch("/v1/services/worker/stop", { method: "POST" })).status
  );
  assertEquals(noCsrf, 403);
  assertEquals(problems, []);
});
