/** Listen addresses: parsing, what counts as this machine only, and the warning for the rest. */
import { assertEquals, assertMatch } from "../assert.ts";
import { isLoopback, parseListen, warnIfExposed } from "../../src/cli/serve.ts";

Deno.test("--listen on a non-loopback address prints a warning; loopback ones do not", () => {
  const warned = (listen: string) => {
    let text = "";
    warnIfExposed({ err: (t) => (text += t) }, listen);
    return text;
  };
  for (const listen of ["0.0.0.0:7070", "[::]:7070", "192.168.1.4:80", "[fe80::1]:1"]) {
    assertMatch(warned(listen), /^warning: --listen \S+ accepts connections from other machines/);
    assertMatch(warned(listen), /run any command as this user/);
  }
  for (const listen of ["127.0.0.1:7070", ":7070", "127.1.2.3:0", "[::1]:7070", "localhost:1"]) {
    assertEquals(warned(listen), "", listen);
  }
});

Deno.test("listen addresses: host and port, IPv6 in brackets, 127.0.0.1 by default", () => {
  assertEquals(parseListen("[::1]:7070"), { host: "::1", port: 7070 });
  assertEquals(parseListen(":80"), { host: "127.0.0.1", port: 80 });
  assertEquals(isLoopback("127.0.0.1"), true);
  assertEquals(isLoopback("0.0.0.0"), false);
  for (const bad of ["7070", "host:", "a:70000", "[::1]"]) {
    let message = "";
    try {
      parseListen(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    assertMatch(message, /is not HOST:PORT/, bad);
  }
});
