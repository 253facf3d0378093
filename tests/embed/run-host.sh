#!/bin/bash
# run-host.sh PROGRAM [ARGS...]: run an embedding host program (TAP of its
# own) with a state root and a copy of the busybox bundle of its own,
# cleaned up afterwards by tests/integration/lib.sh; its TAP is passed on.
# The program is called as PROGRAM STATE_ROOT BUNDLE ARGS...
. "$(dirname "$0")/../integration/lib.sh"
prog=$1
shift
b=$(mkb bundle)
out=$(timeout 300 "$prog" "$ROOT" "$b" "$@" </dev/null 2>&1)
rc=$?
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "${line#ok * - }" ;;
	"not ok "*) notok "${line#not ok * - }" ;;
	"Bail out!"*) notok "$(basename "$prog"): ${line#Bail out! }" ;;
	"#"*) echo "$line" ;;
	esac
done <<<"$out"
expect_eq "$(basename "$prog"): exit 0" 0 "$rc"
expect_eq "$(basename "$prog"): nothing left in the state root" "" "$(state_left)"
finish
