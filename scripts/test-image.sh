#!/usr/bin/env bash
# npm run test:image: builds Herald's container image and checks it for real
# (test/image/container.check.ts): healthy, conformance, a pusher-js client,
# graceful `docker stop`, not root, state kept in the volume.
#
# No image registry is reachable where this runs, so the Dockerfile's base is
# made here (scripts/image/base.sh) from Debian's packages and this machine's
# Node.js 20. It needs root (to install docker.io and debootstrap when
# missing, start a Docker engine and debootstrap a root) and Debian's package
# mirror. When it cannot run it says why and exits 2: it never passes without
# having checked the image.
#
# Everything it creates (engine, containers, volume, images, the base root) is
# removed at the end, pass or fail. With a Docker engine that was already
# running, HERALD_KEEP_IMAGE=1 keeps the built image (its base goes only with it).
set -euo pipefail
cd "$(dirname "$0")/.."

cannot_run() {
  {
    echo
    echo "!!! npm run test:image CANNOT RUN: $*"
    echo "!!! The container image was NOT checked."
    echo
  } >&2
  exit 2
}

[ "$(id -u)" -eq 0 ] || cannot_run "it needs root (to install docker.io and debootstrap, start a Docker engine and debootstrap a base root); CI runs it as root"

source scripts/image/engine.sh
source scripts/image/base.sh

work="$(mktemp -d /tmp/herald-image.XXXXXX)"
run_id="$(basename "$work" | cut -d. -f2 | tr '[:upper:]' '[:lower:]')"
base_tag="herald-test-base:$run_id"
build_tag="herald-test-build:$run_id"
image_tag="herald-test:$run_id"
images_made=()

cleanup() {
  local status=$?
  set +e
  # An engine started here goes with its data root, images and all; on an engine
  # that was already running, the images are removed one by one (children before
  # the base; removing a tag also removes its untagged intermediate layers).
  if [ -z "$ENGINE_PID" ] && [ "${#images_made[@]}" -gt 0 ] && docker info >/dev/null 2>&1; then
    local image
    for image in "${images_made[@]}"; do
      if [ "$image" = "$image_tag" ] && [ -n "${HERALD_KEEP_IMAGE:-}" ]; then
        echo "--- kept the image $image_tag (HERALD_KEEP_IMAGE)"
        continue
      fi
      docker rmi -f "$image" >/dev/null 2>&1
    done
  fi
  stop_engine
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

started=$(date +%s)
ensure_tools
ensure_engine "$work/engine"

images_made=("$base_tag")
build_base "$work/root" "$base_tag"
echo "--- base ready after $(($(date +%s) - started)) s"
rm -rf "$work/root"

# Legacy builder: Debian's engine builds without BuildKit's extra components;
# --network host because the engine has no bridge (npm ci reaches the registry).
export DOCKER_BUILDKIT=0
# The build stage is tagged too, so that its layers can be removed by name at the end.
build() {
  local tag="$1"
  shift
  echo "--- docker build $* -t $tag"
  images_made=("$tag" "${images_made[@]}")
  docker build --network host --build-arg "BASE=$base_tag" "$@" -t "$tag" . >"$work/build.log" 2>&1 || {
    tail -n 30 "$work/build.log" >&2
    echo "!!! docker build failed (last lines above)" >&2
    exit 1
  }
}
build "$build_tag" --target build
build "$image_tag"
echo "--- image built after $(($(date +%s) - started)) s"

size() { docker image inspect -f '{{.Size}}' "$1"; }
total=$(size "$image_tag")
base=$(size "$base_tag")
echo "--- image size: $((total / 1000000)) MB in all, $(((total - base) / 1000000)) MB above the base (base: $((base / 1000000)) MB)"

HERALD_TEST_IMAGE="$image_tag" node --import tsx --test --test-force-exit --test-concurrency=1 test/image/container.check.ts
echo "--- test:image passed in $(($(date +%s) - started)) s"
