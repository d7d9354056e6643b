/**
 * The OpenAPI 3.1 description of the control API, served at `GET /v1/openapi.json`.
 *
 * @module
 */
import { ERROR_STATUS } from "../control/mod.ts";
import {
  BLOCKED_BECAUSE,
  INSTANCE_STATES,
  LEVELS,
  ORCH_EVENT_TYPES,
  REQUIREMENTS,
} from "../domain/mod.ts";
import { VERSION } from "../version.ts";

const error = { $ref: "#/components/responses/Error" };
const serviceParam = {
  name: "name",
  in: "path",
  required: true,
  schema: { type: "string" },
  description: "service name",
};

/** A JSON object request body; with `required`, the body and those fields are required. */
function jsonBody(properties: Record<string, unknown>, required?: string[]) {
  return {
    ...(required ? { required: true } : {}),
    content: {
      "application/json": {
        schema: { type: "object", ...(required ? { required } : {}), properties },
      },
    },
  };
}

function action(summary: string, extra: Record<string, unknown> = {}) {
  return {
    post: {
      summary,
      parameters: [serviceParam],
      ...extra,
      responses: {
        "200": { description: "done" },
        "202": { description: "accepted" },
        "400": error,
        "401": error,
        "403": error,
        "404": error,
        "409": error,
      },
    },
  };
}

const metrics = {
  get: {
    summary: "Prometheus metrics",
    responses: { "200": { description: "text exposition", content: { "text/plain": {} } } },
  },
};

/** The document. */
export const OPENAPI = {
  openapi: "3.1.0",
  info: {
    title: "orch control API",
    version: VERSION,
    description:
      "Served on the unix socket .orch/orch.sock (no token; the socket is mode 0600) and, with " +
      "`orch up --listen HOST:PORT`, on TCP with a bearer token. A read-only token may call only GET. " +
      "One request per connection; a request head must arrive within 10s (408), a body within " +
      "30s; bodies are limited to 1 MiB (16 MiB for /v1/apply; 413); each listener holds at most " +
      "256 connections (503 beyond).",
  },
  security: [{ bearer: [] }],
  paths: {
    "/v1/health": {
      get: {
        summary: "whether orch answers, and what it runs",
        responses: { "200": { description: "ok", content: { "application/json": {} } } },
      },
    },
    "/v1/status": {
      get: {
        summary: "stack, per-service summary and per-instance status",
        parameters: [{
          name: "usage",
          in: "query",
          schema: { type: "boolean", default: true },
          description: "include CPU and memory",
        }],
        responses: {
          "200": {
            description: "status",
            content: { "application/json": { schema: { $ref: "#/components/schemas/Status" } } },
          },
        },
      },
    },
    "/v1/services": {
      get: { summary: "the services", responses: { "200": { description: "list" } } },
    },
    "/v1/services/{name}": {
      get: {
        summary: "one service and its instances",
        parameters: [serviceParam],
        responses: { "200": { description: "service" }, "404": error },
      },
    },
    "/v1/services/{name}/start": action("want the service up"),
    "/v1/services/{name}/stop": action("stop the service (its dependents are left as they are)"),
    "/v1/services/{name}/restart": action(
      "restart; answers once the new instances are ready (or completed), 409 naming what failed; " +
        "replicas of a rolling service in batches, each ready before the next",
    ),
    "/v1/services/{name}/scale": action("set the number of replicas", {
      requestBody: jsonBody({ replicas: { type: "integer", minimum: 0 } }, ["replicas"]),
    }),
    "/v1/services/{name}/send": action("write a line to the service's stdin", {
      requestBody: jsonBody({ text: { type: "string" } }, ["text"]),
    }),
    "/v1/logs": {
      get: {
        summary: "log records as NDJSON; with follow, new ones as they come",
        parameters: [
          {
            name: "service",
            in: "query",
            schema: { type: "array", items: { type: "string" } },
            explode: true,
          },
          {
            name: "since",
            in: "query",
            schema: { type: "string" },
            description: "10m, or an ISO 8601 time",
          },
          { name: "tail", in: "query", schema: { type: "integer", minimum: 0 } },
          {
            name: "level",
            in: "query",
            schema: { enum: [...LEVELS] },
          },
          { name: "follow", in: "query", schema: { type: "boolean" } },
        ],
        responses: {
          "200": {
            description: "records",
            content: {
              "application/x-ndjson": { schema: { $ref: "#/components/schemas/LogRecord" } },
            },
          },
          "400": error,
          "404": error,
        },
      },
    },
    "/v1/events": {
      get: {
        summary: "orch's events as server-sent events, from the moment of the request (event: " +
          `${ORCH_EVENT_TYPES.join(", ")}; run and task are the flows' events)`,
        responses: { "200": { description: "stream", content: { "text/event-stream": {} } } },
      },
    },
    "/v1/apply": {
      post: {
        summary: "plan (dryRun) or apply a changed stack; unchanged services are not touched. " +
          "Give the stack's content (content, or documents), or files inside the project " +
          "directory, or neither (the files of the run are read again). Bodies up to 16 MiB.",
        requestBody: jsonBody({
          content: { type: "string", description: "one stack file's text" },
          format: { enum: ["yaml", "toml"], description: "with content; default yaml" },
          name: {
            type: "string",
            description: "with content: its path relative to the project (default stack.yaml)",
          },
          documents: {
            type: "array",
            description: "several stack files, later ones override earlier ones",
            items: {
              type: "object",
              required: ["content"],
              properties: {
                content: { type: "string" },
                format: { enum: ["yaml", "toml"] },
                name: { type: "string" },
              },
            },
          },
          files: {
            type: "array",
            items: { type: "string" },
            description: "stack files (.yaml, .yml, .toml) inside the project directory, " +
              "after symlinks; anything else is 403",
          },
          dryRun: { type: "boolean" },
        }),
        responses: {
          "200": { description: "plan and failures" },
          "400": error,
          "403": error,
          "409": error,
          "413": error,
          "422": error,
        },
      },
    },
    "/v1/ui": {
      post: {
        summary: "a one-time login URL for the web dashboard, its listener started if it is off",
        description: "`path` (`/ui/login?token=...`) works once, within 10 minutes, on the " +
          "dashboard's listener: `listen`, or (when absent) the listener that answered. A " +
          "read-only caller may ask only for a read-only session.",
        requestBody: jsonBody({
          access: { type: "string", enum: ["admin", "read"], description: "default: the caller's" },
          listen: {
            type: "string",
            description: "HOST:PORT if the dashboard is off (127.0.0.1:0)",
          },
        }),
        responses: {
          "200": { description: "{path, listen?, access, expiresAt}" },
          "400": error,
          "401": error,
          "403": error,
          "409": error,
        },
      },
    },
    "/v1/shutdown": {
      post: {
        summary: "stop the stack in reverse dependency order and exit",
        requestBody: jsonBody({ timeout: { type: "string", description: "e.g. 30s" } }),
        responses: { "202": { description: "stopping" } },
      },
    },
    "/metrics": metrics,
    "/v1/metrics": metrics,
    "/v1/openapi.json": {
      get: { summary: "this document", responses: { "200": { description: "OpenAPI" } } },
    },
  },
  components: {
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
    responses: {
      Error: {
        description: "an error",
        content: {
          "application/json": {
            schema: {
              type: "object",
              properties: {
                error: {
                  type: "object",
                  properties: {
                    kind: { enum: Object.keys(ERROR_STATUS) },
                    message: { type: "string" },
                    issues: { type: "array" },
                  },
                },
              },
            },
          },
        },
      },
    },
    schemas: {
      LogRecord: {
        type: "object",
        properties: {
          ts: { type: "string", format: "date-time" },
          seq: { type: "integer" },
          service: { type: "string" },
          replica: { type: "integer" },
          stream: { enum: ["stdout", "stderr", "orch"] },
          level: { enum: [...LEVELS] },
          msg: { type: "string" },
        },
      },
      Instance: {
        type: "object",
        properties: {
          service: { type: "string" },
          replica: { type: "integer" },
          id: { type: "string" },
          state: {
            enum: [...INSTANCE_STATES],
          },
          want: { enum: ["up", "down"] },
          pid: { type: "integer" },
          restarts: { type: "integer" },
          startedAt: { type: "integer" },
          readyAt: { type: "integer" },
          since: { type: "integer" },
          message: { type: "string" },
          blocked: {
            type: "object",
            description: "Why a waiting instance cannot start yet (or why it failed waiting)",
            properties: {
              target: { type: "string" },
              condition: { enum: [...REQUIREMENTS] },
              because: { enum: [...BLOCKED_BECAUSE] },
              detail: { type: "string" },
              timeoutMs: { type: "integer" },
            },
          },
          logFile: {
            type: "object",
            description: "Set while the service's logFile cannot be written",
            properties: {
              path: { type: "string" },
              error: { type: "string" },
              lostRecords: { type: "integer" },
            },
          },
          probes: { type: "object" },
          usage: {
            type: "object",
            properties: { cpuSeconds: { type: "number" }, rssBytes: { type: "integer" } },
          },
        },
      },
      Status: {
        type: "object",
        properties: {
          stack: { type: "string" },
          version: { type: "string" },
          pid: { type: "integer" },
          startedAt: { type: "integer" },
          phase: { enum: ["running", "stopping"] },
          services: { type: "array" },
          instances: { type: "array", items: { $ref: "#/components/schemas/Instance" } },
        },
      },
    },
  },
} as const;
