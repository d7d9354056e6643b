/**
 * A terminal for tests: a tmux server of its own running a command, driven with send-keys and
 * read with capture-pane.
 *
 * @module
 */

/** Whether tmux is installed (tests that need it are skipped, saying so, when it is not). */
export const HAS_TMUX = new Deno.Command("sh", { args: ["-c", "command -v tmux"], stdout: "null" })
  .outputSync().success;

async function tmux(server: string, ...args: string[]): Promise<string> {
  const out = await new Deno.Command("tmux", {
    args: ["-L", server, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!out.success) {
    throw new Error(`tmux ${args.join(" ")}: ${new TextDecoder().decode(out.stderr)}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** A terminal running one command; the tmux server is killed on dispose. */
export interface TestTerminal extends AsyncDisposable {
  /** The visible screen, as text. */
  screen(): Promise<string>;
  /** Sends keys (tmux key names, or text). */
  keys(...keys: string[]): Promise<string>;
  /** A tmux format, e.g. `#{alternate_on}`. */
  display(format: string): Promise<string>;
  resize(width: number, height: number): Promise<string>;
  /** Closes the terminal under the command, as a closed window or a dropped SSH session does. */
  killPane(): Promise<string>;
  /** Polls the screen until `test` holds, under one deadline that fails naming `what`. */
  waitFor(what: string, test: (text: string) => boolean): Promise<string>;
}

/** A tmux server of its own running `command` in `cwd`, then `echo EXITED $?`. */
export async function terminal(
  cwd: string,
  command: string,
  size = { width: 100, height: 24 },
): Promise<TestTerminal> {
  const server = `orch-test-${crypto.randomUUID().slice(0, 8)}`;
  await tmux(
    server,
    "new-session",
    "-d",
    "-x",
    String(size.width),
    "-y",
    String(size.height),
    "-s",
    "t",
    `cd ${cwd} && ${command}; echo EXITED $?; sleep 600`,
  );
  const screen = () => tmux(server, "capture-pane", "-p", "-t", "t");
  return {
    screen,
    keys: (...k: string[]) => tmux(server, "send-keys", "-t", "t", ...k),
    display: async (format: string) =>
      (await tmux(server, "display", "-p", "-t", "t", format)).trim(),
    resize: (width: number, height: number) =>
      tmux(server, "resize-window", "-t", "t", "-x", String(width), "-y", String(height)),
    killPane: () => tmux(server, "kill-pane", "-t", "t"),
    async waitFor(what: string, test: (text: string) => boolean) {
      const deadline = Date.now() + 20_000;
      let text = "";
      while (Date.now() < deadline) {
        text = await screen();
        if (test(text)) return text;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${what}; the screen:\n${text}`);
    },
    async [Symbol.asyncDispose]() {
      await tmux(server, "kill-server").catch(() => "");
    },
  };
}
