#!/usr/bin/env bash
# Starts rootful Podman's Docker-compatible API on unix:///run/podman/podman.sock for the deployment
# test (DeploymentIT). Idempotent: installs podman and runc only when missing, rewrites the two config
# files, and starts the service only when the socket does not answer. Returns once the socket answers
# (exit 0), or exits non-zero with one line on standard error saying what failed; the build then
# still passes, with DeploymentIT skipped and saying so.
#
# The configuration is the one that works on our machines (no systemd, no cgroup v2 delegation, no
# registry reachable): runc with cgroupfs, file events, raised ulimits for the JVMs, and every registry
# blocked so that a pull fails at once instead of waiting on the network.
set -euo pipefail

SOCKET_PATH=/run/podman/podman.sock
LOG=/var/log/podman-service.log

say() { echo "podman-setup: $*" >&2; }

socket_answers() {
  [ -S "$SOCKET_PATH" ] && curl -sf --max-time 5 --unix-socket "$SOCKET_PATH" http://d/_ping >/dev/null 2>&1
}

if [ "$(id -u)" -ne 0 ]; then
  say "needs root (rootful Podman); running as uid $(id -u)"
  exit 1
fi

missing=()
command -v podman >/dev/null 2>&1 || missing+=(podman)
command -v runc >/dev/null 2>&1 || missing+=(runc)
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The compose test: podman-compose, and DNS on compose networks so that silos find `aggregator`.
command -v podman-compose >/dev/null 2>&1 || missing+=(podman-compose)
[ -x /usr/lib/cni/dnsname ] || missing+=(golang-github-containernetworking-plugin-dnsname)
if [ "${#missing[@]}" -gt 0 ]; then
  say "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

mkdir -p /etc/containers
cat >/etc/containers/containers.conf <<'CONF'
# Written by deploy/podman-setup.sh.
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF
cat >/etc/containers/registries.conf <<'CONF'
# Written by deploy/podman-setup.sh. No registry is reachable from here: short names are never
# expanded and registries are blocked, so a pull fails at once instead of waiting on the network.
# Images are built locally (FROM scratch). registries.conf has no "every registry" entry: the
# well-known registries are named, and wildcards block whole top-level domains.
unqualified-search-registries = []
short-name-mode = "disabled"
CONF
for registry in docker.io registry-1.docker.io quay.io ghcr.io gcr.io registry.k8s.io \
    registry.fedoraproject.org registry.access.redhat.com public.ecr.aws mcr.microsoft.com \
    '*.io' '*.com' '*.org' '*.net' '*.dev' '*.cloud' '*.app' '*.aws'; do
  {
    printf '\n[[registry]]\nprefix = "%s"\n' "$registry"
    # A named registry needs its location; a wildcard must not have one.
    case "$registry" in \**) ;; *) printf 'location = "%s"\n' "$registry" ;; esac
    printf 'blocked = true\n'
  } >>/etc/containers/registries.conf
done

# Published ports are DNATed by CNI's portmap; for connections to 127.0.0.1/localhost (what the
# test's TESTCONTAINERS_HOST_OVERRIDE=localhost uses) the kernel must route loopback-sourced
# packets to the container network, which it refuses unless route_localnet is on.
if [ "$(sysctl -n net.ipv4.conf.all.route_localnet 2>/dev/null || echo 0)" != 1 ]; then
  sysctl -q -w net.ipv4.conf.all.route_localnet=1 \
    || say "cannot set net.ipv4.conf.all.route_localnet=1: published ports will not answer on localhost"
fi

if socket_answers; then
  say "already running on unix://$SOCKET_PATH"
  exit 0
fi

mkdir -p "$(dirname "$SOCKET_PATH")"
rm -f "$SOCKET_PATH"
say "starting podman system service on unix://$SOCKET_PATH (log: $LOG)"
# From /: conmon needs the service's working directory, and the clone that started it may go.
(cd / && exec nohup setsid podman system service --time=0 "unix://$SOCKET_PATH" >"$LOG" 2>&1 </dev/null) &
for _ in $(seq 1 60); do
  if socket_answers; then
    say "running on unix://$SOCKET_PATH ($(podman --version))"
    exit 0
  fi
  sleep 0.5
done
say "the socket did not answer within 30 s; last lines of $LOG:"
tail -n 20 "$LOG" >&2 || true
exit 1
