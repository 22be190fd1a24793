#!/usr/bin/env bash
# `hivesnap extract`: a full extraction passes `sha256sum -c SHA256SUMS`,
# modes 0700/0600, GLOB, no overwrite without --force (and nothing written),
# a bad archive writes nothing, a symlink in the way is refused and nothing
# is written outside DIR; `tar --zstd -tf` lists the archive.
source "$(dirname "$0")/lib.sh"
mk_sample
mk_bad
good=$tmp/good.tar.zst

# plain tools read the archive
tar --zstd -tf "$good" >"$tmp/tar.list" || fail "tar --zstd -tf cannot list the archive"
[[ $(head -n1 "$tmp/tar.list") == hivesnap.json && $(tail -n2 "$tmp/tar.list" | tr '\n' ' ') == "manifest.json SHA256SUMS " ]] ||
	fail "tar lists: $(cat "$tmp/tar.list")"
grep -qx 'k8s/ns/logs/pod/c.log' "$tmp/tar.list" || fail "tar does not list c.log"
echo "ok: tar --zstd -tf lists the archive, header first, manifest and SHA256SUMS last"

expect_exit 0 "$HIVESNAP" extract "$good" "$tmp/x"
(cd "$tmp/x" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c SHA256SUMS fails after extract"
echo "ok: sha256sum -c SHA256SUMS passes in the extracted folder"
[[ $(find "$tmp/x" -type f | wc -l) -eq 7 ]] || fail "extract wrote $(find "$tmp/x" -type f | wc -l) files, want 7"
cmp -s "$tmp/x/k8s/ns/logs/pod/c.log" "$tmp/in/big.log" || fail "extracted c.log differs"
[[ $(stat -c %a "$tmp/x") == 700 && $(stat -c %a "$tmp/x/mongo/neural_hive") == 700 ]] || fail "folders are not 0700"
[[ $(stat -c %a "$tmp/x/redis/db0.jsonl") == 600 ]] || fail "files are not 0600"
[[ -z $(find "$tmp/x" -name '.hs-extract-*') ]] || fail "temporary files left behind"
echo "ok: folders 0700, files 0600, no temporary files left"

# GLOB: only the matching entries
expect_exit 0 "$HIVESNAP" extract "$good" "$tmp/g" 'mongo/*'
[[ $(cd "$tmp/g" && find . -type f | sort | tr '\n' ' ') == "./mongo/neural_hive/coll.bson ./mongo/neural_hive/coll.metadata.json " ]] ||
	fail "extract 'mongo/*' wrote: $(cd "$tmp/g" && find . -type f)"
echo "ok: extract with a GLOB writes only the matching entries"

# an existing file: refused (naming it) before anything is written, unless --force
mkdir -p "$tmp/o/redis"
echo mine >"$tmp/o/redis/db0.jsonl"
expect_exit 3 "$HIVESNAP" extract "$good" "$tmp/o"
expect_stderr_match "$tmp/o/redis/db0\.jsonl"
[[ $(cat "$tmp/o/redis/db0.jsonl") == mine ]] || fail "extract overwrote a file without --force"
[[ $(find "$tmp/o" -type f | wc -l) -eq 1 && ! -e $tmp/o/hivesnap.json ]] ||
	fail "a refused extract wrote files: $(find "$tmp/o" -type f)"
expect_exit 0 "$HIVESNAP" extract --force "$good" "$tmp/o"
cmp -s "$tmp/o/redis/db0.jsonl" "$tmp/in/db0.jsonl" || fail "--force did not replace the file"
(cd "$tmp/o" && sha256sum --quiet -c SHA256SUMS) || fail "sha256sum -c fails after extract --force"
echo "ok: no overwrite without --force, nothing written; --force replaces"

# a bad archive writes nothing; DIR is not even created
for f in flipped flipped-noindex zflip truncated random plain; do
	expect_exit 4 "$HIVESNAP" extract "$tmp/bad/$f.tar.zst" "$tmp/b-$f"
	[[ ! -e $tmp/b-$f ]] || fail "extract of $f.tar.zst created $tmp/b-$f"
done
mkdir "$tmp/b-exists"
expect_exit 4 "$HIVESNAP" extract "$tmp/bad/flipped.tar.zst" "$tmp/b-exists"
[[ -z $(ls -A "$tmp/b-exists") ]] || fail "extract of a bad archive wrote into an existing folder"
expect_exit 65 "$HIVESNAP" extract "$tmp/bad/v2.tar.zst" "$tmp/b-v2"
[[ ! -e $tmp/b-v2 ]] || fail "extract of a v2 archive created its folder"
echo "ok: a bad archive writes nothing"

# a symlink in the way is refused; nothing is written through it or at all
mkdir -p "$tmp/s" "$tmp/outside"
ln -s "$tmp/outside" "$tmp/s/mongo"
expect_exit 3 "$HIVESNAP" extract "$good" "$tmp/s"
expect_stderr_match 'symbolic link'
[[ -z $(ls -A "$tmp/outside") ]] || fail "extract wrote through a symlink: $(ls -A "$tmp/outside")"
[[ $(ls -A "$tmp/s") == mongo ]] || fail "a refused extract wrote into DIR: $(ls -A "$tmp/s")"
expect_exit 3 "$HIVESNAP" extract --force "$good" "$tmp/s"
[[ -z $(ls -A "$tmp/outside") ]] || fail "extract --force wrote through a symlink"
mkdir -p "$tmp/s2/redis"
ln -s "$tmp/outside/target" "$tmp/s2/redis/db0.jsonl"
expect_exit 3 "$HIVESNAP" extract --force "$good" "$tmp/s2"
[[ ! -e $tmp/outside/target ]] || fail "extract --force wrote through a symlinked file"
echo "ok: symbolic links in the way are refused, nothing written outside DIR"

echo data >"$tmp/afile"
expect_exit 3 "$HIVESNAP" extract "$good" "$tmp/afile"
expect_exit 3 "$HIVESNAP" extract "$tmp/missing.tar.zst" "$tmp/m"
[[ ! -e $tmp/m ]] || fail "extract of a missing archive created its folder"
expect_exit 64 "$HIVESNAP" extract "$good"
expect_exit 64 "$HIVESNAP" extract "$good" "$tmp/y" a b
expect_exit 64 "$HIVESNAP" extract --overwrite "$good" "$tmp/y"
[[ ! -e $tmp/y ]] || fail "a usage error created the folder"
expect_exit 0 "$HIVESNAP" extract --help
expect_stdout_match '^usage: hivesnap extract ARCHIVE DIR'
if [[ -w /dev/full ]]; then
	got=0
	"$HIVESNAP" extract "$good" "$tmp/full" >/dev/full 2>/dev/null || got=$?
	[[ $got == 3 ]] || fail "extract with stdout on /dev/full exited $got, want 3"
	echo "ok: extract with stdout on a full disk -> 3"
fi
