/**
 * A cache of loaded projects in `.orch/cache/`, so that a command that reads an unchanged config
 * (`validate`, `up`) needs neither the YAML and TOML parsers nor the schemas. A load records what
 * it depended on (every file read and its content's hash, every file looked for, every directory
 * listed, every variable looked up, and HOME); an entry is used only when all of that is still so,
 * and only a load that succeeded is kept: a config with errors is loaded again each time, so that
 * each error keeps its file, line, column and field path. Entries are written atomically, private
 * to orch's user, and read only when they are orch's user's own. `ORCH_CONFIG_CACHE=off` turns the
 * cache off.
 *
 * @module
 */
import { VERSION } from "../../version.ts";
import type { LoaderFs } from "../fs.ts";

/** What a load depended on. */
export interface Deps {
  /** Files read: path and the SHA-256 of the text, or null when it could not be read. */
  readonly files: [string, string | null][];
  /** Paths looked at: what each was (`file`, `dir`, `other`), or null when missing. */
  readonly stats: [string, string | null][];
  /** Directories listed: path and its entries (`f:name`, `d:name`, `o:name`), sorted. */
  readonly dirs: [string, string[]][];
  /** Variables looked up and their values (null when unset). */
  readonly env: [string, string | null][];
}

const encoder = new TextEncoder();

async function sha256(text: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
  return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
}

const kindOf = (info: Deno.FileInfo) => (info.isFile ? "file" : info.isDirectory ? "dir" : "other");
const entryOf = (e: Deno.DirEntry) => `${e.isFile ? "f" : e.isDirectory ? "d" : "o"}:${e.name}`;

/** Reads the file system and the environment for a load, and records what it saw. */
export class Recorder {
  readonly #files = new Map<string, Promise<string | null>>();
  readonly #stats = new Map<string, string | null>();
  readonly #dirs = new Map<string, string[]>();
  readonly #env = new Map<string, string | null>();
  readonly #lookup: (name: string) => string | undefined;

  constructor(env: (name: string) => string | undefined) {
    this.#lookup = env;
  }

  /**
   * Reads a text file (as `Deno.readTextFile`), recording its hash. The reads, stats and listings
   * of a load are a few small ones: synchronous, as an awaited one costs far more.
   */
  readonly read = (path: string): Promise<string> => {
    try {
      const text = Deno.readTextFileSync(path);
      this.#files.set(path, sha256(text));
      return Promise.resolve(text);
    } catch (error) {
      this.#files.set(path, Promise.resolve(null));
      return Promise.reject(error);
    }
  };

  /** Looks a variable up, recording its value. */
  readonly env = (name: string): string | undefined => {
    const value = this.#lookup(name);
    if (!this.#env.has(name)) this.#env.set(name, value ?? null);
    return value;
  };

  /** The file system as the loader sees it, recorded. */
  readonly fs: LoaderFs = {
    stat: (path) => {
      try {
        const info = Deno.statSync(path);
        this.#stats.set(path, kindOf(info));
        return Promise.resolve(info);
      } catch (error) {
        this.#stats.set(path, null);
        return Promise.reject(error);
      }
    },
    readDir: (path) => {
      try {
        const entries = [...Deno.readDirSync(path)];
        this.#dirs.set(path, entries.map(entryOf).sort());
        return Promise.resolve(entries);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };

  /** What was seen so far. */
  async deps(): Promise<Deps> {
    const files: [string, string | null][] = [];
    for (const [path, hash] of this.#files) files.push([path, await hash]);
    this.env("HOME");
    return {
      files,
      stats: [...this.#stats],
      dirs: [...this.#dirs],
      env: [...this.#env],
    };
  }
}

/**
 * Whether everything a load depended on is as it was; `env` looks variables up now. The checks
 * are synchronous: a few small files, stats and listings, where each awaited one costs a trip
 * through Deno's thread pool (the cache's reads and writes were 3-5 ms of `orch validate`).
 */
export async function depsHold(
  deps: Deps,
  env: (name: string) => string | undefined,
): Promise<boolean> {
  for (const [name, value] of deps.env) if ((env(name) ?? null) !== value) return false;
  for (const [path, kind] of deps.stats) {
    let now: string | null;
    try {
      now = kindOf(Deno.statSync(path));
    } catch {
      now = null;
    }
    if (now !== kind) return false;
  }
  for (const [path, entries] of deps.dirs) {
    try {
      const now = [...Deno.readDirSync(path)].map(entryOf).sort();
      if (now.join("\n") !== entries.join("\n")) return false;
    } catch {
      return false;
    }
  }
  const hashes: Promise<boolean>[] = [];
  for (const [path, hash] of deps.files) {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch {
      if (hash !== null) return false; // still unreadable, or not
      continue;
    }
    if (hash === null) return false;
    hashes.push(sha256(text).then((now) => now === hash));
  }
  return (await Promise.all(hashes)).every(Boolean);
}

/**
 * Values as JSON that keep what JSON loses: objects without a prototype, keys whose value is
 * undefined, non-finite numbers, and which objects and arrays are frozen. Composite values are
 * tagged arrays (`["o"|"n", frozen, key, value, ...]`, `["a", frozen, ...items]`), so that no
 * string or number is ever mistaken for one.
 *
 * @throws {TypeError} for anything else (a class instance, a function): such a value is not cached.
 */
export function encode(value: unknown): unknown {
  if (value === null || typeof value === "string" || typeof value === "boolean") return value;
  if (typeof value === "number") {
    if (Object.is(value, -0)) return ["i", "-0"]; // String(-0) is "0"
    return Number.isFinite(value) ? value : ["i", String(value)];
  }
  if (value === undefined) return ["u"];
  if (typeof value !== "object") throw new TypeError(`cannot cache a ${typeof value}`);
  const frozen = Object.isFrozen(value) ? 1 : 0;
  if (Array.isArray(value)) return ["a", frozen, ...value.map(encode)];
  const proto = Object.getPrototypeOf(value);
  if (proto !== null && proto !== Object.prototype) {
    throw new TypeError(`cannot cache a ${proto?.constructor?.name ?? "object"}`);
  }
  const out: unknown[] = [proto === null ? "n" : "o", frozen];
  for (const key of Object.keys(value)) {
    out.push(key, encode((value as Record<string, unknown>)[key]));
  }
  return out;
}

/** The value {@link encode} encoded. */
export function decode(encoded: unknown): unknown {
  if (!Array.isArray(encoded)) return encoded;
  const tag = encoded[0];
  if (tag === "u") return undefined;
  if (tag === "i") return Number(encoded[1]);
  let out: unknown;
  if (tag === "a") out = encoded.slice(2).map(decode);
  else if (tag === "o" || tag === "n") {
    const object: Record<string, unknown> = tag === "n" ? Object.create(null) : {};
    for (let i = 2; i < encoded.length; i += 2) {
      // defineProperty: a key named __proto__ is a key like any other.
      Object.defineProperty(object, encoded[i] as string, {
        value: decode(encoded[i + 1]),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    out = object;
  } else throw new TypeError(`not an encoded value: ${JSON.stringify(tag)}`);
  if (encoded[1] === 1) Object.freeze(out);
  return out;
}

/**
 * What the code that loads depends on: orch's version and, run from source, the times of the
 * loader's files (`src/config/`, `src/domain/`) and of deno.lock (the libraries' versions).
 */
async function codeFingerprint(): Promise<string> {
  // Run from source, the program is main.ts beside src/ (a bundle or a binary has no src/).
  const main = new URL(Deno.mainModule);
  if (main.protocol !== "file:" || !main.pathname.endsWith("/main.ts")) return VERSION;
  const root = new URL("./src/", main);
  const stamps: string[] = [VERSION];
  // Synchronous: some 80 files, each stat a few microseconds (an awaited one costs far more).
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory) walk(path);
      else if (entry.name.endsWith(".ts")) {
        stamps.push(`${path}:${Deno.statSync(path).mtime?.getTime()}`);
      }
    }
  };
  try {
    const src = decodeURIComponent(root.pathname).replace(/\/$/, "");
    walk(`${src}/config`);
    walk(`${src}/domain`);
    // The parsers' and schema library's versions.
    const lock = `${src.replace(/\/src$/, "")}/deno.lock`;
    stamps.push(`${lock}:${Deno.statSync(lock).mtime?.getTime()}`);
  } catch {
    // bundled: the version says it
  }
  return await Promise.resolve(stamps.sort().join("\n"));
}

/** The name of a load's entry: what was asked (files, directory, options) and the loader's code. */
export async function cacheKey(request: unknown): Promise<string> {
  return (await sha256(`${await codeFingerprint()}\n${JSON.stringify(request)}`)).slice(0, 32);
}

/** An entry: a load's result (encoded) and what it depended on. */
export interface Entry {
  readonly deps: Deps;
  readonly value: unknown;
}

/** Whether the cache is on (`ORCH_CONFIG_CACHE` is not `off`, `0` or `false`). */
export function cacheEnabled(env: (name: string) => string | undefined): boolean {
  return !/^(off|0|false|no)$/i.test(env("ORCH_CONFIG_CACHE") ?? "");
}

/** The entry `key` in `dir`, if there is one orch's user wrote. */
export function readEntry(dir: string, key: string): Entry | undefined {
  const path = `${dir}/config-${key}.json`;
  try {
    const info = Deno.lstatSync(path);
    // A plain file (not a link), nobody else's, and not one others may change.
    if (!info.isFile) return undefined;
    if (info.uid !== null && info.uid !== Deno.uid()) return undefined;
    if (info.mode !== null && (info.mode & 0o022) !== 0) return undefined;
    const entry = JSON.parse(Deno.readTextFileSync(path));
    return entry && Array.isArray(entry.deps?.files) ? entry : undefined;
  } catch {
    return undefined;
  }
}

/** The most entries kept in a cache directory; older ones go. */
const KEEP = 8;

/**
 * Writes the entry `key` in `dir` atomically (mode 0600, the directory 0700); errors are ignored.
 * Synchronous, as the reads are: one small file and a short listing.
 */
export function writeEntry(dir: string, key: string, entry: Entry): void {
  const path = `${dir}/config-${key}.json`;
  const temp = `${path}.${Deno.pid}-${crypto.randomUUID().slice(0, 8)}.tmp`;
  let created = false;
  try {
    Deno.mkdirSync(dir, { recursive: true, mode: 0o700 });
    // createNew: never through a file or link already there.
    Deno.writeTextFileSync(temp, JSON.stringify(entry), { mode: 0o600, createNew: true });
    created = true;
    Deno.renameSync(temp, path);
    const entries: { name: string; at: number }[] = [];
    for (const e of Deno.readDirSync(dir)) {
      if (!/^config-[0-9a-f]+\.json$/.test(e.name)) continue;
      entries.push({ name: e.name, at: Deno.statSync(`${dir}/${e.name}`).mtime?.getTime() ?? 0 });
    }
    entries.sort((a, b) => b.at - a.at);
    for (const old of entries.slice(KEEP)) {
      try {
        Deno.removeSync(`${dir}/${old.name}`);
      } catch {
        // gone already
      }
    }
  } catch {
    // a read-only project: no cache
    if (created) {
      try {
        Deno.removeSync(temp);
      } catch {
        // nothing to remove
      }
    }
  }
}
