import { assertEquals } from "../assert.ts";
import { sanitize } from "../../src/domain/escapes.ts";

const ESC = "\x1b";

Deno.test("sanitize removes what would drive the terminal; colours stay when asked", () => {
  const hostile = `a${ESC}]0;pwned${ESC}\\b${ESC}]52;c;aGVsbG8=\x07c${ESC}[2J${ESC}[H${ESC}[5;5Hd` +
    `${ESC}[31mred${ESC}[0m${ESC}[1;38;5;208mo${ESC}[m${ESC}ce${ESC}7${ESC}(Bf${ESC}[?1049hg`;
  assertEquals(
    sanitize(hostile, { colors: true }),
    `abcd${ESC}[31mred${ESC}[0m${ESC}[1;38;5;208mo${ESC}[mefg`,
  );
  assertEquals(sanitize(hostile), "abcdredoefg");
});

Deno.test("sanitize removes C1 controls, DCS/APC strings, lone ESCs and C0 controls but tab", () => {
  assertEquals(sanitize("x\u009b2Jy\u009d0;t\u0007z\u0085w"), "xyzw");
  assertEquals(sanitize(`a${ESC}Pq#0;1${ESC}\\b${ESC}_apc${ESC}\\c`), "abc");
  assertEquals(sanitize(`end${ESC}`), "end");
  assertEquals(sanitize(`a\rb\x08c\x07d\te\x7f`), "abcd\te");
  // An OSC never terminated swallows the rest, as the terminal would.
  assertEquals(sanitize(`keep${ESC}]0;title and more`), "keep");
  // Not SGR although it ends in m: private parameters (xterm's modifyOtherKeys).
  assertEquals(sanitize(`${ESC}[>4;2mk`, { colors: true }), "k");
  assertEquals(sanitize(`${ESC}[31m`, { colors: false }), "");
  const plain = "no escapes here: ünïcödé 日本";
  assertEquals(sanitize(plain, { colors: true }), plain);
});
