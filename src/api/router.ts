/**
 * Routing by table: each route is a method and an OpenAPI path pattern (`/v1/services/{name}`)
 * with its handler. A path that matches no pattern is a 404; one that matches with another method
 * is a 405 naming the methods it takes. HEAD is GET without the body. Path parameters are
 * percent-decoded here (a malformed escape is a 400).
 *
 * @module
 */
import { UsageError } from "../domain/mod.ts";

/** The methods routes use. */
export type Method = "GET" | "POST";

/** A route: `method path` and its handler, with what it may read (`bodyLimit`, in bytes). */
export interface Route<H> {
  readonly method: Method;
  /** An OpenAPI path: literal segments and `{param}` segments. */
  readonly path: string;
  /** The largest request body this route reads. */
  readonly bodyLimit?: number;
  readonly handle: H;
}

/** What matching a request found. */
export type Matched<H> =
  | { readonly found: "route"; readonly route: Route<H>; readonly params: Record<string, string> }
  | { readonly found: "other-method"; readonly allowed: readonly Method[] }
  | { readonly found: "nothing" };

interface Compiled<H> {
  readonly route: Route<H>;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

/** A path without its trailing slashes (`/` stays `/`). */
export function normalPath(path: string): string {
  return path.replace(/\/+$/, "") || "/";
}

/** A path segment, percent-decoded. @throws {UsageError} for a malformed escape. */
export function segment(raw: string, what: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new UsageError(`${what}: "${raw.slice(0, 80)}" is not a valid percent-encoded name`);
  }
}

function compile<H>(route: Route<H>): Compiled<H> {
  const names: string[] = [];
  const source = route.path.split("/").map((part) => {
    const param = /^\{([A-Za-z]+)\}$/.exec(part);
    if (!param) return part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    names.push(param[1]);
    return "([^/]+)";
  }).join("/");
  return { route, pattern: new RegExp(`^${source}$`), names };
}

/** A table of routes, matched in order. */
export class Router<H> {
  readonly #routes: readonly Compiled<H>[];

  constructor(routes: readonly Route<H>[]) {
    this.#routes = routes.map(compile);
  }

  /** The routes, in order (for the OpenAPI document's check). */
  get routes(): readonly Route<H>[] {
    return this.#routes.map((c) => c.route);
  }

  /** Finds the route of `method path` (HEAD as GET); parameters are decoded. */
  match(method: string, path: string): Matched<H> {
    const wanted = method === "HEAD" ? "GET" : method;
    const allowed: Method[] = [];
    for (const { route, pattern, names } of this.#routes) {
      const hit = pattern.exec(path);
      if (!hit) continue;
      if (route.method !== wanted) {
        if (!allowed.includes(route.method)) allowed.push(route.method);
        continue;
      }
      const params: Record<string, string> = Object.create(null);
      names.forEach((name, i) => (params[name] = segment(hit[i + 1], name)));
      return { found: "route", route, params };
    }
    return allowed.length > 0 ? { found: "other-method", allowed } : { found: "nothing" };
  }
}
