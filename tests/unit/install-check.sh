#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# `make install` and `make uninstall` into temporary DESTDIRs (run by `make
# unit`; BUILD names the build folder, as in the Makefile): Debian's layout
# (PREFIX=/usr) puts exactly the four files with their modes, the man page
# renders without warnings (when man is installed), the tmpfiles.d entry
# makes /var/lib/vmhop 0700 root:root (as root, when systemd-tmpfiles is
# installed), and uninstall removes those four and nothing else; then every
# directory variable moved elsewhere.  debian/changelog's version is the
# program's.  When `make deb` has built $BUILD/deb/vmhop_*.deb (`make check`
# does, before `make unit`), the package against `make install`: the same
# files with the same modes (the man page gzipped, plus the package's
# copyright and changelog), the same man page, completion and tmpfiles.d
# entry when the package is newer than them, a hardened program (relro, now,
# stack protector, fortified calls), the libraries vmhop dlopens in Depends,
# the postinst's systemd-tmpfiles and the postrm's purge.  A few seconds.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
fail=0 checks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bad() { echo "install-check: FAILED: $*"; fail=$((fail + 1)); }
ok() { checks=$((checks + 1)); }

# A make of its own: not a sub-make of `make unit` (no jobserver to share),
# and no directory variable from the environment but those given here.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u DESTDIR -u PREFIX -u SBINDIR -u DATADIR \
		-u MANDIR -u BASHCOMPDIR -u TMPFILESDIR make -C "$top" --no-print-directory \
		BUILD="$build" "$@" >"$tmp/make.log" 2>&1 || {
		bad "make $*"
		sed 's/^/  /' "$tmp/make.log"
		return 1
	}
}

# files DIR MODE PATH ...: exactly these regular files under DIR (and nothing
# else but directories), each with its mode.
files() {
	local dir=$1 want got
	shift
	got=$(cd "$dir" && find . ! -type d -printf '%m %P\n' | sort -k2)
	want=$(printf '%s\n' "$@" | sort -k2)
	if [ "$got" = "$want" ]; then ok; else
		bad "files under $dir:"
		diff <(echo "$want") <(echo "$got") | sed 's/^/  /'
	fi
}

# 1. Debian's layout.
d=$tmp/deb
mk install DESTDIR="$d" PREFIX=/usr || exit 1
files "$d" "755 usr/sbin/vmhop" "644 usr/share/man/man8/vmhop.8" \
	"644 usr/share/bash-completion/completions/vmhop" "644 usr/lib/tmpfiles.d/vmhop.conf"
if v=$("$d/usr/sbin/vmhop" --version) && [ "${v%% *}" = vmhop ]; then ok; else
	bad "the installed vmhop --version: '$v'"
fi
cmp -s "$d/usr/share/man/man8/vmhop.8" "$top/docs/vmhop.8" && ok || bad "vmhop.8 differs"
if bash -n "$d/usr/share/bash-completion/completions/vmhop"; then ok; else
	bad "bash -n on the completion"
fi

if command -v man >/dev/null 2>&1; then
	if out=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l \
		"$d/usr/share/man/man8/vmhop.8" 2>&1 >/dev/null) && [ -z "$out" ]; then ok; else
		bad "man --warnings -l vmhop.8:"
		echo "$out" | sed 's/^/  /'
	fi
else
	echo "install-check: man is not installed: the man page's rendering is not checked"
fi

# debian/changelog's version is the program's (and the Makefile's).
cv=$(sed -n '1s/^vmhop (\([^)]*\)).*/\1/p' "$top/debian/changelog")
if [ "vmhop $cv" = "${v:-}" ]; then ok; else
	bad "debian/changelog's version '$cv', the program's '${v:-}'"
fi

# The package `make deb` built, if any, against what make install put in $d.
debs=("$top/$build"/deb/vmhop_*.deb)
[ "${build#/}" = "$build" ] || debs=("$build"/deb/vmhop_*.deb)
if [ ! -e "${debs[0]}" ]; then
	echo "install-check: no $build/deb/vmhop_*.deb: the package is not checked (make deb)"
elif [ ${#debs[@]} -ne 1 ]; then
	bad "more than one package: ${debs[*]}"
elif ! command -v dpkg-deb >/dev/null 2>&1; then
	echo "install-check: dpkg-deb is not installed: ${debs[0]} is not checked"
else
	deb=${debs[0]} x=$tmp/pkg
	mkdir "$x" && dpkg-deb -x "$deb" "$x" && dpkg-deb -e "$deb" "$x.control" || bad "dpkg-deb -x $deb"
	# make install's files and modes, the man page as dh_installman leaves it
	mapfile -t want < <(cd "$d" && find . ! -type d -printf '%m %P\n' | sed 's#^\(644 usr/share/man/.*\)$#\1.gz#')
	files "$x" "${want[@]}" "644 usr/share/doc/vmhop/copyright" "644 usr/share/doc/vmhop/changelog.gz"
	# The same texts, unless the package is older than one of them (then it
	# was built from another tree: say so, compare nothing).
	stale=
	for f in docs/vmhop.8 tools/completion/vmhop tools/tmpfiles/vmhop.conf debian/copyright; do
		[ "$top/$f" -nt "$deb" ] && stale+=" $f"
	done
	if [ -n "$stale" ]; then
		echo "install-check: ${deb#$top/} is older than$stale: its texts are not compared (make deb)"
	else
		zcat "$x/usr/share/man/man8/vmhop.8.gz" | cmp -s - "$top/docs/vmhop.8" && ok ||
			bad "the package's vmhop.8.gz is not docs/vmhop.8"
		cmp -s "$x/usr/share/bash-completion/completions/vmhop" "$top/tools/completion/vmhop" && ok ||
			bad "the package's completion is not tools/completion/vmhop"
		cmp -s "$x/usr/lib/tmpfiles.d/vmhop.conf" "$top/tools/tmpfiles/vmhop.conf" && ok ||
			bad "the package's vmhop.conf is not tools/tmpfiles/vmhop.conf"
		cmp -s "$x/usr/share/doc/vmhop/copyright" "$top/debian/copyright" && ok ||
			bad "the package's copyright is not debian/copyright"
	fi
	pv=$(dpkg-deb -f "$deb" Version)
	if [ "$("$x/usr/sbin/vmhop" --version)" = "vmhop $pv" ]; then ok; else
		bad "the package's vmhop --version is not 'vmhop $pv' (its version)"
	fi
	# dpkg-buildflags' hardening reached the program: -z relro, -z now,
	# -fstack-protector-strong, -D_FORTIFY_SOURCE=2 (PIE is gcc's default).
	h=$(readelf -lW "$x/usr/sbin/vmhop" | grep -c GNU_RELRO)
	h+=" $(readelf -dW "$x/usr/sbin/vmhop" | grep -c 'FLAGS.*BIND_NOW')"
	h+=" $(nm -D "$x/usr/sbin/vmhop" | grep -c ' U __stack_chk_fail@')"
	h+=" $(nm -D "$x/usr/sbin/vmhop" | grep -cE ' U __(memcpy|snprintf|printf)_chk@')"
	h+=" $(readelf -hW "$x/usr/sbin/vmhop" | grep -c 'Type:.*DYN')"
	if [ "$h" = "1 1 1 3 1" ]; then ok; else
		bad "the package's vmhop is not hardened as dpkg-buildflags asks (relro, bind-now, stack protector, 3 fortified calls, PIE): $h"
	fi
	dep=$(dpkg-deb -f "$deb" Depends)
	for p in libvirt0 libxml2 liblvm2cmd2.03; do
		[[ ", $dep," == *", $p"[\ ,]* ]] && ok || bad "the package's Depends lacks $p (vmhop dlopens it): $dep"
	done
	grep -q 'systemd-tmpfiles .*--create vmhop.conf' "$x.control/postinst" 2>/dev/null && ok ||
		bad "the package's postinst does not run systemd-tmpfiles --create vmhop.conf"
	grep -q 'rm -rf "${DPKG_ROOT:-}/var/lib/vmhop"$' "$x.control/postrm" 2>/dev/null && ok ||
		bad "the package's postrm does not remove /var/lib/vmhop on purge"
fi

if grep -qx 'd /var/lib/vmhop 0700 root root -' "$d/usr/lib/tmpfiles.d/vmhop.conf"; then ok; else
	bad "vmhop.conf has no line 'd /var/lib/vmhop 0700 root root -'"
fi
if [ "$(id -u)" = 0 ] && command -v systemd-tmpfiles >/dev/null 2>&1; then
	# in $d as the root, as the package's postinst would on the host
	mkdir -p "$d/var/lib" && chmod 0755 "$d/var/lib"
	if systemd-tmpfiles --root="$d" --create vmhop.conf 2>"$tmp/tmpfiles.log" &&
		[ "$(stat -c '%a %U:%G %F' "$d/var/lib/vmhop")" = "700 root:root directory" ]; then
		ok
	else
		bad "systemd-tmpfiles --create vmhop.conf: $(stat -c '%a %U:%G %F' \
			"$d/var/lib/vmhop" 2>&1) $(cat "$tmp/tmpfiles.log")"
	fi
	rmdir "$d/var/lib/vmhop" "$d/var/lib" "$d/var"
fi

# uninstall: the four files go, anything else in those directories stays.
echo keep >"$d/usr/sbin/other" && echo keep >"$d/usr/share/man/man8/other.8"
mk uninstall DESTDIR="$d" PREFIX=/usr || exit 1
files "$d" "644 usr/sbin/other" "644 usr/share/man/man8/other.8"

# 2. Every directory variable elsewhere (and uninstall with the same ones).
d=$tmp/custom
vars=(DESTDIR="$d" PREFIX=/opt/p SBINDIR=/opt/bin MANDIR=/opt/man
	BASHCOMPDIR=/opt/bc TMPFILESDIR=/opt/tmpfiles)
mk install "${vars[@]}" || exit 1
files "$d" "755 opt/bin/vmhop" "644 opt/man/man8/vmhop.8" "644 opt/bc/vmhop" \
	"644 opt/tmpfiles/vmhop.conf"
mk uninstall "${vars[@]}" || exit 1
files "$d"
# DATADIR moves the man page and the completion together; PREFIX the rest.
d=$tmp/data
mk install DESTDIR="$d" PREFIX=/p DATADIR=/d || exit 1
files "$d" "755 p/sbin/vmhop" "644 d/man/man8/vmhop.8" \
	"644 d/bash-completion/completions/vmhop" "644 p/lib/tmpfiles.d/vmhop.conf"
mk uninstall DESTDIR="$d" PREFIX=/p DATADIR=/d || exit 1
files "$d"

if [ $fail -gt 0 ]; then
	echo "install-check: $fail failed, $checks passed"
	exit 1
fi
echo "install-check: $checks checks passed"
