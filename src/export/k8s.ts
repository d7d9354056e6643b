/**
 * Stack -> Kubernetes manifests: a Deployment per long-running container service (replicas, rolling
 * update from maxUnavailable/maxSurge), a Job per oneshot, a Service for its ports, probes from
 * orch's probes (startup, readiness, liveness), init containers that wait for each dependency with
 * `kubectl wait` (and the ServiceAccount and Role they need), Secrets and ConfigMaps for env files,
 * PersistentVolumeClaims for named volumes. What Kubernetes cannot express is reported per service.
 *
 * Scheduled flows become CronJobs through `ExportK8sOptions.generators` (added with flows).
 *
 * @module
 */
import { argvOf, parseHostPort, type Service, type Stack } from "../domain/mod.ts";
import { exportable, type Exported, literal, Notes, portsOf } from "./notes.ts";
import { containerPortFor } from "./notes.ts";

/** One manifest. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly labels?: Record<string, string>;
    readonly annotations?: Record<string, string>;
  };
  readonly [field: string]: unknown;
}

/** Adds manifests for parts of the stack this module does not know (flows -> CronJobs). */
export type K8sGenerator = (stack: Stack, notes: Notes) => K8sObject[];

/** Options of the Kubernetes export. */
export interface ExportK8sOptions {
  /** Contents of the services' env files, by absolute path (read by the caller). */
  readonly envFiles?: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** The image of the init containers that wait for dependencies (it needs kubectl and sh). */
  readonly waitImage?: string;
  /** More manifests: scheduled flows as CronJobs plug in here. */
  readonly generators?: readonly K8sGenerator[];
}

/** The default image of the waiting init containers. */
export const WAIT_IMAGE = "bitnami/kubectl:latest";
const STARTUP_BUDGET_S = 300;

/** A DNS-1123 label (lowercase letters, digits, `-`; starts with a letter), at most 63 long. */
export function k8sName(name: string): string {
  const out = name.toLowerCase().replace(/[^a-z0-9-]+/g, "-").replace(/^[^a-z]+/, "").replace(
    /-+$/,
    "",
  )
    .slice(0, 63).replace(/-+$/, "");
  return out || "x";
}

const seconds = (ms: number, min = 0) => Math.max(min, Math.ceil(ms / 1000));
/** Kubernetes expands `$(VAR)` in commands and env values: a literal one is `$$(VAR)`. */
const escape = (text: string) => text.replaceAll("$(", "$$$$(");

function isSecretFile(path: string): boolean {
  return /(^|\/)\.env|\.env$|secret|password|token|credential|key/i.test(
    path.slice(path.lastIndexOf("/") + 1),
  );
}

function probeHandler(
  svc: Service,
  stack: Stack,
  note: (m: string) => void,
): Record<string, unknown> | undefined {
  const h = svc.health;
  if (!h) return undefined;
  if (h.log) note("the log probe has no Kubernetes equivalent: not probed");
  if (h.expression && JSON.stringify(h.expression).includes('"or"')) {
    note("the health expression uses ||, which Kubernetes probes cannot express: not probed");
    return undefined;
  }
  const kinds = (["http", "tcp", "cmd"] as const).filter((k) => h[k]);
  if (kinds.length > 1) {
    note(
      `Kubernetes probes run one check: ${kinds[0]} is used, ${kinds.slice(1).join(", ")} left out`,
    );
  }
  const kind = kinds[0];
  if (kind === "http") {
    const url = new URL(literal(h.http!.url, svc, stack, note));
    const port = containerPortFor(
      svc,
      url.hostname.replace(/^\[|\]$/g, ""),
      Number(url.port || (url.protocol === "https:" ? 443 : 80)),
    );
    if (port === undefined) {
      note(`the http probe ${url.href} does not reach a published port: not probed`);
      return undefined;
    }
    const headers = Object.entries(h.http!.headers).map(([name, value]) => ({ name, value }));
    if (h.http!.method !== "GET") {
      note(`the http probe's method ${h.http!.method}: Kubernetes sends GET`);
    }
    return {
      httpGet: {
        path: `${url.pathname}${url.search}`,
        port,
        scheme: url.protocol === "https:" ? "HTTPS" : "HTTP",
        ...(headers.length ? { httpHeaders: headers } : {}),
      },
    };
  }
  if (kind === "tcp") {
    const addr = parseHostPort(literal(h.tcp!.address, svc, stack, note));
    const port = addr && containerPortFor(svc, addr.host, addr.port);
    if (!port) {
      note(`the tcp probe ${h.tcp!.address} does not reach a published port: not probed`);
      return undefined;
    }
    return { tcpSocket: { port } };
  }
  if (kind === "cmd") {
    if (!h.cmd!.inContainer) note("the cmd probe runs inside the container, not on the host");
    return { exec: { command: argvOf(h.cmd!.command).map((a) => literal(a, svc, stack, note)) } };
  }
  return undefined;
}

function probes(svc: Service, stack: Stack, note: (m: string) => void): Record<string, unknown> {
  const h = svc.health;
  const handler = probeHandler(svc, stack, note);
  if (!h || !handler) return {};
  const timing = {
    periodSeconds: seconds(h.intervalMs, 1),
    timeoutSeconds: seconds(h.timeoutMs, 1),
  };
  const out: Record<string, unknown> = {};
  if (svc.kind === "service") {
    out.startupProbe = {
      ...handler,
      ...timing,
      initialDelaySeconds: seconds(h.gracePeriodMs),
      failureThreshold: Math.max(
        h.failureThreshold,
        Math.ceil(STARTUP_BUDGET_S / timing.periodSeconds),
      ),
    };
    out.readinessProbe = {
      ...handler,
      ...timing,
      successThreshold: h.successThreshold,
      failureThreshold: h.failureThreshold,
    };
  }
  if (svc.restart.mode !== "never") {
    out.livenessProbe = {
      ...handler,
      ...timing,
      failureThreshold: h.failureThreshold,
      ...(svc.kind === "daemon" ? { initialDelaySeconds: seconds(h.gracePeriodMs) } : {}),
    };
  }
  return out;
}

/** Exports the stack as Kubernetes manifests. */
export function exportK8s(stack: Stack, options: ExportK8sOptions = {}): Exported<K8sObject[]> {
  const notes = new Notes();
  const objects: K8sObject[] = [];
  const partOf = k8sName(stack.name);
  const included = new Map(
    Object.values(stack.services).filter(exportable).map((s) => [s.name, s]),
  );
  const waitAccount = `${partOf}-orch-wait`;
  let waits = false;
  const claims = new Set<string>();
  for (const svc of Object.values(stack.services)) {
    const note = notes.for(svc.name);
    if (!included.has(svc.name)) {
      note("a process service without an image: not exported (it runs on the host)");
      continue;
    }
    const name = k8sName(svc.name);
    if (name !== svc.name) {
      note(`named ${name} (Kubernetes names are lowercase letters, digits and -)`);
    }
    const labels = { "app.kubernetes.io/name": name, "app.kubernetes.io/part-of": partOf };
    const text = (s: string) => escape(literal(s, svc, stack, note));
    const envFrom: Record<string, unknown>[] = [];
    svc.envFiles.forEach((file, i) => {
      const data = options.envFiles?.get(file) ?? {};
      const objName = k8sName(`${name}-env-${i}`);
      const secret = isSecretFile(file);
      objects.push({
        apiVersion: "v1",
        kind: secret ? "Secret" : "ConfigMap",
        metadata: { name: objName, labels, annotations: { "orch.dev/env-file": file } },
        ...(secret ? { type: "Opaque", stringData: { ...data } } : { data: { ...data } }),
      });
      envFrom.push(secret ? { secretRef: { name: objName } } : { configMapRef: { name: objName } });
    });
    const volumes: Record<string, unknown>[] = [];
    const mounts: Record<string, unknown>[] = [];
    svc.volumes.forEach((v, i) => {
      const [source, target, mode] = v.split(":");
      if (target === undefined) {
        volumes.push({ name: `v${i}`, emptyDir: {} });
        mounts.push({ name: `v${i}`, mountPath: source });
      } else if (source.startsWith("/")) {
        note(`the bind mount ${source} has no place on a cluster: not mounted at ${target}`);
      } else {
        const claim = k8sName(source);
        if (!claims.has(claim)) {
          claims.add(claim);
          objects.push({
            apiVersion: "v1",
            kind: "PersistentVolumeClaim",
            metadata: { name: claim, labels: { "app.kubernetes.io/part-of": partOf } },
            spec: { accessModes: ["ReadWriteOnce"], resources: { requests: { storage: "1Gi" } } },
          });
        }
        volumes.push({ name: `v${i}`, persistentVolumeClaim: { claimName: claim } });
        mounts.push({
          name: `v${i}`,
          mountPath: target,
          ...(mode === "ro" ? { readOnly: true } : {}),
        });
      }
    });
    const command = svc.command ? argvOf(svc.command).map(text) : undefined;
    const user = svc.user && /^\d+$/.test(svc.user) ? Number(svc.user) : undefined;
    if (svc.user && user === undefined) note(`user ${svc.user}: Kubernetes needs a numeric uid`);
    const group = svc.group && /^\d+$/.test(svc.group) ? Number(svc.group) : undefined;
    const container = {
      name,
      image: svc.image,
      ...(svc.entrypoint ? { command: svc.entrypoint.map(text) } : {}),
      ...(command ? { args: command } : {}),
      ...(Object.keys(svc.env).length
        ? { env: Object.entries(svc.env).map(([k, v]) => ({ name: k, value: text(v) })) }
        : {}),
      ...(envFrom.length ? { envFrom } : {}),
      ...(portsOf(svc, note).length
        ? {
          ports: portsOf(svc, note).map((p) => ({
            containerPort: p.containerPort,
            protocol: p.protocol.toUpperCase(),
          })),
        }
        : {}),
      ...(svc.workdir !== stack.workdir ? { workingDir: svc.workdir } : {}),
      ...(mounts.length ? { volumeMounts: mounts } : {}),
      ...(user !== undefined
        ? {
          securityContext: {
            runAsUser: user,
            ...(group !== undefined ? { runAsGroup: group } : {}),
          },
        }
        : {}),
      ...(svc.tty ? { tty: true, stdin: true } : {}),
      ...probes(svc, stack, note),
    };
    const initContainers = svc.dependsOn.flatMap((d) => {
      const target = included.get(d.target);
      if (!target) {
        note(`depends on ${d.target}, which is not exported: not waited for`);
        return [];
      }
      waits = true;
      const what = target.kind === "oneshot"
        ? `--for=condition=complete job/${k8sName(d.target)}`
        : `--for=condition=available deployment/${k8sName(d.target)}`;
      if (d.require === "started" || d.require === "exists") {
        note(`waits for ${d.target} to be available, not only started`);
      }
      return [{
        name: k8sName(`wait-${d.target}`),
        image: options.waitImage ?? WAIT_IMAGE,
        command: ["sh", "-c", `until kubectl wait ${what} --timeout=30s; do sleep 2; done`],
      }];
    });
    if (svc.stop.signal !== "SIGTERM") {
      note(`stop signal ${svc.stop.signal}: Kubernetes sends SIGTERM`);
    }
    if (svc.network === "host") note("network host: hostNetwork is set");
    if (svc.preScript || svc.postScript) {
      note("preScript and postScript run on the host: not exported");
    }
    const podSpec = {
      ...(initContainers.length ? { initContainers, serviceAccountName: waitAccount } : {}),
      containers: [container],
      terminationGracePeriodSeconds: seconds(svc.stop.timeoutMs),
      ...(volumes.length ? { volumes } : {}),
      ...(svc.network === "host" ? { hostNetwork: true } : {}),
    };
    const annotations = Object.keys(svc.labels).length
      ? { "orch.dev/labels": JSON.stringify(svc.labels) }
      : undefined;
    const metadata = { name, labels, ...(annotations ? { annotations } : {}) };
    if (svc.kind === "oneshot") {
      objects.push({
        apiVersion: "batch/v1",
        kind: "Job",
        metadata,
        spec: {
          completions: svc.replicas,
          parallelism: svc.replicas,
          backoffLimit: svc.restart.mode === "never"
            ? 0
            : Number.isFinite(svc.restart.maxRetries)
            ? svc.restart.maxRetries
            : 1000,
          template: {
            metadata: { labels },
            spec: {
              ...podSpec,
              restartPolicy: svc.restart.mode === "never" ? "Never" : "OnFailure",
            },
          },
        },
      });
    } else {
      if (svc.restart.mode === "never") {
        note("restartPolicy never: a Deployment always restarts its pods");
      }
      const u = svc.update;
      objects.push({
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata,
        spec: {
          replicas: svc.replicas,
          selector: { matchLabels: labels },
          strategy: u.strategy === "recreate" ? { type: "Recreate" } : {
            type: "RollingUpdate",
            rollingUpdate: { maxUnavailable: u.maxUnavailable, maxSurge: u.maxSurge },
          },
          template: { metadata: { labels }, spec: { ...podSpec, restartPolicy: "Always" } },
        },
      });
    }
    if (portsOf(svc, note).length > 0) {
      objects.push({
        apiVersion: "v1",
        kind: "Service",
        metadata: { name, labels },
        spec: {
          selector: labels,
          ports: portsOf(svc, note).map((p) => ({
            name: `${p.protocol}-${p.containerPort}`,
            port: p.hostPort ?? p.containerPort,
            targetPort: p.containerPort,
            protocol: p.protocol.toUpperCase(),
          })),
        },
      });
    }
  }
  if (waits) {
    const meta = { name: waitAccount, labels: { "app.kubernetes.io/part-of": partOf } };
    objects.unshift(
      { apiVersion: "v1", kind: "ServiceAccount", metadata: meta },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "Role",
        metadata: meta,
        rules: [
          { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch"] },
          { apiGroups: ["batch"], resources: ["jobs"], verbs: ["get", "list", "watch"] },
        ],
      },
      {
        apiVersion: "rbac.authorization.k8s.io/v1",
        kind: "RoleBinding",
        metadata: meta,
        subjects: [{ kind: "ServiceAccount", name: waitAccount }],
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: waitAccount },
      },
    );
  }
  for (const generate of options.generators ?? []) objects.push(...generate(stack, notes));
  return { document: objects, notes: notes.all };
}
