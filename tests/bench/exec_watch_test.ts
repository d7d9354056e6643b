/**
 * The fan-out benchmark's clock (bench/exec_watch.ts): the kernel's exec and exit events, as root.
 *
 * @module
 */
import { watchExecs } from "../../bench/exec_watch.ts";
import { assert } from "../assert.ts";
import { within } from "../../src/testing/deadline.ts";

Deno.test({
  name: "exec watch: the program's own exec counts, not a wrapper's that names it; exits end it",
  ignore: Deno.build.os !== "linux" || Deno.uid() !== 0,
  async fn() {
    const marker = `8${Math.floor(Math.random() * 1e6)}.`;
    const watch = watchExecs(
      `sleep ${marker}`,
      (argv) => argv[0] === "sleep" && (argv[1] ?? "").startsWith(marker),
    );
    if (typeof watch === "string") throw new Error(watch);
    const kids: Deno.ChildProcess[] = [];
    try {
      // Each shell's argv names the marker; it runs sleep only once a line comes, and the last
      // two get none.
      for (let i = 0; i < 5; i++) {
        kids.push(
          new Deno.Command("sh", {
            args: ["-c", `read line; exec sleep ${marker}${i}`],
            stdin: "piped",
          }).spawn(),
        );
      }
      const released = watch.now();
      for (const kid of kids.slice(0, 3)) {
        const writer = kid.stdin.getWriter();
        await writer.write(new TextEncoder().encode("go\n"));
        await writer.close();
      }
      const started = await watch.started(3, 10_000);
      assert(started >= released, `counted at ${started}, before the release at ${released}`);
      assert(started <= watch.now(), "a start in the future");
      const fourth = await watch.started(4, 300).then(() => "counted", () => "not counted");
      assert(fourth === "not counted", "a shell that names the program was counted");

      const killed = watch.now();
      for (const kid of kids) kid.kill("SIGKILL");
      const gone = await watch.gone(10_000);
      assert(gone >= killed && gone <= watch.now(), `gone at ${gone}, killed at ${killed}`);
    } finally {
      for (const kid of kids) {
        try {
          kid.kill("SIGKILL");
        } catch {
          // already gone
        }
      }
      await within(Promise.all(kids.map((kid) => kid.status)), 10_000, "the shells to exit");
      await watch.close();
    }
  },
});
