# Sourced by scripts/test-image.sh: the tools and the Docker engine the image
# check needs. Everything stays on loopback: an engine started here has no
# bridge and touches no iptables, and containers use the host's network.

# Debian's docker.io and debootstrap, installed when missing (needs root and Debian's package mirror).
ensure_tools() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  command -v docker >/dev/null 2>&1 || missing+=(docker.io)
  [ "${#missing[@]}" -eq 0 ] && return 0
  echo "--- installing ${missing[*]} (Debian packages)"
  apt-get update -qq || cannot_run "apt-get update failed: Debian's package mirror is not reachable"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || cannot_run "could not install ${missing[*]} from Debian's packages"
}

# Uses a Docker engine that already answers; otherwise starts one of our own,
# with its data, state and socket under $1, stopped and removed by stop_engine.
ENGINE_PID=""
ENGINE_DIR=""
ensure_engine() {
  if docker info >/dev/null 2>&1; then
    echo "--- using the running Docker engine ($(docker info --format '{{.ServerVersion}}, {{.Driver}}'))"
    return 0
  fi
  ENGINE_DIR="$1"
  mkdir -p "$ENGINE_DIR"
  export DOCKER_HOST="unix://$ENGINE_DIR/docker.sock"
  # overlay2 first; vfs (slower, copies every layer) where overlay mounts are not allowed.
  local driver
  for driver in overlay2 vfs; do
    echo "--- starting a Docker engine (storage driver $driver, loopback only)"
    dockerd --host "$DOCKER_HOST" --data-root "$ENGINE_DIR/data" --exec-root "$ENGINE_DIR/run" \
      --pidfile "$ENGINE_DIR/dockerd.pid" --storage-driver "$driver" \
      --bridge=none --iptables=false --ip-masq=false >"$ENGINE_DIR/dockerd.log" 2>&1 &
    ENGINE_PID=$!
    local i
    for i in $(seq 1 60); do
      if docker info >/dev/null 2>&1; then return 0; fi
      kill -0 "$ENGINE_PID" 2>/dev/null || break
      sleep 0.5
    done
    stop_engine
    echo "!!! the Docker engine did not start with $driver:" >&2
    tail -n 5 "$ENGINE_DIR/dockerd.log" >&2
  done
  cannot_run "no Docker engine can run on this machine (last error above; full log in $ENGINE_DIR/dockerd.log)"
}

# Stops the engine started by ensure_engine (if any) and unmounts what it left mounted.
stop_engine() {
  [ -n "$ENGINE_PID" ] || return 0
  kill "$ENGINE_PID" 2>/dev/null || true
  local i
  for i in $(seq 1 60); do
    kill -0 "$ENGINE_PID" 2>/dev/null || break
    sleep 0.5
  done
  kill -9 "$ENGINE_PID" 2>/dev/null || true
  wait "$ENGINE_PID" 2>/dev/null || true
  ENGINE_PID=""
  # Deepest mounts first.
  grep -o " $ENGINE_DIR/[^ ]*" /proc/mounts 2>/dev/null | sort -r | while read -r mount; do umount -l "$mount" 2>/dev/null || true; done
}
