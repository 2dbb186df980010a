#!/usr/bin/env bash
# A local stand-in for python:3.11-slim-bookworm, for machines that reach the Debian mirror and
# PyPI but no container registry. Debian bookworm's own Python is 3.11: debootstrap it, add the
# /usr/local/bin/python3 and pip the official image has, let pip install into the system (as in
# the official image), and import the tree as an image. Built once: an existing image is reused.
#   infra/image/standin-base.sh [IMAGE]     (default localhost/python-standin:3.11-bookworm)
set -euo pipefail

IMAGE=${1:-localhost/python-standin:3.11-bookworm}
if buildah inspect --type image "$IMAGE" >/dev/null 2>&1; then
  echo "stand-in base $IMAGE: cached"
  exit 0
fi

# The mirror this machine's apt uses (deb822 .sources or one-line .list entries for bookworm).
mirror=$(
  cat /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '
    /^$/ { if (suites ~ /(^| )bookworm( |$)/ && uri) { print uri; exit } suites = ""; uri = "" }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { suites = substr($0, 8) " " }
    END { if (suites ~ /(^| )bookworm( |$)/ && uri) print uri }' | head -n1
)
if [[ -z $mirror ]]; then
  mirror=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
    sed -nE 's/^deb +(\[[^]]*\] +)?([^ ]+) +bookworm( .*)?$/\2/p' | head -n1)
fi
if [[ -z $mirror ]]; then
  echo "error: no Debian bookworm mirror in /etc/apt/sources.list* to debootstrap the stand-in base from" >&2
  exit 1
fi

work=$(mktemp -d /var/tmp/python-standin.XXXXXX)
# --one-file-system: never into a /proc or /sys that a failed debootstrap left mounted.
trap 'rm -rf --one-file-system "$work"' EXIT
root=$work/rootfs
echo "stand-in base $IMAGE: debootstrap bookworm from $mirror"
if ! debootstrap --variant=minbase --include=python3.11,python3-pip,python3-venv,ca-certificates \
  bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1; then
  tail -n 20 "$work/debootstrap.log" >&2
  echo "error: debootstrap of the stand-in base failed (log above)" >&2
  exit 1
fi
rm -f "$root"/usr/lib/python3.11/EXTERNALLY-MANAGED
ln -s /usr/bin/python3.11 "$root/usr/local/bin/python3"
ln -s /usr/bin/python3.11 "$root/usr/local/bin/python"
ln -s /usr/bin/pip3 "$root/usr/local/bin/pip"
# What the slim image leaves out as well.
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/* "$root"/usr/share/doc/* \
  "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/var/log/*
tar -C "$root" -cf "$work/rootfs.tar" .

container=$(buildah from scratch)
buildah add --quiet "$container" "$work/rootfs.tar" / >/dev/null
# SSL_CERT_FILE: uv (like pip) then trusts the system bundle, which `make image` mounts from the
# host at build time, so a TLS-intercepting proxy in front of PyPI works too.
buildah config \
  --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env LANG=C.UTF-8 \
  --env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
  --cmd python3 \
  --label org.opencontainers.image.description="Debian bookworm + python3.11: stand-in for python:3.11-slim-bookworm" \
  "$container"
buildah commit --quiet --rm "$container" "$IMAGE" >/dev/null
echo "stand-in base $IMAGE: built"
