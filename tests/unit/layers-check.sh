#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The layers of src/ (run by `make unit`; docs/DESIGN.md, "Modules").  A
# folder may use (include, call, refer to) itself and what is below it:
#
#   src/base     nothing else of ours (libc, system headers, json-c)
#   src/dm, src/lvm, src/meta, src/netlink, src/virt (the modules)
#                src/base; src/virt also src/lvm (LVM's names of an LV)
#   src/core     src/base and the modules
#   tools/, tests/: anything (not checked here)
#
# Checked twice: every #include in src/ (each "...", and each <...> that
# names a file under src/, as -Isrc finds it first), and every symbol an
# object of src/ takes from another one, read with nm from the objects the
# build made ($BUILD/obj/src: `make unit` builds them first).  A folder of
# src/ not in the table below fails until it is given its place.  And inside
# the folders too one file sits under another: no file of src/ uses one
# that uses it back, directly or through others (the symbols again).  A
# second.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
build=${BUILD:-build}
cd "$top" || exit 1
fail=0 checks=0

bad() { echo "layers-check: FAILED: $*"; fail=$((fail + 1)); }

# folder -> the other folders of src/ it may use
declare -A may=(
	[base]=""
	[dm]="base" [lvm]="base" [meta]="base" [netlink]="base" [virt]="base lvm"
	[core]="base dm lvm meta netlink virt"
)

# allowed FROM TO: 0 when src/FROM may use src/TO
allowed() {
	[ "$1" = "$2" ] && return 0
	case " ${may[$1]} " in *" $2 "*) return 0 ;; esac
	return 1
}

folder() { local p=${1#src/}; echo "${p%%/*}"; }

for d in src/*/; do
	d=${d%/}
	[ -n "${may[${d#src/}]+x}" ] || bad "$d: a folder this check does not know (add it to the table)"
done

# ---- the includes -------------------------------------------------------
for f in src/*/*.[ch]; do
	from=$(folder "$f")
	[ -n "${may[$from]+x}" ] || continue
	while IFS=: read -r line text; do
		p=${text#*include}
		p=${p#"${p%%[!	 ]*}"}
		case $p in
		\"*) p=${p#\"}; p=${p%%\"*}
		     if [ -e "$(dirname "$f")/$p" ]; then t=$(realpath -m --relative-to=. "$(dirname "$f")/$p")
		     elif [ -e "src/$p" ]; then t=src/$p
		     else bad "$f:$line: includes \"$p\", which is not in src/"; continue; fi ;;
		\<*) p=${p#<}; p=${p%%>*}
		     [ -e "src/$p" ] || continue
		     t=src/$p ;;
		*)   bad "$f:$line: an #include this check cannot read: $text"; continue ;;
		esac
		checks=$((checks + 1))
		case $t in
		src/*/*) ;;
		*) bad "$f:$line: includes $t, outside src/"; continue ;;
		esac
		to=$(folder "$t")
		allowed "$from" "$to" || bad "$f:$line: includes $p: src/$from may not use src/$to"
	done < <(grep -n '^[[:space:]]*#[[:space:]]*include' "$f")
done

# ---- the symbols: who calls or refers to whom ----------------------------
objs=()
for c in src/*/*.c; do
	o=$build/obj/${c%.c}.o
	if [ -e "$o" ]; then objs+=("$c" "$o"); else bad "no $o: build first (make all)"; fi
done
if [ ${#objs[@]} -gt 0 ]; then
	edges=$(for ((i = 0; i < ${#objs[@]}; i += 2)); do
		nm -P "${objs[i + 1]}" | awk -v f="${objs[i]}" '{ print f, $1, $2 }'
	done | awk '
		$3 ~ /^[ABCDGRSTVW]$/ { def[$2] = $1; next }
		$3 ~ /^[Uvw]$/ { ref[++n] = $1 " " $2 }
		END {
			for (i = 1; i <= n; i++) {
				split(ref[i], r, " ")
				if ((r[2] in def) && def[r[2]] != r[1] && !seen[r[1] " " def[r[2]]]++)
					print r[1], def[r[2]], r[2]
			}
		}')
	while read -r a b sym; do
		[ -n "$a" ] || continue
		checks=$((checks + 1))
		from=$(folder "$a") to=$(folder "$b")
		allowed "$from" "$to" || bad "$a uses $sym of $b: src/$from may not use src/$to"
	done <<<"$edges"
	# a circle of files: each one printed, as "a -> b -> ... -> a"
	circles=$(awk '
		function visit(v, depth,    i, j, k, w, s) {
			state[v] = 1
			stack[depth] = v
			for (i = 1; i <= n[v]; i++) {
				w = out[v, i]
				if (state[w] == 1) {
					for (k = depth; k > 1 && stack[k] != w; k--)
						;
					s = ""
					for (j = k; j <= depth; j++)
						s = s stack[j] " -> "
					print s w
				} else if (!state[w]) {
					visit(w, depth + 1)
				}
			}
			state[v] = 2
		}
		NF >= 2 { out[$1, ++n[$1]] = $2; node[$1]; node[$2] }
		END { for (v in node) if (!state[v]) visit(v, 1) }' <<<"$edges")
	checks=$((checks + 1))
	while read -r c; do
		[ -n "$c" ] && bad "files that use each other: $c"
	done <<<"$circles"
fi

if [ $fail -gt 0 ]; then
	echo "layers-check: $fail failed, $checks passed"
	exit 1
fi
echo "layers-check: $checks checks passed"
