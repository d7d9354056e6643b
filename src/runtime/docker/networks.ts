/**
 * The stack's Docker networks: created when the first container needs one (labelled with the
 * project, so that `orch down` after a crash finds them), reused when they exist, and removed when
 * the runtime closes. External networks are used, never created or removed.
 *
 * @module
 */
import type { NetworkSpec } from "../../domain/mod.ts";
import { type DockerClient, DockerError } from "./client.ts";

/** Labels orch puts on its networks. */
export const NETWORK_LABEL = { project: "orch.project", network: "orch.network" } as const;

/** Creates and removes the networks of one project. */
export class NetworkManager {
  readonly #client: DockerClient;
  readonly #project: string;
  readonly #specs: Readonly<Record<string, NetworkSpec>>;
  readonly #ensured = new Map<string, Promise<string>>();
  readonly #created = new Set<string>();

  constructor(
    client: DockerClient,
    project: string,
    specs: Readonly<Record<string, NetworkSpec>> | undefined,
  ) {
    this.#client = client;
    this.#project = project;
    this.#specs = specs ?? {};
  }

  /** The Docker name of the network with this stack key, created if needed. */
  ensure(key: string): Promise<string> {
    let pending = this.#ensured.get(key);
    if (!pending) {
      pending = this.#ensure(key);
      pending.catch(() => this.#ensured.delete(key));
      this.#ensured.set(key, pending);
    }
    return pending;
  }

  async #ensure(key: string): Promise<string> {
    const spec = this.#specs[key];
    if (!spec) throw new DockerError(`network "${key}" is not declared in the stack`, "config");
    try {
      await this.#client.call("GET", `/networks/${encodeURIComponent(spec.name)}`);
      return spec.name;
    } catch (error) {
      if (!(error instanceof DockerError && error.status === 404)) throw error;
    }
    if (spec.external) {
      throw new DockerError(
        `external network ${spec.name} does not exist: create it first (docker network create ${spec.name})`,
        "notFound",
      );
    }
    try {
      await this.#client.call("POST", "/networks/create", {
        body: {
          Name: spec.name,
          CheckDuplicate: true,
          ...(spec.driver ? { Driver: spec.driver } : {}),
          Internal: spec.internal,
          Labels: {
            ...spec.labels,
            [NETWORK_LABEL.project]: this.#project,
            [NETWORK_LABEL.network]: key,
          },
        },
      });
      this.#created.add(spec.name);
    } catch (error) {
      // Another instance made it at the same moment: use it.
      if (!(error instanceof DockerError && error.status === 409)) {
        throw new DockerError(
          `cannot create network ${spec.name}: ${(error as Error).message}`,
          "api",
        );
      }
    }
    return spec.name;
  }

  /** Removes the networks this manager created (their containers are gone by then). */
  async removeCreated(): Promise<string[]> {
    const removed: string[] = [];
    for (const name of this.#created) {
      try {
        await this.#client.call("DELETE", `/networks/${encodeURIComponent(name)}`);
        removed.push(name);
      } catch {
        // still in use by something else, or gone already
      }
    }
    this.#created.clear();
    return removed;
  }

  /** Removes every network labelled with this project that no container uses. */
  async removeLeftovers(): Promise<string[]> {
    const filters = JSON.stringify({ label: [`${NETWORK_LABEL.project}=${this.#project}`] });
    const list = await this.#client.json<{ Name: string; Id: string }[]>("GET", "/networks", {
      query: { filters },
    });
    const removed: string[] = [];
    for (const n of list) {
      try {
        await this.#client.call("DELETE", `/networks/${n.Id}`);
        removed.push(n.Name);
      } catch {
        // in use
      }
    }
    return removed;
  }
}
