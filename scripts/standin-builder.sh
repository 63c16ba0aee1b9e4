#!/usr/bin/env bash
# Builds a local stand-in for the Dockerfile's Go builder base image, for
# machines that cannot pull from a registry (see docs/app.md). The image is a
# Debian bookworm minbase root filesystem (debootstrap) plus a Go toolchain of
# the exact version the tag names, committed under the exact name the
# Dockerfile's FROM uses. Reused when it already exists.
#
# Usage: scripts/standin-builder.sh [Dockerfile]     (as root; needs buildah, podman, debootstrap)
set -euo pipefail

dockerfile=${1:-"$(dirname "$0")/../Dockerfile"}
# FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build  ->  golang:1.26.8-bookworm
image=$(awk 'toupper($1) == "FROM" { for (i = 2; i <= NF; i++) if ($i !~ /^--/) { print $i; exit } }' "$dockerfile")
[[ $image =~ ^golang:([0-9]+\.[0-9]+\.[0-9]+)-bookworm$ ]] ||
  { echo "standin-builder: expected FROM golang:X.Y.Z-bookworm in $dockerfile, found '$image'" >&2; exit 1; }
go_version=${BASH_REMATCH[1]}
# Podman may resolve the short name to either; tag both.
names=("docker.io/library/$image" "localhost/$image")

if podman image exists "${names[0]}" && podman image exists "${names[1]}"; then
  echo "standin-builder: reusing $image"
  exit 0
fi

for tool in buildah podman debootstrap go; do
  command -v "$tool" >/dev/null || { echo "standin-builder: $tool not installed" >&2; exit 1; }
done
[[ $(id -u) == 0 ]] || { echo "standin-builder: run as root (debootstrap, buildah mount)" >&2; exit 1; }

# The exact Go version: the host's when it matches, else the same release
# from the Go module proxy (golang.org/toolchain).
goroot=$(GOTOOLCHAIN="go$go_version" go env GOROOT)
[[ $("$goroot/bin/go" env GOVERSION) == "go$go_version" ]] ||
  { echo "standin-builder: could not get Go $go_version" >&2; exit 1; }

work=$(mktemp -d /var/tmp/standin-builder.XXXXXX)
ctr=
cleanup() {
  if [[ -n $ctr ]]; then buildah rm "$ctr" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
echo "standin-builder: debootstrap bookworm from $mirror (about a minute)"
debootstrap --variant=minbase --include=ca-certificates bookworm "$work/rootfs" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 30 "$work/debootstrap.log" >&2; exit 1; }
# The host's CA bundle: it trusts whatever TLS-intercepting proxy sits
# between this machine and the Go module proxy.
cp /etc/ssl/certs/ca-certificates.crt "$work/rootfs/etc/ssl/certs/ca-certificates.crt"
rm -rf "$work/rootfs/var/cache/apt/archives/"*.deb "$work/rootfs/var/lib/apt/lists/"*

ctr=$(buildah from scratch)
mnt=$(buildah mount "$ctr")
cp -a "$work/rootfs/." "$mnt/"
mkdir -p "$mnt/usr/local/go" "$mnt/go/bin" "$mnt/go/src"
cp -a "$goroot/." "$mnt/usr/local/go/"
chmod -R u+w "$mnt/usr/local/go" # module-cache toolchains are read-only
buildah umount "$ctr" >/dev/null
buildah config \
  --env PATH=/go/bin:/usr/local/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
  --env GOLANG_VERSION="$go_version" --env GOPATH=/go --env GOTOOLCHAIN=local \
  --workingdir /go --cmd bash \
  --label org.opencontainers.image.description="local stand-in for $image (debootstrap + Go $go_version)" \
  "$ctr"
buildah commit --quiet "$ctr" "${names[0]}" >/dev/null
buildah tag "${names[0]}" "${names[1]}"
echo "standin-builder: built $image ($(podman image inspect --format '{{.Size}}' "${names[0]}" | numfmt --to=iec))"
