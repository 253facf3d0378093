#!/bin/bash
# check-headers.sh INCLUDE_DIR CC [CXX]  (TAP)
# Each public header compiles alone as C99 -pedantic and as C++11 -pedantic.
set -u
inc=$1
cc=$2
cxx=${3:-}
n=0
failed=0
for h in "$inc"/ctr/*.h; do
	name=ctr/$(basename "$h")
	out=$(printf '#include <%s>\n' "$name" | $cc -std=c99 -pedantic -Werror -Wall -Wextra -fsyntax-only -I"$inc" -x c - 2>&1)
	rc=$?
	n=$((n + 1))
	if [ $rc = 0 ] && [ -z "$out" ]; then echo "ok $n - $name alone as C99 -pedantic"; else
		echo "not ok $n - $name alone as C99 -pedantic"; printf '%s\n' "$out" | sed 's/^/#   /'; failed=1; fi
	if [ -n "$cxx" ]; then
		out=$(printf '#include <%s>\n' "$name" | $cxx -std=c++11 -pedantic -Werror -Wall -Wextra -fsyntax-only -I"$inc" -x c++ - 2>&1)
		rc=$?
		n=$((n + 1))
		if [ $rc = 0 ] && [ -z "$out" ]; then echo "ok $n - $name alone as C++11 -pedantic"; else
			echo "not ok $n - $name alone as C++11 -pedantic"; printf '%s\n' "$out" | sed 's/^/#   /'; failed=1; fi
	fi
done
echo "1..$n"
exit $failed
