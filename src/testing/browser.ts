/**
 * Debian's Chromium driven by playwright-core, for the dashboard's end-to-end tests: headless, no
 * sandbox (root in CI), nothing fetched from the network, a fresh profile each time. No browser is
 * ever downloaded: without /usr/bin/chromium the tests are skipped with a message, and with
 * ORCH_BROWSER_TESTS=require (as `.ci/run` sets) they fail.
 *
 * @module
 */
import { type BrowserContext, chromium, type Page } from "playwright-core";

/** Where Debian puts Chromium. */
export const CHROMIUM = "/usr/bin/chromium";

/** Why the browser tests cannot run here, or undefined when they can. */
export async function browserProblem(): Promise<string | undefined> {
  try {
    await Deno.stat(CHROMIUM);
  } catch {
    return `${CHROMIUM} is missing (apt-get install chromium)`;
  }
  try {
    const out = await new Deno.Command(CHROMIUM, {
      args: ["--version"],
      stdout: "piped",
      stderr: "null",
    })
      .output();
    if (!out.success) return `${CHROMIUM} --version failed`;
  } catch (error) {
    return `${CHROMIUM} cannot run: ${(error as Error).message}`;
  }
  return undefined;
}

/** A browser with a fresh profile; closed, and its profile removed, on dispose. */
export interface TestBrowser extends AsyncDisposable {
  readonly context: BrowserContext;
  /** A new page (tab) at this viewport and colour scheme. */
  page(options?: { width?: number; height?: number; dark?: boolean }): Promise<Page>;
}

/** Launches Chromium headless. */
export async function launchBrowser(): Promise<TestBrowser> {
  const profile = await Deno.makeTempDir({ prefix: "orch-chromium-" });
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    async page(options = {}) {
      const page = await context.newPage();
      await page.setViewportSize({ width: options.width ?? 1280, height: options.height ?? 800 });
      await page.emulateMedia({ colorScheme: options.dark ? "dark" : "light" });
      return page;
    },
    async [Symbol.asyncDispose]() {
      await context.close().catch(() => {});
      await Deno.remove(profile, { recursive: true }).catch(() => {});
    },
  };
}
