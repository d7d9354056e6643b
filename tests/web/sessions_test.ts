import { assert, assertEquals } from "../assert.ts";
import { randomToken, sameSecret, Sessions } from "../../src/web/sessions.ts";

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => void (now += ms) };
}

Deno.test("a login token works once", () => {
  const sessions = new Sessions();
  const login = sessions.mintLogin("admin");
  assertEquals(sessions.redeemLogin(login.token), "admin");
  assertEquals(sessions.redeemLogin(login.token), undefined, "used");
  assertEquals(sessions.redeemLogin(""), undefined);
  assertEquals(sessions.redeemLogin("x".repeat(43)), undefined);
});

Deno.test("a login token not used within its time is void", () => {
  const c = clock();
  const sessions = new Sessions({ now: c.now, loginTtlMs: 60_000 });
  const early = sessions.mintLogin("read");
  const late = sessions.mintLogin("read");
  assertEquals(early.expiresAt, 1_060_000);
  c.advance(59_999);
  assertEquals(sessions.redeemLogin(early.token), "read");
  c.advance(1);
  assertEquals(sessions.redeemLogin(late.token), undefined, "expired at expiresAt");
});

Deno.test("sessions end when idle too long, and when older than their lifetime", () => {
  const c = clock();
  const sessions = new Sessions({ now: c.now, idleMs: 1000, lifetimeMs: 5000 });
  const idle = sessions.begin("admin");
  const busy = sessions.begin("read");
  assertEquals(sessions.expiresAt(busy), 1_001_000);
  for (let i = 0; i < 5; i++) {
    c.advance(900);
    assertEquals(sessions.get(busy.id)?.access, "read", `still used at ${i}`);
  }
  assertEquals(sessions.get(idle.id), undefined, "idle for 4500 ms");
  c.advance(600);
  assertEquals(sessions.get(busy.id), undefined, "used 600 ms ago, but 5100 ms after it began");
  assertEquals(sessions.size, 0);
});

Deno.test("each session has its own id and CSRF token; end() ends one", () => {
  const sessions = new Sessions();
  const a = sessions.begin("admin");
  const b = sessions.begin("admin");
  assert(a.id !== b.id && a.csrf !== b.csrf && a.id !== a.csrf);
  assert(/^[A-Za-z0-9_-]{43}$/.test(a.id), a.id);
  sessions.end(a.id);
  assertEquals(sessions.get(a.id), undefined);
  assertEquals(sessions.get(b.id)?.id, b.id);
  sessions.clear();
  assertEquals(sessions.get(b.id), undefined);
});

Deno.test("too many sessions: the least recently used goes; too many logins: the oldest", () => {
  const sessions = new Sessions({ maxSessions: 2, maxLogins: 2 });
  const first = sessions.begin("admin");
  const second = sessions.begin("admin");
  sessions.get(first.id); // used: now the second is the least recently used
  const third = sessions.begin("read");
  assertEquals(sessions.get(second.id), undefined);
  assert(sessions.get(first.id) && sessions.get(third.id));
  const logins = [
    sessions.mintLogin("admin"),
    sessions.mintLogin("admin"),
    sessions.mintLogin("read"),
  ];
  assertEquals(logins.map((l) => sessions.redeemLogin(l.token)), [undefined, "admin", "read"]);
});

Deno.test("randomToken is URL-safe base64 of the random bytes; sameSecret compares", () => {
  const bytes = new Uint8Array([0xfb, 0xff, 0xfe, 0x00]);
  assertEquals(randomToken(() => bytes, 4), "-__-AA");
  assert(sameSecret("abc", "abc"));
  assert(!sameSecret("abc", "abd"));
  assert(!sameSecret("abc", "abcd"));
  assert(!sameSecret("", "a"));
});
