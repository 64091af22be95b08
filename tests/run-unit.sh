#!/usr/bin/env bash
# Run each cmocka unit-test binary; print one closing summary line.
set -u
pass=0 fail=0
for t in "$@"; do
	out=$("$t" 2>&1)
	rc=$?
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | head -1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' <<<"$out" | head -1)
	pass=$((pass + ${p:-0}))
	fail=$((fail + ${f:-0}))
	if [ "$rc" -ne 0 ]; then
		echo "$out"
		[ -z "$f" ] && fail=$((fail + 1))	# crashed before its summary
	fi
done
echo "unit: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
