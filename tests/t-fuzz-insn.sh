#!/bin/sh
# SPDX-License-Identifier: MIT
# t-fuzz-insn.sh - a few seconds of the libFuzzer target over the instruction
# analysis (tests/fuzz-insn.c) with a fixed seed: no crash, no access outside
# the input or the stub, every invariant of the rewrite holds.
# FUZZ_SEED and FUZZ_RUNS override the seed and the number of inputs.
. "$top_srcdir/tests/tap.sh"

bin=$top_builddir/tests/fuzz-insn
if [ ! -x "$bin" ]; then
	echo "1..0 # SKIP no clang with libFuzzer (configure looks for FUZZ_CC)"
	exit 0
fi
seed=${FUZZ_SEED:-1}
runs=${FUZZ_RUNS:-300000}
dir=$(mktemp -d) || exit 99
trap 'rm -rf "$dir"' EXIT

echo "1..1"
echo "# seed $seed, $runs inputs (replay: tests/fuzz-insn -seed=$seed -runs=$runs -max_len=20)"
"$bin" -seed="$seed" -runs="$runs" -max_len=20 -artifact_prefix="$dir/" >"$dir/log" 2>&1
rc=$?
check $rc "fuzz-insn: $runs inputs through mw_x86_analyze, no crash, no overrun, invariants hold"
if [ $rc -ne 0 ]; then
	grep -E 'fuzz-insn:|ERROR|SUMMARY' "$dir/log" | sed 's/^/#   /'
	for f in "$dir"/crash-* "$dir"/leak-* "$dir"/timeout-*; do
		[ -f "$f" ] && echo "#   input: $(od -An -tx1 "$f" | tr -s ' \n' ' ')"
	done
fi
grep -E '^Done' "$dir/log" | sed 's/^/# /'
exit $failed
