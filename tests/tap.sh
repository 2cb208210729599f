# SPDX-License-Identifier: MIT
# tap.sh - TAP helpers for the shell tests (source it): the shell twin of
# tap.h.  check STATUS DESCRIPTION prints the next test point (STATUS 0 =
# ok) and remembers a failure in $failed; comment FILE prints FILE as TAP
# comments; has FILE REGEX DESCRIPTION is a test point for a line of FILE
# matching REGEX (grep -E), FILE shown if none does; skip_if_sanitized
# skips the whole script in a build with sanitizers.
n=0
failed=0
check() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=1
	fi
}
comment() {
	if [ -f "$1" ]; then sed 's/^/#   /' "$1"; else echo "#   ($1 does not exist)"; fi
}
has() {
	grep -Eq -- "$2" "$1"
	r=$?
	check $r "$3"
	[ $r -eq 0 ] || comment "$1"
}
# again SETTING TEST...: each test program of tests/ once more with the
# environment SETTING (VAR=VALUE), one test point each: it exits 0 with no
# failed point; its failed points shown if not.
again() {
	setting=$1
	shift
	echo "1..$#"
	out=$(mktemp)
	for t in "$@"; do
		env "$setting" "${top_builddir:-.}/tests/$t" >"$out" 2>&1
		st=$?
		if [ $st -eq 0 ] && ! grep -q '^not ok' "$out"; then
			check 0 "$t with $setting"
		else
			check 1 "$t with $setting (status $st)"
			grep -E '^not ok|Bail out' "$out" | head -5 | sed 's/^/#   /'
		fi
	done
	rm -f "$out"
}
# Built with sanitizers (configure --enable-sanitizers), the programs the
# script runs are not, and the library preloaded into them cannot bring
# its sanitizer runtime along.
skip_if_sanitized() {
	if [ -n "${MW_SANITIZERS:-}" ]; then
		echo "1..0 # SKIP built with $MW_SANITIZERS: the library is preloaded into programs built without it"
		exit 0
	fi
}
