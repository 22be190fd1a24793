#!/usr/bin/env bash
# Packaging: `cmake --install` and `cpack -G DEB` put the binary, the man
# page and the schemas in the usual places, the package declares its shared
# library dependencies, and the unpacked binary runs.
set -euo pipefail
: "${HS_BUILD:?}" "${HS_SRC:?}"
fail() { echo "FAIL: $*" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

DESTDIR="$tmp/root" cmake --install "$HS_BUILD" --prefix /usr >/dev/null
for f in usr/bin/hivesnap usr/share/man/man1/hivesnap.1 usr/share/hivesnap/schemas/manifest.schema.json \
	usr/share/hivesnap/schemas/profile.schema.json; do
	[[ -f "$tmp/root/$f" ]] || fail "cmake --install did not install $f"
done
echo "ok: cmake --install puts binary, man page and schemas in place"
page=$(man -l "$tmp/root/usr/share/man/man1/hivesnap.1" 2>/dev/null)
grep -q "EXIT STATUS" <<<"$page" || fail "man page does not render"
echo "ok: the man page renders"

(cd "$tmp" && cpack -G DEB --config "$HS_BUILD/CPackConfig.cmake" -B "$tmp/pkg" >/dev/null 2>&1)
deb=$(ls "$tmp"/pkg/hivesnap_*.deb)
contents=$(dpkg-deb -c "$deb")
grep -q './usr/bin/hivesnap$' <<<"$contents" || fail "package lacks /usr/bin/hivesnap"
grep -q 'man1/hivesnap.1' <<<"$contents" || fail "package lacks the man page"
grep -q 'schemas/manifest.schema.json' <<<"$contents" || fail "package lacks the schemas"
deps=$(dpkg-deb -f "$deb" Depends)
for lib in libmongoc libhiredis librdkafka libzstd libcurl libjansson libyaml; do
	[[ $deps == *"$lib"* ]] || fail "package Depends lacks $lib: $deps"
done
echo "ok: cpack -G DEB builds a package with its library dependencies"
dpkg-deb -x "$deb" "$tmp/x"
v=$("$tmp/x/usr/bin/hivesnap" version)
grep -q '^hivesnap ' <<<"$v" || fail "the packaged binary does not run"
echo "ok: the packaged binary runs"
