#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# `make deb`: the Debian package (debian/), built by `dpkg-buildpackage -b -us
# -uc` from a copy of the tree in $BUILD/deb/src, so that the working tree's
# own build ($BUILD/obj, $BUILD/vmhop) is neither used nor touched: the
# package's objects are built with dpkg-buildflags' hardening flags, from
# clean.  The copy is the tree as it is now, committed or not: the files git
# tracks (as they are on disk) and the untracked ones it does not ignore.
# Leaves $BUILD/deb/vmhop_VERSION_ARCH.deb (and dpkg-buildpackage's
# .buildinfo, .changes and the -dbgsym package beside it); the copy goes once
# the package is built, its log stays in $BUILD/deb/build.log.
#
# The flags are dpkg-buildflags' (change them the Debian way:
# DEB_CFLAGS_APPEND=..., DEB_BUILD_OPTIONS=noopt...), not the caller's
# CFLAGS: they are taken out of the environment here, with make's own
# variables and the Makefile's directories.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
out=$BUILD/deb
src=$out/src
t0=$(date +%s%N)

for t in dpkg-buildpackage dh; do
	command -v $t >/dev/null 2>&1 || { echo "deb: $t is not installed (make deps)" >&2; exit 1; }
done

rm -rf "$out"
mkdir -p "$src"
# The tree's files, NUL-separated: tracked ones deleted on disk and the build
# folder left out.
files() {
	local f
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		git ls-files -z -co --exclude-standard
	else
		find . -mindepth 1 \( -path ./.git -o -path "./$BUILD" \) -prune -o \
			\( -type f -o -type l \) -printf '%P\0'
	fi | while IFS= read -r -d '' f; do
		[[ $f == "$BUILD"/* ]] && continue
		[ -e "$f" ] || [ -L "$f" ] || continue
		printf '%s\0' "$f"
	done
}
files | tar --null -T - -cf - | tar -xf - -C "$src"
n=$(find "$src" -type f | wc -l)
t1=$(date +%s%N)

log=$out/build.log
echo "deb: building the package from a copy of the tree ($n files) in $src"
if ! (cd "$src" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD -u CPPFLAGS -u CFLAGS \
	-u LDFLAGS -u LDLIBS -u DESTDIR -u PREFIX -u SBINDIR -u DATADIR -u MANDIR \
	-u BASHCOMPDIR -u TMPFILESDIR \
	dpkg-buildpackage -b -us -uc -J"$(nproc)") >"$log" 2>&1; then
	tail -n 40 "$log" | sed 's/^/deb: | /'
	echo "deb: dpkg-buildpackage failed (the whole log: $log, the copy: $src)" >&2
	exit 1
fi
rm -rf "$src"
deb=$(ls "$out"/vmhop_*.deb)
t2=$(date +%s%N)
echo "deb: $deb ($(stat -c %s "$deb") bytes): copy $(( (t1 - t0) / 1000000 )) ms, dpkg-buildpackage $(( (t2 - t1) / 1000000 )) ms"
