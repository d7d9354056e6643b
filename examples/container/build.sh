#!/usr/bin/env bash
# Builds the image orch:TAG (default orch:local) from files on this machine, pulling nothing:
# a root filesystem with exactly
#   /usr/bin/deno           the Deno runtime that runs orch (this machine's own)
#   /lib*/...               the system libraries it links, as `ldd` lists them
#   /opt/orch/orch.js       orch, bundled into one file by `deno bundle`
#   /app/                   the stack: services.toml, probes.yaml, www/ (what httpd serves)
#   /bin/busybox + links    what the stack's services need: sh (also for orch's string commands
#                           and its group guard), httpd, sleep, seq, setsid, cat
#   /usr/local/bin/, /tmp/  empty: orch installs itself into the first, Deno caches in the second
# and no Node, no package manager, no libc tools. `docker import` turns it into an image whose
# entrypoint is orch as PID 1.
#
# usage: examples/container/build.sh [TAG]
#   ORCH_BUNDLE=dist/orch.js   use this bundle instead of bundling main.ts
#   DENO_BIN=/path/to/deno     use this Deno (default: the deno on PATH)
#   BUSYBOX=/path/to/busybox   use this busybox (default: the busybox on PATH)
# An image built from the same inputs is kept (label org.orch.inputs), so a second run is quick.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
tag="${1:-local}"
image="orch:$tag"

deno_bin="$(readlink -f "${DENO_BIN:-$(command -v deno)}")"
busybox="$(readlink -f "${BUSYBOX:-$(command -v busybox)}")"
[ -x "$deno_bin" ] || { echo "build.sh: no deno binary (set DENO_BIN)" >&2; exit 1; }
[ -x "$busybox" ] || { echo "build.sh: no busybox (set BUSYBOX)" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
root="$work/rootfs"
mkdir -p "$root"/{usr/bin,bin,opt/orch,app,usr/local/bin,tmp}
chmod 1777 "$root/tmp"

if [ -n "${ORCH_BUNDLE:-}" ]; then
  cp "$ORCH_BUNDLE" "$root/opt/orch/orch.js"
else
  (cd "$repo" && deno bundle --quiet --output "$root/opt/orch/orch.js" main.ts)
fi

# A program and the libraries ldd says it links, each at its own path.
copy_with_libs() {
  local program="$1" dest="$2"
  cp "$program" "$root$dest"
  # (ldd fails on a static program: it links nothing.)
  { ldd "$program" 2>/dev/null || true; } | awk '/=> \// { print $3 } /^[ \t]*\// { print $1 }' |
    while read -r lib; do
      mkdir -p "$root$(dirname "$lib")"
      cp -L "$lib" "$root$lib"
    done
}
copy_with_libs "$deno_bin" /usr/bin/deno
copy_with_libs "$busybox" /bin/busybox
for applet in sh httpd sleep seq setsid cat; do ln -s busybox "$root/bin/$applet"; done

cp "$here/services.toml" "$here/probes.yaml" "$root/app/"
cp -r "$here/www" "$root/app/www"

inputs="$(cd "$root" && find . -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
if [ "$(docker image inspect -f '{{ index .Config.Labels "org.orch.inputs" }}' "$image" 2>/dev/null)" = "$inputs" ]; then
  echo "$image is up to date ($inputs)"
  exit 0
fi

tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . | docker import \
  --change 'ENTRYPOINT ["/usr/bin/deno", "run", "-A", "/opt/orch/orch.js"]' \
  --change 'CMD ["up", "-f", "/app/services.toml", "-f", "/app/probes.yaml"]' \
  --change 'WORKDIR /app' \
  --change 'ENV PATH=/usr/local/bin:/usr/bin:/bin DENO_DIR=/tmp/deno DENO_NO_UPDATE_CHECK=1' \
  --change "LABEL org.orch.inputs=$inputs" \
  - "$image" >/dev/null
size="$(docker image inspect -f '{{ .Size }}' "$image")"
echo "built $image ($((size / 1024 / 1024)) MiB, inputs $inputs)"
