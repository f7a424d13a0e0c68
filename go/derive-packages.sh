#!/usr/bin/env bash
# Maintainer tool (not run by setup): derive go/packages.txt, the Debian
# packages whose Go sources policyc's Go glue actually compiles, from a
# prefix holding the naive `apt-cache depends --recurse` closure.
#
#   go/derive-packages.sh PREFIX DEBS_DIR > go/packages.txt
#
# PREFIX: where every .deb of the closure was unpacked with `dpkg -x`;
# DEBS_DIR: the .deb files themselves (to map directories to packages).
set -euo pipefail
prefix=$1 debs=$2
here=$(cd "$(dirname "$0")" && pwd)
goroot=$(echo "$prefix"/usr/lib/go-1.*)
src="$prefix/usr/share/gocode/src"
map=$(mktemp)
trap 'rm -f "$map"' EXIT
for f in "$debs"/*.deb; do
  pkg=$(basename "$f" | cut -d_ -f1)
  dpkg-deb -c "$f" | awk -v p="$pkg" '$6 ~ /\.go$/ {print p" "$6}'
done | sed -E 's#^([^ ]+) \./usr/share/gocode/src/(.*)/[^/]*\.go$#\1 \2#' | sort -u > "$map"
# policyc's glue under its import path policyc/, as go/setup.mjs builds it.
glue=$(mktemp -d)
trap 'rm -f "$map"; rm -rf "$glue"' EXIT
mkdir -p "$glue/src/policyc" && cp -r "$here"/opa "$here"/cel "$glue/src/policyc/"
{
  for target in linux/amd64 wasip1/wasm; do
    env GO111MODULE=off GOPATH="$glue:$prefix/usr/share/gocode" GOROOT="$goroot" \
      GOTOOLCHAIN=local CGO_ENABLED=0 GOOS="${target%/*}" GOARCH="${target#*/}" GOFLAGS= \
      "$goroot/bin/go" list -deps -test -f '{{if not .Standard}}{{.Dir}}{{end}}' policyc/opa policyc/cel/...
  done
} | while read -r dir; do
  real=$(realpath "$dir")
  case "$real" in "$(realpath "$src")"/*) echo "${real#"$(realpath "$src")"/}";; esac
done | sort -u | awk 'NR==FNR {m[$2]=$1; next} ($1 in m) {print m[$1]; next} {print "unmapped: " $1 > "/dev/stderr"}' "$map" - | sort -u
