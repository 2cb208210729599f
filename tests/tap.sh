# SPDX-License-Identifier: MIT
# tap.sh - TAP helpers for the shell tests (source it): the shell twin of
# tap.h.  check STATUS DESCRIPTION prints the next test point (STATUS 0 =
# ok) and remembers a failure in $failed; comment FILE prints FILE as TAP
# comments.
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
