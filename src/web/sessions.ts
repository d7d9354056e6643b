/**
 * The dashboard's logins and sessions, in the memory of the orch that serves it: one-time login
 * tokens (minted for `orch ui`'s URL, consumed by the first use, expiring soon), and sessions,
 * each with its access level (admin, or read-only) and its own CSRF token. A session ends when it
 * is idle too long, when it is older than its lifetime, or on logout; the oldest ones go first when
 * there are too many. Time and randomness are parameters.
 *
 * @module
 */

/** What a session may do: everything, or only read. */
export type Access = "admin" | "read";

/** A browser's session. */
export interface Session {
  /** The cookie's value (a secret). */
  readonly id: string;
  readonly access: Access;
  /** The value the page sends in `X-Orch-CSRF` with every change. */
  readonly csrf: string;
  readonly createdAt: number;
  lastSeen: number;
}

/** A one-time login token, as minted. */
export interface LoginToken {
  readonly token: string;
  readonly access: Access;
  readonly expiresAt: number;
}

/** Limits and parameters of the session store. */
export interface SessionOptions {
  readonly now?: () => number;
  /** Random bytes (crypto.getRandomValues by default). */
  readonly random?: (size: number) => Uint8Array;
  /** A login token not used by then is void. @default 10 minutes */
  readonly loginTtlMs?: number;
  /** A session not used for this long ends. @default 12 hours */
  readonly idleMs?: number;
  /** A session ends this long after it began, used or not. @default 7 days */
  readonly lifetimeMs?: number;
  /** Sessions kept at once; the least recently used goes first. @default 256 */
  readonly maxSessions?: number;
  /** Login tokens pending at once; the oldest goes first. @default 64 */
  readonly maxLogins?: number;
}

const MINUTE = 60_000;

/** Random bytes as a URL-safe string (base64url, no padding). */
export function randomToken(random: (size: number) => Uint8Array, bytes = 32): string {
  const raw = random(bytes);
  let text = "";
  for (const b of raw) text += String.fromCharCode(b);
  return btoa(text).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

/** Compares two secrets in time that depends only on their lengths. */
export function sameSecret(a: string, b: string): boolean {
  const x = new TextEncoder().encode(a);
  const y = new TextEncoder().encode(b);
  const n = Math.max(x.length, y.length);
  let diff = x.length ^ y.length;
  for (let i = 0; i < n; i++) diff |= (x[i] ?? 0) ^ (y[i] ?? 0);
  return diff === 0;
}

/** Logins and sessions of one orch. */
export class Sessions {
  readonly #now: () => number;
  readonly #random: (size: number) => Uint8Array;
  readonly #loginTtl: number;
  readonly #idle: number;
  readonly #lifetime: number;
  readonly #maxSessions: number;
  readonly #maxLogins: number;
  // Maps keep insertion order: the first entry is the oldest (sessions are re-inserted on use).
  readonly #logins = new Map<string, LoginToken>();
  readonly #sessions = new Map<string, Session>();

  constructor(options: SessionOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#random = options.random ??
      ((size) => crypto.getRandomValues(new Uint8Array(size)));
    this.#loginTtl = options.loginTtlMs ?? 10 * MINUTE;
    this.#idle = options.idleMs ?? 12 * 60 * MINUTE;
    this.#lifetime = options.lifetimeMs ?? 7 * 24 * 60 * MINUTE;
    this.#maxSessions = options.maxSessions ?? 256;
    this.#maxLogins = options.maxLogins ?? 64;
  }

  /** How long a login token is good for, in ms. */
  get loginTtlMs(): number {
    return this.#loginTtl;
  }

  /** Sessions alive now. */
  get size(): number {
    this.#sweep();
    return this.#sessions.size;
  }

  /** Mints a one-time login token for a session of `access`. */
  mintLogin(access: Access): LoginToken {
    this.#sweep();
    const login = {
      token: randomToken(this.#random),
      access,
      expiresAt: this.#now() + this.#loginTtl,
    };
    this.#logins.set(login.token, login);
    while (this.#logins.size > this.#maxLogins) {
      this.#logins.delete(this.#logins.keys().next().value!);
    }
    return login;
  }

  /**
   * Consumes a login token: its access level, or undefined when it is unknown, used or expired.
   * The lookup compares against every pending token in constant time per token.
   */
  redeemLogin(token: string): Access | undefined {
    this.#sweep();
    for (const [key, login] of this.#logins) {
      if (sameSecret(key, token)) {
        this.#logins.delete(key);
        return login.access;
      }
    }
    return undefined;
  }

  /** Begins a session of `access`. */
  begin(access: Access): Session {
    this.#sweep();
    const now = this.#now();
    const session: Session = {
      id: randomToken(this.#random),
      access,
      csrf: randomToken(this.#random),
      createdAt: now,
      lastSeen: now,
    };
    this.#sessions.set(session.id, session);
    while (this.#sessions.size > this.#maxSessions) {
      this.#sessions.delete(this.#sessions.keys().next().value!);
    }
    return session;
  }

  /** The live session with this id (its use is recorded), or undefined. */
  get(id: string): Session | undefined {
    const session = this.#sessions.get(id);
    if (!session) return undefined;
    if (this.#expired(session, this.#now())) {
      this.#sessions.delete(id);
      return undefined;
    }
    session.lastSeen = this.#now();
    this.#sessions.delete(id);
    this.#sessions.set(id, session);
    return session;
  }

  /** When a session ends if it is not used again. */
  expiresAt(session: Session): number {
    return Math.min(session.lastSeen + this.#idle, session.createdAt + this.#lifetime);
  }

  /** Ends a session. */
  end(id: string): void {
    this.#sessions.delete(id);
  }

  /** Ends every session and voids every login token (orch's tokens changed, or it stops). */
  clear(): void {
    this.#sessions.clear();
    this.#logins.clear();
  }

  #expired(session: Session, now: number): boolean {
    return now >= this.expiresAt(session);
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, login] of this.#logins) if (now >= login.expiresAt) this.#logins.delete(key);
    for (const [id, session] of this.#sessions) {
      if (this.#expired(session, now)) this.#sessions.delete(id);
    }
  }
}
