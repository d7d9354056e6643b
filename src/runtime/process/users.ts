/**
 * Resolving `user` and `group` to numeric ids. Both are always passed to the child: a uid alone
 * leaves it in group 0.
 *
 * @module
 */
import { OrchError } from "../../domain/mod.ts";

function readTable(path: string): string[][] {
  try {
    return Deno.readTextFileSync(path).split("\n").filter(Boolean).map((l) => l.split(":"));
  } catch {
    return [];
  }
}

/**
 * The uid and gid to run as. A user's primary group is used when no group is named.
 *
 * @throws {OrchError} when the user or group does not exist.
 */
export function resolveIds(
  user: string | undefined,
  group: string | undefined,
): { uid: number; gid: number } | undefined {
  if (user === undefined && group === undefined) return undefined;
  const passwd = readTable("/etc/passwd");
  let uid = Deno.uid() ?? 0;
  let gid = Deno.gid() ?? 0;
  if (user !== undefined) {
    const row = /^\d+$/.test(user)
      ? passwd.find((r) => r[2] === user) ?? [user, "", user, user]
      : passwd.find((r) => r[0] === user);
    if (!row) throw new OrchError(`user "${user}" does not exist`);
    uid = Number(row[2]);
    gid = Number(row[3]);
  }
  if (group !== undefined) {
    if (/^\d+$/.test(group)) gid = Number(group);
    else {
      const row = readTable("/etc/group").find((r) => r[0] === group);
      if (!row) throw new OrchError(`group "${group}" does not exist`);
      gid = Number(row[2]);
    }
  }
  return { uid, gid };
}
