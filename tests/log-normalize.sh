# SPDX-License-Identifier: MIT
# log-normalize.sh - normalize, the filter that makes a log dump of
# tests/log-dump-prog comparable with tests/log-dump.expected (source it;
# t-log-dump.sh says what it changes).
normalize() {
	sed -E \
	    -e 's/^(#[0-9]+ [a-z?]+ watch -?[0-9]+ thread )[0-9]+ \+[0-9]+\.[0-9]+s$/\1TID +TIME/' \
	    -e '/^  #[0-9]+ /s/\+0x[0-9a-f]+/+0xOFF/g' \
	    -e 's/(^| )0x[0-9a-f]+/\10xADDR/g' \
	    -e 's/\(lt-log-dump-prog\)/(log-dump-prog)/g' |
	awk '/^#[0-9]+ / { below = 0 }
	     /^  #[0-9]+ / { if (below) next; if ($0 ~ / main\+/) below = 1 }
	     { print }'
}
