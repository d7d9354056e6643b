/**
 * The web dashboard of a running orch: the site (src/web) in front of the API on each listener,
 * the dashboard's own TCP listener, started on demand (`orch up --ui`, or `POST /v1/ui`, which
 * `orch ui` calls), and the `orch ui` command, which prints a one-time login URL (and opens a
 * browser with `--open`).
 *
 * @module
 */
import { OrchError } from "../domain/mod.ts";
import { createSite, loadAssets, randomToken, Sessions, type UiListener } from "../web/mod.ts";
import type { HttpControl } from "../control/mod.ts";
import type { ClientOptions } from "./commands.ts";
import { withClient } from "./commands.ts";
import { type HttpServer, serveHttp } from "./http_server.ts";
import type { CliIO } from "./io.ts";
import { loadTokens } from "./state.ts";
import { type ApiServing, type ApiSites, isLoopback, parseListen } from "./serve.ts";

type Handler = (request: Request) => Promise<Response>;

/** The TCP listener's tokens. */
export interface UiTokens {
  readonly admin: string;
  readonly readOnly: string;
}

/** What the dashboard needs of the orch that serves it. */
export interface DashboardDeps {
  /** The TCP tokens (made on first use). */
  readonly tokens: () => Promise<UiTokens>;
  /** Where the dashboard's own notes go (orch's log). */
  readonly note: (message: string) => void;
}

/** `HOST:PORT` of a listener's address, with brackets for IPv6. */
function address(host: string, port: number): string {
  return `${host.includes(":") ? `[${host}]` : host}:${port}`;
}

/** The dashboard of one orch: its sessions, the site on each listener, its own listener. */
export class Dashboard implements ApiSites {
  readonly sessions = new Sessions();
  /** The session cookie's name: cookies do not tell ports apart, so each orch has its own. */
  readonly cookie = `orch_${randomToken((n) => crypto.getRandomValues(new Uint8Array(n)), 6)}`;
  readonly #deps: DashboardDeps;
  #served: string | undefined;
  #server: HttpServer | undefined;
  #opening: Promise<UiListener> | undefined;
  #serving: ApiServing | undefined;

  constructor(deps: DashboardDeps) {
    this.#deps = deps;
  }

  /** Takes how the API is served: its handler for given tokens, and a listener's limits. */
  attach(serving: ApiServing): void {
    this.#serving = serving;
  }

  /** Where the dashboard is served now, if it is. */
  get listen(): string | undefined {
    return this.#served;
  }

  /** The site on the unix socket: the API, and `POST /v1/ui`. */
  socket(api: Handler): Handler {
    return createSite(api, {
      sessions: this.sessions,
      ui: false,
      assets: loadAssets,
      cookie: this.cookie,
      openUi: (want) => this.open(want),
    });
  }

  /** The site on a TCP listener with tokens: the dashboard beside the API. */
  tcp(api: Handler, tokens: UiTokens, listen: string): Handler {
    this.#served ??= listen;
    return createSite(api, {
      tokens,
      sessions: this.sessions,
      ui: true,
      assets: loadAssets,
      cookie: this.cookie,
    });
  }

  /**
   * Serves the dashboard on `want.listen` (127.0.0.1 on a free port by default), unless it is
   * served already (on `--listen`'s listener, or one opened before).
   *
   * @throws {OrchError} when it is served elsewhere than asked, or cannot listen there.
   */
  open(want: { listen?: string } = {}): Promise<UiListener> {
    if (this.#served) {
      if (want.listen && !sameAddress(want.listen, this.#served)) {
        return Promise.reject(
          new OrchError(
            `the dashboard is served on ${this.#served} already; cannot serve it on ${want.listen} too`,
          ),
        );
      }
      return Promise.resolve({ listen: this.#served });
    }
    this.#opening ??= this.#start(want.listen ?? "127.0.0.1:0").finally(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  async #start(listen: string): Promise<UiListener> {
    const serving = this.#serving;
    if (!serving) throw new OrchError("cannot serve the dashboard: the API is not served yet");
    const { host, port } = parseListen(listen);
    const tokens = await this.#deps.tokens();
    let tcp: Deno.Listener;
    try {
      tcp = Deno.listen({ hostname: host, port });
    } catch (error) {
      const why = error instanceof Deno.errors.AddrInUse
        ? "address in use"
        : (error as Error).message;
      throw new OrchError(`cannot serve the dashboard on ${listen}: ${why}`, { cause: error });
    }
    const served = address(host, (tcp.addr as Deno.NetAddr).port);
    this.#server = serveHttp(tcp, this.tcp(serving.api(tokens), tokens, served), {
      ...serving.limits,
      name: served,
    });
    this.#served = served;
    this.#deps.note(`dashboard on http://${served}/ui/ (orch ui prints a login URL)`);
    return { listen: served };
  }

  /** A one-time login URL on the dashboard's listener. */
  loginUrl(access: "admin" | "read" = "admin"): string {
    if (!this.#served) throw new OrchError("the dashboard is not served yet");
    const { token } = this.sessions.mintLogin(access);
    return `http://${this.#served}/ui/login?token=${encodeURIComponent(token)}`;
  }

  /** Stops its own listener and ends every session. */
  async close(): Promise<void> {
    this.sessions.clear();
    await this.#server?.close(1000);
  }
}

function sameAddress(a: string, b: string): boolean {
  const x = parseListen(a);
  const y = parseListen(b);
  return (x.port === 0 || x.port === y.port) && (x.host === y.host ||
    (isLoopback(x.host) && isLoopback(y.host) && x.host !== "::1" && y.host !== "::1"));
}

/**
 * The dashboard of a project's orch: on `--listen`'s listener, and on a listener of its own when
 * asked for (with the project's tokens, made on first use).
 */
export function projectDashboard(
  project: string,
  token: string | undefined,
  note: (message: string) => void,
): Dashboard {
  return new Dashboard({ tokens: () => loadTokens(project, token), note });
}

/**
 * `orch up --ui`: serves the dashboard (on `--listen`'s listener, else on a free port of
 * 127.0.0.1) and says its one-time login URL; a failure to listen is said, not fatal.
 */
export async function openDashboard(
  dashboard: Dashboard,
  say: (text: string) => void,
  err: (text: string) => void,
): Promise<void> {
  try {
    await dashboard.open();
    const url = dashboard.loginUrl("admin");
    // On stderr too: under the TUI, the log pane is the only other place it would show.
    err(`dashboard: ${url}\n  (a one-time login; orch ui prints another)\n`);
    say(`dashboard on http://${dashboard.listen}/ui/ (orch ui prints a login URL)`);
  } catch (error) {
    say(`dashboard: ${(error as Error).message}`);
  }
}

/** What `POST /v1/ui` answers. */
interface Opened {
  readonly path: string;
  readonly listen?: string;
  readonly access: string;
  readonly expiresAt: number;
}

/** Options of `orch ui`. */
export interface UiOptions extends ClientOptions {
  /** Where the dashboard listens, when it is not on yet. */
  readonly listen?: string;
  /** Open a browser on it. */
  readonly open?: boolean;
  /** A read-only session. */
  readonly readOnly?: boolean;
}

/**
 * `orch ui`: asks the running orch for a one-time login URL (starting its dashboard listener if
 * it is not on) and prints it; with `--open`, a browser opens it.
 */
export function uiCommand(io: CliIO, options: UiOptions): Promise<number> {
  return withClient(io, options, (client) => showDashboard(io, client, options));
}

/** Asks `client`'s orch for a one-time login URL and prints it (`orch ui`, `orch up -d --ui`). */
export async function showDashboard(
  io: CliIO,
  client: HttpControl,
  options: Omit<UiOptions, keyof ClientOptions>,
): Promise<number> {
  const opened = await client.json<Opened>("POST", "/v1/ui", {
    ...(options.listen ? { listen: options.listen } : {}),
    ...(options.readOnly ? { access: "read" } : {}),
  });
  const host = opened.listen ?? client.where.replace(/^https?:\/\//, "");
  const url = `http://${host}${opened.path}`;
  const minutes = Math.max(1, Math.round((opened.expiresAt - Date.now()) / 60_000));
  io.out(
    `dashboard (${opened.access === "admin" ? "admin" : "read-only"}): ${url}\n` +
      `  a one-time login: it works once, within ${minutes} min; run orch ui again for another\n`,
  );
  if (!isLoopback(parseListen(host).host)) {
    io.err(
      `warning: ${host} is reachable from other machines and the dashboard is plain HTTP; ` +
        `prefer an SSH tunnel to 127.0.0.1\n`,
    );
  }
  if (options.open) await openBrowser(io, url);
  return 0;
}

/**
 * Opens a browser on `url` without putting the login token on a command line: a private file
 * (mode 0600) redirects to it, and the browser is given the file (as Jupyter does).
 */
async function openBrowser(io: CliIO, url: string): Promise<void> {
  const page = await Deno.makeTempFile({ prefix: "orch-ui-", suffix: ".html" });
  const attr = url.replace(/&/g, "&amp;").replace(/"/g, "&quot;");
  await Deno.writeTextFile(
    page,
    `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${attr}">` +
      `<title>orch</title><p>Opening the <a href="${attr}">dashboard</a>…</p>\n`,
  );
  const opener = Deno.build.os === "darwin" ? "open" : "xdg-open";
  try {
    const child = new Deno.Command(opener, {
      args: [page],
      stdin: "null",
      stdout: "null",
      stderr: "null",
    }).spawn();
    const status = await child.status;
    if (!status.success) {
      io.err(`orch: ${opener} ${page} failed (${status.code}); open the URL above\n`);
    }
  } catch (error) {
    io.err(`orch: cannot run ${opener} (${(error as Error).message}); open the URL above\n`);
  }
}
