#!/bin/bash
# Issue 12, found item 1 (concurrent creates deadlock) and Deliver: 8
# threads of one embedding process each create, start, exec into, wait for
# and delete 50 containers, half of them sharing one
# ctr_context (threads.c; its header says what is checked and why today's
# main hangs).  This wrapper gives it a temp dir, a state root and a bundle
# whose program waits for EOF on its stdin, and removes whatever a failed or
# hung run left behind (lib.sh's cleanup).  The program prints the TAP.
#   threads.sh [THREADS-BINARY [THREADS [PER_THREAD [STALL_S]]]]
# (tsan.sh passes its ThreadSanitizer build of the program.)
. "$(dirname "$0")/../integration/lib.sh"

bin=${1:-${CTR_SEC_THREADS:-}}
if [ -z "$bin" ] || [ ! -x "$bin" ]; then
	echo "Bail out! no threads program ('$bin'); meson builds it (CTR_SEC_THREADS)"
	exit 1
fi
# a hung run leaves container processes (clones of the program, which may
# hold each other's state locks): kill them before the cleanup deletes
binpath=$(realpath "$bin")
kill_clones() {
	local pid
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$binpath" ] && kill -9 "$pid" 2>/dev/null
	done
}
at_cleanup kill_clones
b=$(mkb threads)
args "$b" 'read x; exit 0'
# the containers need no network of their own: keep the 400 creates cheap
cfg "$b" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]'
"$bin" "$ROOT" "$b" "${2:-8}" "${3:-50}" "${4:-30}" </dev/null &
tpid=$!
# the containers' cgroups are /ctr/sec<its pid>-th<T>-<N>: none may be left
at_cleanup "sleep 0.2; rmdir /sys/fs/cgroup/*/ctr/sec$tpid-th* /sys/fs/cgroup/unified/ctr/sec$tpid-th*"
wait $tpid
rc=$?
# a hang: where each container process that never reached the stub (still a
# clone of the program) waits, before they are killed (the rare TSan hang)
if [ "$rc" != 0 ]; then
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$binpath" ] || continue
		echo "# clone $pid: $(grep -E '^(State|PPid)' "/proc/$pid/status" 2>/dev/null | tr '\t\n' '  ')wchan $(cat "/proc/$pid/wchan" 2>/dev/null), syscall $(cat "/proc/$pid/syscall" 2>/dev/null)"
		sed 's/^/#   /' "/proc/$pid/stack" 2>/dev/null
		if command -v gdb >/dev/null; then
			timeout 20 gdb -p "$pid" -batch -ex 'bt 30' 2>/dev/null | grep '^#' | sed 's/^/#   /'
		fi
	done
fi
kill_clones
sleep 0.2
left=$(ls -d /sys/fs/cgroup/*/ctr/sec$tpid-th* 2>/dev/null)
if [ "$rc" = 0 ] && [ -n "$left" ]; then
	echo "Bail out! the containers' cgroups were left behind: $left"
	exit 1
fi
exit $rc
