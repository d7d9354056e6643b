/**
 * The exporters on one stack: Kubernetes manifests validated against the API's schemas offline
 * (kubernetes-models), the Compose document's shape, the Swarm plan, and what each reports.
 */
import { assert, assertEquals, assertMatch } from "../assert.ts";
import { loadStack } from "../../src/config/load.ts";
import { exportK8s, type K8sObject } from "../../src/export/k8s.ts";
import { exportCompose } from "../../src/export/compose.ts";
import { swarmPlan } from "../../src/export/swarm.ts";
import { Deployment } from "kubernetes-models/apps/v1/Deployment";
import { Job } from "kubernetes-models/batch/v1/Job";
import { ConfigMap } from "kubernetes-models/v1/ConfigMap";
import { PersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import { Secret } from "kubernetes-models/v1/Secret";
import { Service } from "kubernetes-models/v1/Service";
import { ServiceAccount } from "kubernetes-models/v1/ServiceAccount";
import { Role } from "kubernetes-models/rbac.authorization.k8s.io/v1/Role";
import { RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1/RoleBinding";

const here = new URL(".", import.meta.url).pathname;
const file = `${here}fixture.yaml`;

// deno-lint-ignore no-explicit-any
const MODELS: Record<string, new (data: any) => { validate(): void }> = {
  Deployment,
  Job,
  ConfigMap,
  PersistentVolumeClaim,
  Secret,
  Service,
  ServiceAccount,
  Role,
  RoleBinding,
};

async function k8s() {
  const { stack } = await loadStack([file], { env: () => undefined });
  return exportK8s(stack, { envFiles: new Map([[`${here}db.env`, { DB_PASSWORD: "hunter2" }]]) });
}

const find = (objects: readonly K8sObject[], kind: string, name: string) => {
  const hit = objects.find((o) => o.kind === kind && o.metadata.name === name);
  assert(
    hit,
    `${kind}/${name} among ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(", ")}`,
  );
  // deno-lint-ignore no-explicit-any
  return hit as any;
};

Deno.test("k8s: every manifest validates against the Kubernetes API schemas", async () => {
  const { document } = await k8s();
  assert(document.length >= 10, `${document.length} objects`);
  for (const object of document) {
    const Model = MODELS[object.kind];
    assert(Model, `a schema for ${object.kind}`);
    try {
      new Model(structuredClone(object)).validate();
    } catch (error) {
      throw new Error(`${object.kind}/${object.metadata.name}: ${(error as Error).message}`);
    }
  }
  // A broken manifest is caught (the check can fail).
  const broken = structuredClone(find(document, "Deployment", "api"));
  broken.spec.replicas = "three";
  let caught = false;
  try {
    new Deployment(broken).validate();
  } catch {
    caught = true;
  }
  assert(caught, "an invalid Deployment fails validation");
});

Deno.test("k8s: Deployments with replicas and rolling updates, Jobs, Services, probes and init containers", async () => {
  const { document } = await k8s();
  const api = find(document, "Deployment", "api");
  assertEquals(api.spec.replicas, 3);
  assertEquals(api.spec.strategy, {
    type: "RollingUpdate",
    rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
  });
  const c = api.spec.template.spec.containers[0];
  assertEquals(c.args, ["sh", "-c", "exec httpd -f -p 8080"]);
  assertEquals(c.env, [{ name: "MODE", value: "prod" }, {
    name: "LITERAL",
    value: "$$(not-expanded)",
  }]);
  assertEquals(c.readinessProbe.httpGet, {
    path: "/health",
    port: 8080,
    scheme: "HTTP",
    httpHeaders: [{ name: "X-Check", value: "1" }],
  });
  assertEquals(c.readinessProbe.successThreshold, 2);
  assertEquals(c.livenessProbe.httpGet.port, 8080);
  assert(c.startupProbe.failureThreshold >= 300, "the startup probe waits like orch does");
  assertEquals(c.securityContext, { runAsUser: 1000, runAsGroup: 1000 });
  assertEquals(api.spec.template.spec.terminationGracePeriodSeconds, 20);
  assertEquals(api.spec.template.spec.initContainers.map((i: { name: string }) => i.name), [
    "wait-db",
    "wait-migrate",
  ]);
  assertMatch(
    api.spec.template.spec.initContainers[1].command[2],
    /kubectl wait --for=condition=complete job\/migrate/,
  );
  assertEquals(api.spec.template.spec.serviceAccountName, "shop-orch-wait");
  const db = find(document, "Deployment", "db");
  assertEquals(db.spec.template.spec.containers[0].readinessProbe.tcpSocket, { port: 5432 });
  assertEquals(db.spec.template.spec.containers[0].startupProbe.initialDelaySeconds, 3);
  assertEquals(db.spec.template.spec.containers[0].envFrom, [{ secretRef: { name: "db-env-0" } }]);
  assertEquals(find(document, "Secret", "db-env-0").stringData, { DB_PASSWORD: "hunter2" });
  assertEquals(find(document, "PersistentVolumeClaim", "dbdata").spec.accessModes, [
    "ReadWriteOnce",
  ]);
  assertEquals(find(document, "Service", "db").spec.ports, [{
    name: "tcp-5432",
    port: 15432,
    targetPort: 5432,
    protocol: "TCP",
  }]);
  const migrate = find(document, "Job", "migrate");
  assertEquals([migrate.spec.backoffLimit, migrate.spec.template.spec.restartPolicy], [
    2,
    "OnFailure",
  ]);
  assertEquals(migrate.spec.template.spec.containers[0].args, ["echo", "migrated $HOME"]);
  assertEquals(find(document, "Deployment", "web").spec.strategy, { type: "Recreate" });
  assertEquals(find(document, "Role", "shop-orch-wait").rules.length, 2);
});

Deno.test("k8s and compose: what cannot be mapped is reported per service", async () => {
  const { notes } = await k8s();
  const of = (service: string) =>
    notes.filter((n) => n.service === service).map((n) => n.message).join("\n");
  assertMatch(of("tasks"), /a process service without an image: not exported/);
  assertMatch(of("web"), /the log probe has no Kubernetes equivalent/);
  assertMatch(of("web"), /uses \|\|, which Kubernetes probes cannot express/);
  assertMatch(of("web"), /depends on tasks, which is not exported/);
  assertMatch(of("db"), /the bind mount .*init has no place on a cluster/);
  assertMatch(of("api"), /stop signal SIGINT: Kubernetes sends SIGTERM/);
  const { stack } = await loadStack([file], { env: () => undefined });
  const compose = exportCompose(stack);
  const cnotes = compose.notes.map((n) => `${n.service}: ${n.message}`).join("\n");
  assertMatch(cnotes, /tasks: a process service without an image: not exported/);
  assertMatch(cnotes, /web: the log probe cannot be a health check/);
});

Deno.test("compose export: probes as health checks, deploy, restart and long-form depends_on", async () => {
  const { stack } = await loadStack([file], { env: () => undefined });
  // deno-lint-ignore no-explicit-any
  const doc = exportCompose(stack).document as any;
  assertEquals(
    doc.name,
    undefined,
    "no project name: docker-compose 1.x and stack deploy refuse it",
  );
  assertEquals(Object.keys(doc.services), ["db", "migrate", "api", "web"]);
  assertEquals(doc.services.db.healthcheck.test, ["CMD-SHELL", "nc -z 127.0.0.1 5432"]);
  assertEquals(doc.services.api.healthcheck.test, [
    "CMD-SHELL",
    "wget -q -O /dev/null http://127.0.0.1:8080/health",
  ]);
  assertEquals(
    doc.services.web.healthcheck.test,
    ["CMD-SHELL", "true"],
    "|| with a log probe keeps the cmd",
  );
  assertEquals(doc.services.api.depends_on, {
    db: { condition: "service_healthy" },
    migrate: { condition: "service_completed_successfully" },
  });
  assertEquals(doc.services.api.deploy.replicas, 3);
  assertEquals(doc.services.api.deploy.update_config, {
    parallelism: 1,
    order: "start-first",
    failure_action: "rollback",
  });
  assertEquals(doc.services.migrate.restart, "on-failure:2");
  assertEquals(
    doc.services.migrate.command,
    ["echo", "migrated $$HOME"],
    "a literal $ is $$ in Compose",
  );
  assertEquals(doc.services.api.environment.LITERAL, "$$(not-expanded)");
  assertEquals(doc.services.db.volumes, [
    "dbdata:/var/lib/db",
    "./init:/docker-entrypoint-initdb.d:ro",
  ]);
  assertEquals(doc.volumes, { dbdata: { name: "dbdata" } });
  assertEquals(doc.services.db.env_file, ["./db.env"]);
  assertEquals(doc.services.api.stop_signal, "SIGINT");
});

Deno.test("swarm plan: replicated services, jobs for oneshots, health checks, update and rollback config", async () => {
  const { stack } = await loadStack([file], { env: () => undefined });
  const { document: plan } = swarmPlan(stack, {
    envFiles: new Map([[`${here}db.env`, { DB_PASSWORD: "x" }]]),
    images: new Map([["local/busybox:latest", "sha256:abc"]]),
  });
  assertEquals(plan.namespace, "shop");
  assertEquals(plan.services.map((s) => [s.service, s.job]), [["db", false], ["migrate", true], [
    "api",
    false,
  ], ["web", false]]);
  // deno-lint-ignore no-explicit-any
  const api = plan.services[2].spec as any;
  assertEquals(api.Name, "shop_api");
  assertEquals(api.Mode, { Replicated: { Replicas: 3 } });
  assertEquals(api.UpdateConfig.Order, "start-first");
  assertEquals(api.UpdateConfig.FailureAction, "rollback");
  assertEquals(api.RollbackConfig.Parallelism, 1);
  assertEquals(api.TaskTemplate.ContainerSpec.Image, "sha256:abc");
  assertEquals(api.TaskTemplate.ContainerSpec.HealthCheck.Test[0], "CMD-SHELL");
  assertEquals(api.TaskTemplate.Networks, [{ Target: "shop_default", Aliases: ["api"] }]);
  assertEquals(api.EndpointSpec.Ports, [{
    Protocol: "tcp",
    TargetPort: 8080,
    PublishedPort: 18080,
    PublishMode: "ingress",
  }]);
  // deno-lint-ignore no-explicit-any
  const migrate = plan.services[1].spec as any;
  assertEquals(migrate.Mode, { ReplicatedJob: { MaxConcurrent: 1, TotalCompletions: 1 } });
  assertEquals(migrate.TaskTemplate.RestartPolicy.Condition, "on-failure");
  // deno-lint-ignore no-explicit-any
  const db = plan.services[0].spec as any;
  assert(db.TaskTemplate.ContainerSpec.Env.includes("DB_PASSWORD=x"), "env files are inlined");
  assertEquals(
    plan.services[3].dependsOn,
    [{ target: "api", require: "ready" }],
    "the process dependency is dropped",
  );
  assertEquals(plan.networks.map((n) => n.Name), ["shop_default"]);
});
