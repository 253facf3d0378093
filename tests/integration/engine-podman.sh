#!/bin/bash
# podman with ctr-demo as its OCI runtime (podman --runtime).  Private
# storage, run root, tmp dir and containers.conf under the test's tmpdir; no
# network (netns = "none"), so nothing of the host's podman or of other tests
# is touched.  The image is imported from the busybox bundle's rootfs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engines/common.sh"
FIX=$(dirname "$0")/engines

if ! command -v podman >/dev/null; then
	echo "1..0 # SKIP podman is not installed"
	[ "${CTR_TESTS_MUST_RUN:-0}" = 1 ] && exit 1
	exit 77
fi

mkdir -p "$TMP/podman"
# default_ulimits: this machine lacks CAP_SYS_RESOURCE for podman's defaults
cat >"$TMP/podman/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$TMP/podman/events.log"
EOF
export CONTAINERS_CONF=$TMP/podman/containers.conf
# also keep the host's registries and policy out of it
export CONTAINERS_REGISTRIES_CONF=$TMP/podman/registries.conf
: >"$CONTAINERS_REGISTRIES_CONF"
P=(podman --root "$TMP/podman/root" --runroot "$TMP/podman/runroot" --tmpdir "$TMP/podman/tmp"
	--runtime "$CTR_DEMO" --cgroup-manager cgroupfs)
pm() { timeout 60 "${P[@]}" "$@"; }
# every container and the storage's mounts go at exit (lib.sh then unmounts what is left)
at_cleanup "timeout 30 ${P[*]} rm -af -t 0; timeout 30 ${P[*]} system reset -f"
# podman's cgroupfs manager makes libpod_parent(/conmon) in every hierarchy:
# remove them at exit when this test made them and nothing else uses them
for d in /sys/fs/cgroup/*/ /sys/fs/cgroup/; do
	d=${d}libpod_parent
	[ -d "$d" ] && continue
	at_cleanup "rmdir ${d}/conmon ${d} 2>/dev/null"
done

IMG=localhost/ctr-busybox:$$
tar -C "$CTR_BUNDLE/rootfs" -cf "$TMP/rootfs.tar" .
out=$(pm import "$TMP/rootfs.tar" "$IMG" 2>&1)
if [ $? != 0 ]; then
	echo "Bail out! podman import: $out"
	exit 1
fi
N=ctr$$

# run: output and exit code
out=$(pm run --rm "$IMG" sh -c 'echo hello from ctr-demo; exit 3' 2>&1)
rc=$?
expect_eq "run: exit code" 3 "$rc"
expect_eq "run: output" "hello from ctr-demo" "$out"
out=$(pm run --rm "$IMG" /nonexistent 2>&1)
expect_eq "run: a missing program exits 127" 127 "$?"
expect_match "run: a missing program says so" 'no such file or directory' "$out"

# --device and --privileged: podman writes the host node's st_mode, type bits
# included (020600 for /dev/fuse here), into linux.devices[].fileMode
if [ -c /dev/fuse ]; then
	want=$(stat -c '%t:%T %a' /dev/fuse)
	out=$(pm run --rm --device /dev/fuse "$IMG" stat -c '%F %t:%T %a' /dev/fuse 2>&1)
	expect_eq "run --device /dev/fuse: the node, with the host's mode" "character special file $want" "$out"
	out=$(pm run --rm --privileged "$IMG" sh -c 'stat -c "%F %t:%T %a" /dev/fuse; [ -c /dev/null ] && echo null-ok' 2>&1)
	expect_eq "run --privileged: the host's devices are there" "character special file $want
null-ok" "$out"
else
	skip "run --device /dev/fuse" "this host has no /dev/fuse"
	skip "run --privileged" "this host has no /dev/fuse"
fi

# detached run, logs, exec, stop (the process exits on TERM)
pm run -d --name "$N-d" "$IMG" sh -c 'echo started; trap "echo got-term; exit 0" TERM; while :; do sleep 0.1; done' >/dev/null 2>"$TMP/d.err"
expect_eq "run -d: running" running "$(pm inspect "$N-d" --format '{{.State.Status}}' 2>&1)"
for i in $(seq 30); do pm logs "$N-d" 2>/dev/null | grep -q started && break; sleep 0.1; done
expect_eq "logs: the container's output" started "$(pm logs "$N-d" 2>&1)"
out=$(pm exec "$N-d" sh -c 'echo exec-out; exit 4' 2>&1)
expect_eq "exec: exit code" 4 "$?"
expect_eq "exec: output" exec-out "$out"
out=$(pm exec -e FOO=bar -w /tmp -u 1000:1000 "$N-d" sh -c 'echo $FOO $(pwd) $(id -u):$(id -g)' 2>&1)
expect_eq "exec -e -w -u" "bar /tmp 1000:1000" "$out"
out=$(pm exec "$N-d" /nonexistent 2>&1)
expect_eq "exec: a missing program exits 127" 127 "$?"
engine_tty "exec -it" "${P[*]} exec -it $N-d"
pm stop -t 10 "$N-d" >/dev/null 2>&1
expect_eq "stop: SIGTERM ends it with its own exit code" 0 "$(pm inspect "$N-d" --format '{{.State.ExitCode}}' 2>&1)"
expect_match "stop: the container saw SIGTERM" 'got-term' "$(pm logs "$N-d" 2>&1)"
pm rm "$N-d" >/dev/null 2>&1
expect_eq "rm: gone" "" "$(pm ps -aq --filter name="$N-d" 2>&1)"

# stop a process that ignores TERM: SIGKILL after the timeout
pm run -d --name "$N-k" "$IMG" sh -c 'trap "" TERM; while :; do sleep 0.1; done' >/dev/null 2>&1
t0=$(date +%s%N)
pm stop -t 1 "$N-k" >/dev/null 2>&1
t1=$(date +%s%N)
expect_eq "stop -t 1 of a process ignoring TERM: killed (137)" 137 "$(pm inspect "$N-k" --format '{{.State.ExitCode}}' 2>&1)"
ms=$(((t1 - t0) / 1000000))
if [ "$ms" -ge 900 ] && [ "$ms" -lt 8000 ]; then ok "stop -t 1: SIGKILL came after the timeout (${ms} ms)"; else notok "stop -t 1: timing" "took ${ms} ms"; fi
pm rm "$N-k" >/dev/null 2>&1

# kill with a signal, then rm -f of a running one
pm run -d --name "$N-s" "$IMG" sh -c 'trap "echo got-usr1; exit 9" USR1; while :; do sleep 0.1; done' >/dev/null 2>&1
pm kill -s USR1 "$N-s" >/dev/null 2>&1
expect_eq "kill -s USR1: the container's exit code" 9 "$(pm wait "$N-s" 2>&1)"
expect_match "kill -s USR1: the container got it" 'got-usr1' "$(pm logs "$N-s" 2>&1)"
pm rm "$N-s" >/dev/null 2>&1
pm run -d --name "$N-f" "$IMG" sleep 100 >/dev/null 2>&1
pid=$(pm inspect "$N-f" --format '{{.State.Pid}}' 2>/dev/null)
out=$(pm rm -f -t 0 "$N-f" 2>&1)
expect_eq "rm -f of a running container" "$N-f" "$out"
check "rm -f: its process is gone" gone "$pid"

# pause/unpause (the cgroup freezer) and top (ctr-demo ps)
# a counter, not the time: busybox date has no %N, and seconds may not move between the reads
pm run -d --name "$N-p" "$IMG" sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/tick; sleep 0.05; done' >/dev/null 2>&1
pid=$(pm inspect "$N-p" --format '{{.State.Pid}}' 2>/dev/null)
sleep 0.3
pm pause "$N-p" >/dev/null 2>&1
expect_eq "pause: paused" paused "$(pm inspect "$N-p" --format '{{.State.Status}}' 2>&1)"
check "pause: the container's cgroup is frozen" cg_frozen "$pid"
t1=$(cat "/proc/$pid/root/tmp/tick" 2>&1)
sleep 0.3
expect_eq "pause: the container's processes do not run" "$t1" "$(cat "/proc/$pid/root/tmp/tick" 2>&1)"
pm unpause "$N-p" >/dev/null 2>&1
expect_eq "unpause: running" running "$(pm inspect "$N-p" --format '{{.State.Status}}' 2>&1)"
sleep 0.3
t2=$(cat "/proc/$pid/root/tmp/tick" 2>&1)
if [ "$t2" != "$t1" ]; then ok "unpause: the processes run again"; else notok "unpause: the processes run again" "tick still $t1"; fi
expect_match "top: lists the container's init" 'while :; do i=' "$(pm top "$N-p" 2>&1)"
pm rm -f -t 0 "$N-p" >/dev/null 2>&1

# --cap-drop
out=$(pm run --rm --cap-drop CHOWN "$IMG" sh -c 'chown 5 /tmp 2>&1; grep CapEff /proc/self/status' 2>&1)
expect_match "--cap-drop CHOWN: chown refused" 'Operation not permitted' "$out"
capeff=$(printf '%s\n' "$out" | awk '/CapEff/ {print $2}')
if [ -n "$capeff" ] && [ $((0x$capeff & 1)) = 0 ]; then ok "--cap-drop CHOWN: not in CapEff"; else notok "--cap-drop CHOWN: CapEff" "$out"; fi
out=$(pm run --rm --cap-drop all --cap-add NET_RAW "$IMG" sh -c 'grep CapEff /proc/self/status' 2>&1)
expect_match "--cap-drop all --cap-add NET_RAW: only NET_RAW" 'CapEff:[[:space:]]+0000000000002000' "$out"

# --read-only: / refuses writes, the tmpfs podman puts on /tmp (tmpcopyup) does not
out=$(pm run --rm --read-only "$IMG" sh -c 'touch /x 2>&1; touch /tmp/y && echo tmp-ok' 2>&1)
expect_match "--read-only: / is read-only" 'Read-only file system' "$out"
expect_match "--read-only: /tmp is writable" 'tmp-ok' "$out"

# seccomp: a profile that denies mkdir with EPERM
out=$(pm run --rm --security-opt seccomp="$FIX/seccomp-deny-mkdir.json" "$IMG" sh -c 'mkdir /newdir 2>&1; echo rc=$?; touch /file && echo touch-ok' 2>&1)
expect_match "seccomp profile: mkdir denied" 'Operation not permitted' "$out"
expect_match "seccomp profile: other syscalls allowed" 'touch-ok' "$out"
out=$(pm run --rm "$IMG" sh -c 'mkdir /newdir && echo mkdir-ok' 2>&1)
expect_match "seccomp: without the profile mkdir works" 'mkdir-ok' "$out"

# --userns through --uidmap/--gidmap: root inside is 100000 outside
out=$(pm run --rm --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMG" sh -c 'cat /proc/self/uid_map; id -u; touch /owned; stat -c %u /owned' 2>&1)
expect_match "--uidmap: the mapping" '^ +0 +100000 +65536$' "$out"
expect_match "--uidmap: uid 0 inside" '^0$' "$out"
out=$(pm run -d --name "$N-u" --uidmap 0:100000:65536 --gidmap 0:100000:65536 "$IMG" sleep 100 2>&1)
pid=$(pm inspect "$N-u" --format '{{.State.Pid}}' 2>/dev/null)
expect_eq "--uidmap: the container's init is uid 100000 on the host" 100000 "$(stat -c %u "/proc/$pid" 2>&1)"
pm rm -f -t 0 "$N-u" >/dev/null 2>&1

# -it: a terminal, driven through script(1)
engine_tty "-it" "${P[*]} run -it --rm $IMG"

# resources: --memory enforced (OOM kill), --memory 8m still runs /bin/true, --pids-limit
out=$(pm run --rm --memory 8m "$IMG" /bin/true 2>&1)
expect_eq "--memory 8m runs /bin/true" "0 " "$? $out"
pm run -d --name "$N-m" --memory 32m --pids-limit 10 "$IMG" sleep 100 >/dev/null 2>&1
pid=$(pm inspect "$N-m" --format '{{.State.Pid}}' 2>/dev/null)
if [ -d /sys/fs/cgroup/memory ]; then want=33554432 file=memory.limit_in_bytes; else want=33554432 file=memory.max; fi
expect_eq "--memory 32m: the limit is in the container's memory cgroup" "$want" "$(host_cg_file "$pid" memory $file)"
expect_eq "--pids-limit 10: the limit is in the container's pids cgroup" 10 "$(host_cg_file "$pid" pids pids.max)"
pm rm -f -t 0 "$N-m" >/dev/null 2>&1
# inside, /sys/fs/cgroup shows the container's own cgroups (as runc: on a v1 or
# hybrid host a tmpfs with each hierarchy's cgroup bound in), with and without
# a cgroup namespace
if [ -d /sys/fs/cgroup/memory ]; then f=/sys/fs/cgroup/memory/memory.limit_in_bytes; else f=/sys/fs/cgroup/memory.max; fi
for ns in host private; do
	out=$(pm run --rm --cgroupns $ns --memory 32m "$IMG" sh -c "cat $f; ls ${f%/*} | grep -c libpod" 2>&1)
	expect_eq "--cgroupns $ns: the container reads its own memory limit in $f and sees no other cgroup" \
		"$(printf '33554432\n0')" "$out"
done
out=$(pm run --rm --memory 32m --memory-swap 32m "$IMG" sh -c "$HOG" 2>&1)
expect_eq "--memory 32m: an 80 MB shell variable is OOM-killed (137)" 137 "$?"
out=$(pm run --rm "$IMG" sh -c "$HOG" 2>&1)
expect_eq "without --memory the same allocation succeeds" "survived 80000000" "$out"
out=$(pm run --rm --pids-limit 10 "$IMG" sh -c 'for i in $(seq 20); do sleep 1 & done 2>&1; wait' 2>&1)
expect_match "--pids-limit 10: the 11th process cannot fork" "can't fork|Resource temporarily unavailable" "$out"

finish
