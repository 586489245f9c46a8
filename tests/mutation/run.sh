#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The mutation check: plant one realistic bug at a time in driver/ (the
# list in tests/mutation/mutants.txt), rebuild the modules, run the in-VM
# tests that should catch it, and say how it was caught. Documentation/
# testing.rst, "Mutation check".
#
#   tests/mutation/run.sh [options] [ID...]   all mutants, or these
#
# Options:
#   --list          list the mutants (id, class, file, tests) and exit
#   --check         check the list only: fields, unique ids, each snippet
#                   found exactly once in its file, each test in the
#                   build's test list; no build, no VM
#   --only ID[,ID]  these mutants only (the same as naming them)
#   --jobs N        mutants at once, each with its own copy and VM
#                   (default 1: one VM at a time)
#   --build DIR     the CMake build whose test programs and list are used
#                   (default: <repo>/build; build it first)
#   --out DIR       results (default: <build>/mutation); cleared first
#   --work DIR      scratch copies of the tree (default: a new directory
#                   under ${TMPDIR:-/tmp}, removed at the end)
#   --no-baseline   skip the first run of every selected test on the
#                   unmutated modules (by default a failure there stops
#                   the check: its results would mean nothing)
#
# For each mutant, in a copy of the tree (the repository is never touched):
# restore driver/ as it was, replace the mutant's snippet (which must occur
# exactly once) with its replacement, build the modules with Kbuild, then
# tools/vm/iub-vm of the copy runs the mutant's tests with the copy's
# modules and the programs of --build. Verdicts, the strongest first:
#   assert     a test failed on its own check (its exit status), the fuzzer
#              aside
#   kernel     only the kernel log failed a test (WARNING, BUG, slab
#              poisoning... with the test itself passing)
#   crash      only through a crash of the guest (oops=panic, a watchdog)
#   timeout    only through a time limit (the test's, or the runner's)
#   fuzz       only vm/fault-fuzz failed
#   SURVIVED   every test passed
#   stale      the snippet is not found exactly once (fix the list)
#   BUILD-FAILED  the mutant does not compile (fix the list)
#   error      the VM did not give every test a result
# Output: a table on stdout and in <out>/summary.txt, one line per mutant
# in <out>/results.tsv, and per mutant <out>/<ID>/: build.log, vm.log (the
# runner's output), vm-out/ (its results, logs, console and kernel log).
# Exit status: 0 when no mutant survived and none is stale, failed to
# build or had an error; 1 otherwise; 2 for a usage error or a failed
# baseline.
set -euo pipefail

repo=$(cd "$(dirname "$0")/../.." && pwd)
mutants=$repo/tests/mutation/mutants.txt
IUB_CACHE=${IUB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/iio-usb-bridge}
FUZZ_TEST=fault-fuzz

mode=run
build=$repo/build
out=
work=
jobs=1
baseline=1
want=()

usage() {
	sed -n '3,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'
}

while [ $# -gt 0 ]; do
	case $1 in
	--list) mode=list; shift ;;
	--check) mode=check; shift ;;
	--only) IFS=, read -r -a ids <<< "$2"; want+=("${ids[@]}"); shift 2 ;;
	--jobs) jobs=$2; shift 2 ;;
	--build) build=$(realpath "$2"); shift 2 ;;
	--out) out=$2; shift 2 ;;
	--work) work=$2; shift 2 ;;
	--no-baseline) baseline=0; shift ;;
	-h|--help) usage; exit 0 ;;
	-*) echo "mutation: unknown option $1" >&2; exit 2 ;;
	*) want+=("$1"); shift ;;
	esac
done
case $jobs in
''|*[!0-9]*|0) echo "mutation: --jobs takes a positive number" >&2; exit 2 ;;
esac
out=${out:-$build/mutation}

# --- the list -------------------------------------------------------------------
# Records of "key = value" lines, separated by blank lines; '#' comments.
# Keys: id, file, class, tests (space-separated in-VM test names), about,
# find, repl. In find and repl, \n is a newline, \t a tab, \\ a backslash.
declare -a M_ID=()
declare -A M_FILE=() M_CLASS=() M_TESTS=() M_ABOUT=() M_FIND=() M_REPL=()
CLASSES=" validation bounds length order errno cancel fence teardown "

parse_list() {
	local line key val id='' n=0 bad=0
	declare -A seen=()
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		case $line in '#'*) continue ;; esac
		if [[ $line =~ ^[[:space:]]*$ ]]; then
			id=''
			continue
		fi
		if ! [[ $line =~ ^([a-z]+)[[:space:]]*=[[:space:]]?(.*)$ ]]; then
			echo "mutation: $mutants:$n: not 'key = value'" >&2
			bad=1
			continue
		fi
		key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]}
		if [ "$key" = id ]; then
			id=$val
			if [ -n "${seen[$id]:-}" ]; then
				echo "mutation: $mutants:$n: id $id used twice" >&2
				bad=1
			fi
			seen[$id]=1
			M_ID+=("$id")
			continue
		fi
		if [ -z "$id" ]; then
			echo "mutation: $mutants:$n: '$key' before an id" >&2
			bad=1
			continue
		fi
		case $key in
		file) M_FILE[$id]=$val ;;
		class) M_CLASS[$id]=$val ;;
		tests) M_TESTS[$id]=$val ;;
		about) M_ABOUT[$id]=$val ;;
		find) M_FIND[$id]=$val ;;
		repl) M_REPL[$id]=$val ;;
		*) echo "mutation: $mutants:$n: unknown key $key" >&2; bad=1 ;;
		esac
	done < "$mutants"
	return $bad
}

# snippet MODE FILE FIND REPL: MODE count prints how often FIND occurs in
# FILE; MODE apply replaces its only occurrence with REPL (fails otherwise)
snippet() {
	perl -e '
		my ($mode, $path, $find, $repl) = @ARGV;
		for ($find, $repl) {
			s/\\([nt\\])/$1 eq "n" ? "\n" : $1 eq "t" ? "\t" : "\\"/ge;
		}
		open(my $fh, "<", $path) or die "$path: $!\n";
		local $/;
		my $s = <$fh>;
		close($fh);
		my $n = () = $s =~ /\Q$find\E/g;
		if ($mode eq "count") { print "$n\n"; exit 0; }
		die "found $n times\n" unless $n == 1;
		$s =~ s/\Q$find\E/$repl/;
		open($fh, ">", $path) or die "$path: $!\n";
		print $fh $s;
		close($fh);
	' "$@"
}

parse_list || exit 2
[ ${#M_ID[@]} -gt 0 ] || { echo "mutation: no mutants in $mutants" >&2; exit 2; }

# the selection, in the list's order
declare -A known=()
for id in "${M_ID[@]}"; do
	known[$id]=1
done
for id in "${want[@]}"; do
	[ -n "${known[$id]:-}" ] || { echo "mutation: no mutant $id" >&2; exit 2; }
done
selected=()
for id in "${M_ID[@]}"; do
	if [ ${#want[@]} = 0 ] || [[ " ${want[*]} " == *" $id "* ]]; then
		selected+=("$id")
	fi
done

if [ $mode = list ]; then
	printf '%-26s %-10s %-28s %s\n' ID CLASS FILE TESTS
	for id in "${selected[@]}"; do
		printf '%-26s %-10s %-28s %s\n' "$id" "${M_CLASS[$id]:-}" \
			"${M_FILE[$id]:-}" "${M_TESTS[$id]:-}"
		printf '%-26s %s\n' '' "${M_ABOUT[$id]:-}"
	done
	exit 0
fi

# --- checks of the list (every mode) -------------------------------------------
test_list=$build/tests/vm/tests.list
declare -A vm_test=()
if [ -f "$test_list" ]; then
	while IFS=$'\t' read -r name _; do
		vm_test[$name]=1
	done < <(awk -F'\t' '/^#/ || NF < 3 { next } { print $1 }' "$test_list")
elif [ $mode = run ]; then
	echo "mutation: no test list $test_list (build first: tools/build.sh)" >&2
	exit 2
fi
# check_mutant ID: prints what is wrong with it, if anything
check_mutant() {
	local id=$1 k t n
	for k in file class tests about find repl; do
		case $k in
		file) [ -n "${M_FILE[$id]:-}" ] || echo "no file" ;;
		class) [ -n "${M_CLASS[$id]:-}" ] || echo "no class" ;;
		tests) [ -n "${M_TESTS[$id]:-}" ] || echo "no tests" ;;
		about) [ -n "${M_ABOUT[$id]:-}" ] || echo "no about" ;;
		find) [ -n "${M_FIND[$id]:-}" ] || echo "no find" ;;
		repl) [ -n "${M_REPL[$id]+set}" ] || echo "no repl" ;;
		esac
	done
	[[ $CLASSES == *" ${M_CLASS[$id]:-} "* ]] ||
		echo "class '${M_CLASS[$id]:-}' is none of:$CLASSES"
	case ${M_FILE[$id]:-} in
	driver/*) ;;
	*) echo "file '${M_FILE[$id]:-}' is not in driver/" ;;
	esac
	if [ -f "$repo/${M_FILE[$id]:-/}" ] && [ -n "${M_FIND[$id]:-}" ]; then
		n=$(snippet count "$repo/${M_FILE[$id]}" "${M_FIND[$id]}" '')
		[ "$n" = 1 ] || echo "stale: the snippet is found $n times in ${M_FILE[$id]}"
	elif [ -n "${M_FILE[$id]:-}" ]; then
		echo "stale: no file ${M_FILE[$id]}"
	fi
	if [ ${#vm_test[@]} -gt 0 ]; then
		for t in ${M_TESTS[$id]:-}; do
			[ -n "${vm_test[$t]:-}" ] || echo "no in-VM test $t in $test_list"
		done
	fi
}

declare -A problem=()
nbad=0
for id in "${selected[@]}"; do
	p=$(check_mutant "$id")
	if [ -n "$p" ]; then
		problem[$id]=$p
		nbad=$((nbad + 1))
		while IFS= read -r l; do
			echo "mutation: $id: $l" >&2
		done <<< "$p"
	fi
done
if [ $mode = check ]; then
	[ $nbad = 0 ] || exit 1
	echo "ok - ${#selected[@]} mutants: each snippet found once, tests known"
	exit 0
fi
[ ${#vm_test[@]} -gt 0 ] || exit 2

# --- the run ---------------------------------------------------------------------
[ -f "$IUB_CACHE/env" ] || { echo "mutation: run tools/setup.sh first" >&2; exit 2; }
# shellcheck source=/dev/null
. "$IUB_CACHE/env"
: "${KDIR:?}"

own_work=0
if [ -z "$work" ]; then
	work=$(mktemp -d "${TMPDIR:-/tmp}/iub-mutation.XXXXXX")
	own_work=1
fi
mkdir -p "$work"
work=$(realpath "$work")
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() {
	[ "$own_work" = 0 ] || rm -rf "$work"
}
trap cleanup EXIT
rm -rf "${out:?}"
mkdir -p "$out/result"
out=$(realpath "$out")

# the driver as it is now: what every mutant starts from
mkdir -p "$work/pristine"
cp -p "$repo"/driver/*.[ch] "$repo/driver/Kbuild" "$work/pristine/"

log() {
	echo "mutation: $*" >&2
}

# make_copy DIR: the tree without build/ and .git, modules built
make_copy() {
	local dir=$1
	[ ! -f "$dir/.mutation-copy" ] || return 0
	rm -rf "$dir"
	mkdir -p "$dir"
	tar -C "$repo" --exclude=./build --exclude=./.git -cf - . | tar -C "$dir" -xf -
	cp "$work"/pristine/* "$dir/driver/"
	build_modules "$dir" > "$dir.build.log" 2>&1 ||
		{ log "the unmutated modules do not build (see $dir.build.log)"; return 1; }
	touch "$dir/.mutation-copy"
}

# build_modules DIR: driver/ of the copy, as the CMake target does
build_modules() {
	make -s -j1 -C "$KDIR" M="$1/driver" W=1 modules
}

# restore DIR: driver/ of the copy as it was (a file that changes gets a
# new time, so Kbuild builds it again)
restore() {
	local f
	for f in "$work"/pristine/*; do
		cmp -s "$f" "$1/driver/${f##*/}" || cp "$f" "$1/driver/${f##*/}"
	done
}

# classify_test VMOUT NAME: assert, kernel, crash, timeout, pass, skip or
# none, from the runner's result and the test's log
classify_test() {
	local r status
	[ -f "$1/results/$2" ] || { echo none; return; }
	r=$(cat "$1/results/$2")
	case $r in
	pass) echo pass ;;
	skip*) echo skip ;;
	"fail: exit status"*) echo assert ;;
	"fail: kernel log:"*)
		status=$(sed -n 's/^harness: exit status \([0-9]*\)$/\1/p' \
			"$1/logs/$2.log" 2>/dev/null | tail -n 1)
		case ${status:-0} in
		0|4) echo kernel ;;
		*) echo assert ;;
		esac
		;;
	"fail: timed out"*|*"stopped responding"*|*"time limit"*) echo timeout ;;
	*) echo crash ;;
	esac
}

# verdict HOW...: the strongest of the tests' classifications ("NAME:how")
verdict() {
	local v=SURVIVED rank=0 r x name how
	for x in "$@"; do
		name=${x%%:*} how=${x#*:}
		case $how in
		assert) r=6 ;;
		kernel) r=5 ;;
		crash) r=4 ;;
		timeout) r=3 ;;
		none) r=1 ;;
		*) r=0 ;;
		esac
		# the fuzzer, however it failed, is the weakest catch
		if [ "$name" = $FUZZ_TEST ] && [ $r -gt 1 ]; then
			r=2 how=fuzz
		fi
		if [ $r -gt $rank ]; then
			rank=$r
			v=$how
		fi
	done
	[ "$v" = none ] && v=error
	echo "$v"
}

# run_vm DIR VMOUT LOG TEST...: the tests with the copy's modules
run_vm() {
	local dir=$1 vmout=$2 vlog=$3
	shift 3
	"$dir/tools/vm/iub-vm" --build "$build" --out "$vmout" --quiet "$@" \
		> "$vlog" 2>&1 || true
}

# run_mutant ID DIR: one mutant, its result in <out>/result/ID
# (verdict<TAB>caught by<TAB>build s<TAB>VM s)
run_mutant() {
	local id=$1 dir=$2 res=$out/result/$1 d=$out/$1 t0 t1 t2 t how caught=() by
	mkdir -p "$d"
	restore "$dir"
	if [ -n "${problem[$id]:-}" ]; then
		printf 'stale\t%s\t0\t0\n' "$(head -n 1 <<< "${problem[$id]}")" > "$res"
		return
	fi
	t0=$(date +%s)
	if ! snippet apply "$dir/${M_FILE[$id]}" "${M_FIND[$id]}" "${M_REPL[$id]}" \
		> "$d/build.log" 2>&1; then
		printf 'stale\t%s\t0\t0\n' "$(head -n 1 "$d/build.log")" > "$res"
		return
	fi
	(cd "$dir" && diff -u "$work/pristine/${M_FILE[$id]#driver/}" \
		"${M_FILE[$id]}") > "$d/mutant.diff" || true
	if ! build_modules "$dir" >> "$d/build.log" 2>&1; then
		printf 'BUILD-FAILED\tsee %s\t%s\t0\n' "$d/build.log" \
			$(($(date +%s) - t0)) > "$res"
		restore "$dir"
		return
	fi
	t1=$(date +%s)
	# shellcheck disable=SC2086 # a list of test names
	run_vm "$dir" "$d/vm-out" "$d/vm.log" ${M_TESTS[$id]}
	t2=$(date +%s)
	for t in ${M_TESTS[$id]}; do
		how=$(classify_test "$d/vm-out" "$t")
		caught+=("$t:$how")
	done
	by=$(printf "%s\n" "${caught[@]}" | { grep -v -E ":(pass|skip)\$" || true; } |
		paste -sd" " -)
	printf '%s\t%s\t%s\t%s\n' "$(verdict "${caught[@]}")" "${by:--}" \
		$((t1 - t0)) $((t2 - t1)) > "$res"
	restore "$dir"
}

# worker K: mutants K, K+jobs, K+2*jobs... of the selection, in copy K
worker() {
	local k=$1 i id dir=$work/copy$1
	make_copy "$dir" || return 1
	for ((i = k; i < ${#selected[@]}; i += jobs)); do
		id=${selected[$i]}
		run_mutant "$id" "$dir"
		log "$id: $(cut -f1 "$out/result/$id")" \
			"($(cut -f2 "$out/result/$id"); build $(cut -f3 "$out/result/$id") s," \
			"VM $(cut -f4 "$out/result/$id") s)"
	done
}

start=$(date +%s)
commit=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)
[ -z "$(git -C "$repo" status --porcelain -- driver 2>/dev/null)" ] ||
	commit="$commit (driver/ modified)"
log "${#selected[@]} mutant(s), $jobs at a time; driver/ of $commit; work in $work"

if [ $baseline = 1 ]; then
	# every test the selection names, once, on the unmutated modules
	mapfile -t union < <(for id in "${selected[@]}"; do
		# shellcheck disable=SC2086 # a list of test names
		[ -n "${problem[$id]:-}" ] || printf '%s\n' ${M_TESTS[$id]}
	done | awk '!seen[$0]++')
	log "baseline: ${#union[@]} test(s) on the unmutated modules"
	make_copy "$work/copy0" || exit 2
	t0=$(date +%s)
	mkdir -p "$out/baseline"
	run_vm "$work/copy0" "$out/baseline/vm-out" "$out/baseline/vm.log" "${union[@]}"
	bad=()
	for t in "${union[@]}"; do
		how=$(classify_test "$out/baseline/vm-out" "$t")
		case $how in pass|skip) ;; *) bad+=("$t:$how") ;; esac
	done
	if [ ${#bad[@]} -gt 0 ]; then
		log "baseline: failed without a mutant: ${bad[*]} (see $out/baseline)"
		exit 2
	fi
	log "baseline: all ${#union[@]} passed in $(($(date +%s) - t0)) s"
fi

pids=()
for ((k = 0; k < jobs && k < ${#selected[@]}; k++)); do
	worker "$k" &
	pids+=($!)
done
for p in "${pids[@]}"; do
	wait "$p" || { log "a worker failed"; exit 2; }
done
elapsed=$(($(date +%s) - start))

# --- the table ---------------------------------------------------------------------
declare -A count=()
{
	printf 'id\tclass\tfile\tverdict\tcaught_by\tbuild_s\tvm_s\tabout\n'
	for id in "${selected[@]}"; do
		IFS=$'\t' read -r v by bs vs < "$out/result/$id"
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$id" "${M_CLASS[$id]}" \
			"${M_FILE[$id]}" "$v" "$by" "$bs" "$vs" "${M_ABOUT[$id]}"
	done
} > "$out/results.tsv"
{
	echo "Mutation check: driver/ of $commit, $(date -u +'%Y-%m-%d %H:%M UTC')," \
		"${#selected[@]} mutant(s) in $((elapsed / 60)) min $((elapsed % 60)) s"
	echo
	printf '%-26s %-10s %-22s %-12s %s\n' MUTANT CLASS FILE VERDICT "CAUGHT BY (test:how)"
	for id in "${selected[@]}"; do
		IFS=$'\t' read -r v by bs vs < "$out/result/$id"
		count[$v]=$((${count[$v]:-0} + 1))
		printf '%-26s %-10s %-22s %-12s %s\n' "$id" "${M_CLASS[$id]}" \
			"${M_FILE[$id]#driver/}" "$v" "$by"
	done
	echo
	n=${#selected[@]}
	a=${count[assert]:-0}
	printf 'assert %d (%d%%), kernel %d, crash %d, timeout %d, fuzz %d, SURVIVED %d' \
		"$a" $((100 * a / n)) "${count[kernel]:-0}" "${count[crash]:-0}" \
		"${count[timeout]:-0}" "${count[fuzz]:-0}" "${count[SURVIVED]:-0}"
	printf '; stale %d, BUILD-FAILED %d, error %d\n' "${count[stale]:-0}" \
		"${count[BUILD-FAILED]:-0}" "${count[error]:-0}"
} > "$out/summary.txt"
cat "$out/summary.txt"
echo "mutation: details in $out (results.tsv, <ID>/)" >&2
for v in SURVIVED stale BUILD-FAILED error; do
	[ "${count[$v]:-0}" = 0 ] || exit 1
done
exit 0
