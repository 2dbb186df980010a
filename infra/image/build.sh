#!/usr/bin/env bash
# Builds the Dockerfile's targets without a Docker daemon (buildah, chroot isolation):
#   infra/image/build.sh [TARGET...]     runtime -> localhost/model-factory:dev,
#                                        serve   -> localhost/model-factory-serve:dev
#   infra/image/build.sh --preflight     exit 0 if images can be built here, else print why (exit 3)
# BASE_IMAGE=ref picks the base (default: the Dockerfile's pinned one, or, when that cannot be
# pulled, the stand-in of infra/image/standin-base.sh). Layers are cached between builds.
set -euo pipefail
cd "$(dirname "$0")/../.."

STANDIN=localhost/python-standin:3.11-bookworm
declare -A IMAGES=([runtime]=localhost/model-factory:dev [serve]=localhost/model-factory-serve:dev)

fail() {
  echo "error: $*" >&2
  exit 2
}

# Why images cannot be built on this machine (nothing printed: they can).
obstacle() {
  if ! command -v buildah >/dev/null; then
    if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null; then
      echo "buildah is not installed and cannot be installed here (needs root and apt-get: apt-get install buildah debootstrap)"
      return
    fi
  elif [[ $(id -u) != 0 ]]; then
    echo "buildah needs root here (chroot isolation); run as root"
    return
  fi
  if ! python3 -c "import urllib.request; urllib.request.urlopen('https://pypi.org/simple/uv/', timeout=20)" 2>/dev/null; then
    echo "no connection to the package index (https://pypi.org) to install the locked dependencies"
  fi
}

if [[ ${1:-} == --preflight ]]; then
  reason=$(obstacle)
  [[ -z $reason ]] || { echo "$reason"; exit 3; }
  exit 0
fi

targets=("$@")
[[ ${#targets[@]} -gt 0 ]] || targets=(runtime serve)
for target in "${targets[@]}"; do
  [[ -n ${IMAGES[$target]:-} ]] || fail "unknown image target '$target' (known: ${!IMAGES[*]})"
done
reason=$(obstacle)
[[ -z $reason ]] || fail "cannot build images: $reason"
if ! command -v buildah >/dev/null || ! command -v debootstrap >/dev/null; then
  echo "installing buildah and debootstrap (apt-get)"
  { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq buildah debootstrap; } \
    >/dev/null || fail "apt-get install buildah debootstrap failed"
fi

pinned=$(sed -nE 's/^ARG BASE_IMAGE=(.+)$/\1/p' Dockerfile)
have() { buildah inspect --type image "$1" >/dev/null 2>&1 || timeout 300 buildah pull --quiet "$1" >/dev/null 2>&1; }
base=${BASE_IMAGE:-}
if [[ -n $base ]]; then
  have "$base" || fail "base image '$base' cannot be pulled and is not a local image"
elif have "$pinned"; then
  base=$pinned
else
  echo "base: $pinned cannot be pulled here; using the stand-in $STANDIN"
  infra/image/standin-base.sh "$STANDIN"
  base=$STANDIN
fi

commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
mounts=()
# The host's CA bundle: a proxy in front of PyPI that the host trusts is trusted by the build too.
[[ -f /etc/ssl/certs/ca-certificates.crt ]] &&
  mounts+=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro)
for target in "${targets[@]}"; do
  start=$SECONDS
  log=$(mktemp)
  if ! buildah bud --layers --isolation chroot --ulimit nofile=1024:1024 "${mounts[@]}" \
    --build-arg BASE_IMAGE="$base" --build-arg GIT_COMMIT="$commit" \
    --target "$target" --tag "${IMAGES[$target]}" --file Dockerfile . >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    fail "building target '$target' failed (log above)"
  fi
  rm -f "$log"
  # buildah 1.28's layer cache reuses an `ENV GIT_COMMIT=$GIT_COMMIT` step built with another
  # value of the ARG: set the commit on the image itself.
  container=$(buildah from --pull-never "${IMAGES[$target]}")
  buildah config --env GIT_COMMIT="$commit" "$container"
  buildah commit --quiet --rm "$container" "${IMAGES[$target]}" >/dev/null
  size=$(buildah images --format '{{.Size}}' "${IMAGES[$target]}" | head -n1)
  echo "$target -> ${IMAGES[$target]}: $size, built in $((SECONDS - start)) s (base $base, commit ${commit:0:12})"
done
