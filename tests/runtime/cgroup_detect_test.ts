import { assertEquals, assertMatch } from "../assert.ts";
import { detectCgroups, parseMounts } from "../../src/runtime/cgroups/mod.ts";

const HYBRID = `31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
33 31 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
37 31 0:34 / /sys/fs/cgroup/freezer ro,relatime - cgroup cgroup rw,freezer
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
`;

Deno.test("parseMounts: v1 controllers and v2, orch's own cgroup in each, read-only noted", () => {
  const mounts = parseMounts(
    HYBRID,
    "9:name=systemd:/\n6:freezer:/\n4:memory:/job/7\n2:cpu,cpuacct:/\n0::/orch/x/api@0\n",
  );
  assertEquals(mounts.map((m) => [m.version, m.controllers.join(","), m.own, m.writable]), [
    [1, "cpu,cpuacct", "/sys/fs/cgroup/cpu,cpuacct", true],
    [1, "memory", "/sys/fs/cgroup/memory/job/7", true],
    [1, "freezer", "/sys/fs/cgroup/freezer", false],
    [2, "", "/sys/fs/cgroup/unified/orch/x/api@0", true],
  ]);
});

Deno.test("parseMounts: a bind-mounted subtree and an escaped mount point", () => {
  const mounts = parseMounts(
    "50 40 0:26 /docker/abc /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate\n" +
      "51 40 0:27 / /mnt/my\\040cgroups rw - cgroup cgroup rw,pids\n",
    "0::/docker/abc/inner\n5:pids:/\n",
  );
  assertEquals(mounts.map((m) => m.own), ["/sys/fs/cgroup/inner", "/mnt/my cgroups"]);
});

Deno.test("detectCgroups without writable hierarchies falls back to markers, saying why", async () => {
  const setup = await detectCgroups("feedface", "run", "auto", {
    mountinfo: "41 31 0:38 / /nonexistent/unified ro,relatime - cgroup2 cgroup2 rw\n",
    cgroups: "0::/\n",
  });
  assertEquals(setup.mode, "marker");
  assertMatch(setup.summary, /process groups and the ORCH_UNIT marker \(no cgroups: .*read-only/);
  assertMatch(String(setup.limits.memory), /^orch cannot create cgroups here \(/);
  const forced = await detectCgroups("feedface", "run", "marker", { mountinfo: "", cgroups: "" });
  assertEquals(forced.limits.pids, "containment is set to marker (ORCH_CONTAINMENT)");
});
