#!/usr/bin/env bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The man page (docs/vmhop.8) and the bash completion (tools/completion/vmhop)
# against what the program says (run by `make unit`; BUILD names the build
# folder): every command and sub-command `vmhop --help` and `vmhop FAMILY
# --help` list, every option each one's --help lists, the environment
# variables and the exit codes of `vmhop --help`, are in the man page; the
# completion offers exactly those commands, sub-commands and options (plus
# --json and --help); and the completion function itself, called as bash
# calls it, completes values, files, directories and VM names.  A second or
# two.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac
vmhop=$build/vmhop
man8=$top/docs/vmhop.8
fail=0 checks=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

bad() { echo "cli-docs-check: FAILED: $*"; fail=$((fail + 1)); }
ok() { checks=$((checks + 1)); }

[ -x "$vmhop" ] || { echo "cli-docs-check: no $vmhop (make first)"; exit 1; }
# shellcheck source=../../tools/completion/vmhop
. "$top/tools/completion/vmhop"

# The man page's source as text: \- is -, no font changes.
sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\%//g' -e 's/\\(dq/"/g' "$man8" >"$tmp/man"

# help CMD...: the --help text of a command (exit 0 required).
help() {
	"$vmhop" "$@" --help 2>&1 || { bad "vmhop $* --help exits $?"; return 1; }
}
# The options a --help text names (long ones, and -o), one a line.
options() {
	grep -oE -- '(^|[^A-Za-z0-9_-])--?[a-z][a-z0-9-]*' |
		sed -E 's/^[^-]+//' | grep -E -- '^(--.+|-o)$' | sort -u
}
# The set of words, one a line, without --json and --help.
norm() { tr -s ' \t\n' '\n' | grep -vxE -- '--json|--help|' | sort -u; }

same() {	# WHAT WANT GOT
	if [ "$2" = "$3" ]; then ok; else
		bad "$1: --help (<) and the completion (>) differ:"
		diff <(echo "$2") <(echo "$3") | grep '^[<>]' | sed 's/^/  /'
	fi
}

in_man() {	# WHAT ERE
	if grep -qE -- "$2" "$tmp/man"; then ok; else bad "vmhop.8 lacks $1"; fi
}

# Commands.
top_help=$(help) || exit 1
cmds=$(echo "$top_help" | sed -n '/^Commands:/,/^$/p' | sed -nE 's/^  ([a-z][a-z-]*) .*/\1/p')
[ "$(echo "$cmds" | wc -l)" -ge 19 ] && ok || bad "vmhop --help lists only: $cmds"
same "the commands" "$(echo "$cmds" | norm)" "$(echo "$_vmhop_cmds" | norm)"
for c in $cmds; do
	in_man "the command $c" "^\.B $c( |$)"
done

# Each command's options; the sub-commands of a family, and theirs.
for c in $cmds; do
	subs=$(_vmhop_subs "$c")
	if [ -z "$subs" ]; then
		h=$(help "$c") || continue
		want=$(echo "$h" | options | norm)
		same "vmhop $c" "$want" "$(_vmhop_options "$c" | norm)"
		for o in $want; do in_man "$o (vmhop $c)" "(^|[^a-z0-9-])$o([^a-z0-9-]|$)"; done
		continue
	fi
	h=$(help "$c") || continue
	listed=$(echo "$h" | sed -nE "s/^  $c ([a-z][a-z-]*).*/\1/p")
	same "the sub-commands of $c" "$(echo "$listed" | norm)" "$(echo "$subs" | norm)"
	for s in $listed; do
		in_man "vmhop $c $s" "^\.B $c $s( |$)"
		h=$(help "$c" "$s") || continue
		want=$(echo "$h" | options | norm)
		same "vmhop $c $s" "$want" "$(_vmhop_options "$c" "$s" | norm)"
		for o in $want; do in_man "$o (vmhop $c $s)" "(^|[^a-z0-9-])$o([^a-z0-9-]|$)"; done
	done
done
for a in show make-safe release restore; do in_man "drbd helper $a" "\b$a\b"; done

# The environment and the exit codes.
envs=$(echo "$top_help" | grep -oE 'VMHOP_[A-Z_]+' | sort -u)
[ -n "$envs" ] && ok || bad "vmhop --help names no environment variable"
for v in $envs; do in_man "$v" "^\.B $v$"; done
codes=$(echo "$top_help" | sed -n '/^Exit codes:/,/^$/p' | grep -oE '(^|[ ,:])[0-9]+ [a-z]' |
	grep -oE '[0-9]+')
[ "$(echo "$codes" | wc -l)" -eq 17 ] && ok || bad "vmhop --help lists exit codes: $codes"
for n in $codes; do in_man "exit code $n" "^\.B $n$"; done

# The completion function, as bash calls it.
comp() {	# WANT WORD... (the last word is the one completed)
	local want=$1
	shift
	COMP_WORDS=("$@")
	COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	COMPREPLY=()
	_vmhop 2>"$tmp/comp.err"
	local got="${COMPREPLY[*]}"
	if [ "$got" = "$want" ] && [ ! -s "$tmp/comp.err" ]; then ok; else
		bad "completing '$*': '$got' (want '$want') $(cat "$tmp/comp.err")"
	fi
}
comp "detach" vmhop drbd attach --on-io-error = d
comp "disconnect discard-zero-changes" vmhop --json drbd connect r0 --after-sb-0pri ''
comp "show make-safe release restore" vmhop drbd helper ''
comp "cancel continue" vmhop plan web1 --to hv2 --on-link-loss ''
comp "connect= sync= stall= migrate= gate=" vmhop plan --timeout ''
comp "--leave-paused" vmhop migrate --plan p --le
mkdir -p "$tmp/plans/d" && : >"$tmp/plans/web1.plan"
comp "$tmp/plans/web1.plan" vmhop send --plan "$tmp/plans/w"
comp "$tmp/plans/d" vmhop receive --state-dir "$tmp/plans/"
# VM names from virsh, only when it is there.
mkdir -p "$tmp/bin" "$tmp/nobin"
printf '#!/bin/sh\nprintf "web1\\nweb2\\ndb1\\n\\n"\n' >"$tmp/bin/virsh" && chmod +x "$tmp/bin/virsh"
PATH=$tmp/bin:$PATH comp "web1 web2" vmhop plan we
PATH=$tmp/bin:$PATH comp "db1" vmhop virt state d
PATH=$tmp/nobin comp "" vmhop plan we

if [ $fail -gt 0 ]; then
	echo "cli-docs-check: $fail failed, $checks passed"
	exit 1
fi
echo "cli-docs-check: $checks checks passed"
