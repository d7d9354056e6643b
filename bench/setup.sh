#!/usr/bin/env bash
# Installs the peers the benchmarks compare orch with, from the machine's package sources:
# supervisord, s6, hyperfine, make, ninja, tini, dumb-init and docker-compose from Debian, pm2 and
# concurrently from npm. Safe to run again.
set -euo pipefail
need=()
command -v supervisord >/dev/null 2>&1 || need+=(supervisor)
command -v s6-svscan >/dev/null 2>&1 || need+=(s6)
command -v hyperfine >/dev/null 2>&1 || need+=(hyperfine)
command -v tini >/dev/null 2>&1 || need+=(tini)
command -v dumb-init >/dev/null 2>&1 || need+=(dumb-init)
command -v tmux >/dev/null 2>&1 || need+=(tmux)
command -v make >/dev/null 2>&1 || need+=(make)
command -v ninja >/dev/null 2>&1 || need+=(ninja-build)
command -v docker-compose >/dev/null 2>&1 || need+=(docker-compose)
[ -x /usr/bin/time ] || need+=(time)
if [ ${#need[@]} -gt 0 ]; then
  echo "==> apt-get install ${need[*]}"
  apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need[@]}" >/dev/null 2>&1 ||
    (apt-get update -qq >/dev/null && apt-get -o DPkg::Lock::Timeout=300 install -y -qq "${need[@]}" >/dev/null)
fi
npm_need=()
command -v pm2 >/dev/null 2>&1 || npm_need+=(pm2@5)
command -v concurrently >/dev/null 2>&1 || npm_need+=(concurrently@9)
if [ ${#npm_need[@]} -gt 0 ]; then
  echo "==> npm install -g ${npm_need[*]}"
  npm install -g "${npm_need[@]}" >/dev/null 2>&1
fi
# supervisord from the package starts a system instance; the benchmarks run their own.
service supervisor stop >/dev/null 2>&1 || true
for tool in supervisord s6-svscan pm2 concurrently hyperfine make ninja tini dumb-init docker-compose; do
  printf '%-12s %s\n' "$tool" "$(command -v "$tool" || echo missing)"
done
