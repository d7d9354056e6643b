/**
 * The dashboard's flows views against the real flows routes, in Debian's Chromium: the Flows view
 * lists a flow with its schedule, Trigger… with a payload opens the run, whose task graph and
 * task table fill in and whose task log shows the output; Runs lists it. Skipped without Chromium
 * (ORCH_BROWSER_TESTS=require fails instead). ORCH_SCREENSHOTS=DIR saves the run and the Flows
 * view there (docs/screenshots for the README).
 */
import { assert, assertEquals } from "../assert.ts";
import { runOrch } from "../../src/testing/cli.ts";
import { project } from "../../src/testing/project.ts";
import { browserProblem, launchBrowser } from "../../src/testing/browser.ts";
import type { Page } from "playwright-core";

const shots = Deno.env.get("ORCH_SCREENSHOTS");

async function snap(page: Page, name: string): Promise<void> {
  if (!shots) return;
  await Deno.mkdir(shots, { recursive: true });
  await page.screenshot({ path: `${shots}/${name}.png` });
}

const required = Deno.env.get("ORCH_BROWSER_TESTS") === "require";
const problem = await browserProblem();
if (problem && !required) console.error(`tests/e2e/web_flows_test.ts: SKIPPED: ${problem}`);

const STACK = `
services:
  web: { command: "sleep 600" }
flows:
  build:
    schedule: "0 3 * * *"
    tasks:
      compile:
        command: 'echo "compiling $(cat "$ORCH_PAYLOAD_FILE")"; echo "artifact=app.bin" >> "$ORCH_OUTPUTS"'
      package:
        command: 'echo "packaging \${tasks.compile.artifact}"'
        dependsOn: [compile]
`;

Deno.test({
  name: "web: the flows views on the real routes: list, trigger with a payload, run, task log",
  ignore: problem !== undefined && !required,
  async fn() {
    if (problem) throw new Error(`Chromium is required (ORCH_BROWSER_TESTS=require): ${problem}`);
    await using p = await project(STACK);
    const up = await runOrch(p.path, ["up", "-d", "--wait", "--timeout", "60s"]);
    assertEquals(up.code, 0, up.stderr);
    const ui = await runOrch(p.path, ["ui"]);
    const url = /(http:\/\/\S+\/ui\/login\?token=\S+)/.exec(ui.stdout)?.[1];
    assert(url, `orch ui printed no URL: ${ui.stdout}`);
    await using browser = await launchBrowser();
    const page = await browser.page();
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => m.type() === "error" && problems.push(`console: ${m.text()}`));
    await page.goto(url);
    await page.locator('nav a[data-route="flows"]').click();
    const row = page.locator("table.flows tr", { hasText: "build" });
    await row.waitFor();
    assert((await row.innerText()).includes("0 3 * * *"));
    await page.locator("p.scheduler", { hasText: "running" }).waitFor();

    await row.locator("button", { hasText: "Trigger" }).click();
    await page.locator('dialog textarea[name="payload"]').fill('{"v": 42}');
    await page.locator("dialog button.primary", { hasText: "Trigger" }).click();
    // The run view: its tasks end succeeded, the graph is drawn, compile's log has the payload.
    await page.waitForURL(/#\/runs\/1$/);
    await page.locator("table.tasks tr", { hasText: "package" }).locator("td.badge", {
      hasText: "succeeded",
    }).waitFor({ timeout: 30_000 });
    await page.locator("table.tasks td.outputs", { hasText: "app.bin" }).waitFor();
    assert(await page.locator(".graph-wrap svg").count() > 0, "the task graph is drawn");
    await page.locator("table.tasks button", { hasText: "compile" }).click();
    await page.locator(".task-log", { hasText: 'compiling {"v":42}' }).waitFor();
    await snap(page, "run-1280-light");

    await page.locator('nav a[data-route="runs"]').click();
    await page.locator("table.runs tr", { hasText: "build" }).first().waitFor();
    await page.locator('nav a[data-route="flows"]').click();
    await page.locator("table.flows tr", { hasText: "succeeded" }).waitFor();
    await snap(page, "flows-1280-light");
    assertEquals(problems, []);
  },
});
