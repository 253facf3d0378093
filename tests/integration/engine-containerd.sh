#!/bin/bash
# containerd with ctr-demo behind its runc shim (io.containerd.runc.v2,
# `ctr run --runc-binary`, the shim's BinaryName).  A private containerd
# daemon (root, state and sockets in the test's tmpdir, the CRI plugin off),
# started and stopped here; an image built from the busybox bundle's rootfs
# with umoci and skopeo and loaded with `ctr images import`.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/engines/common.sh"

for tool in containerd ctr containerd-shim-runc-v2 umoci skopeo; do
	if ! command -v $tool >/dev/null; then
		echo "1..0 # SKIP $tool is not installed (packages containerd, umoci, skopeo)"
		[ "${CTR_TESTS_MUST_RUN:-0}" = 1 ] && exit 1
		exit 77
	fi
done

CD=$TMP/containerd
mkdir -p "$CD"
cat >"$CD/config.toml" <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$CD/c.sock"
[ttrpc]
  address = "$CD/c.sock.ttrpc"
[debug]
  address = "$CD/debug.sock"
EOF
containerd --config "$CD/config.toml" >"$CD/containerd.log" 2>&1 &
CD_PID=$!
track_pid $CD_PID
# stop the daemon first, then any shim it left (their command line names our socket)
stop_containerd() {
	local p
	kill "$CD_PID" 2>/dev/null
	gone "$CD_PID" || kill -9 "$CD_PID" 2>/dev/null
	for p in $(ls /proc | grep -E '^[0-9]+$'); do
		{ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$CD/c.sock" && kill -9 "$p" 2>/dev/null
	done
	return 0
}
NS=ctr$$
# the runtime makes /<namespace>/<id> cgroups (ctr's default cgroupsPath); their parent goes at exit
at_cleanup "for c in \$(ctr -a $CD/c.sock -n $NS task ls -q); do ctr -a $CD/c.sock -n $NS task kill -s KILL \$c; ctr -a $CD/c.sock -n $NS task delete -f \$c; done; stop_containerd; rmdir /sys/fs/cgroup/*/$NS /sys/fs/cgroup/$NS"
for i in $(seq 100); do [ -S "$CD/c.sock" ] && break; sleep 0.1; done
if ! [ -S "$CD/c.sock" ]; then
	echo "Bail out! containerd did not start: $(tail -5 "$CD/containerd.log")"
	exit 1
fi

C=(ctr -a "$CD/c.sock" -n "$NS")
RUN_OPTS=(--runc-binary "$CTR_DEMO" --runc-root "$CD/runc")
c() { timeout 60 "${C[@]}" "$@"; }
crun_() { timeout 60 "${C[@]}" run "${RUN_OPTS[@]}" "$@"; }

# the image: an OCI layout from the rootfs (umoci), as a docker archive (skopeo)
IMG=docker.io/library/ctr-busybox:$$
{
	umoci init --layout "$TMP/oci" &&
		umoci new --image "$TMP/oci:bb" &&
		umoci unpack --rootless --image "$TMP/oci:bb" "$TMP/unpacked" &&
		cp -a "$CTR_BUNDLE/rootfs/." "$TMP/unpacked/rootfs/" &&
		umoci repack --image "$TMP/oci:bb" "$TMP/unpacked" &&
		umoci config --image "$TMP/oci:bb" --config.cmd sh &&
		skopeo copy "oci:$TMP/oci:bb" "docker-archive:$TMP/bb.tar:$IMG" &&
		c images import "$TMP/bb.tar"
} >"$TMP/image.log" 2>&1
if [ $? != 0 ]; then
	echo "Bail out! building or importing the image failed: $(tail -5 "$TMP/image.log")"
	exit 1
fi
expect_eq "images import: the image is there" "$IMG" "$(c images ls -q 2>&1)"

# ctr run --rm: output and exit code
out=$(crun_ --rm "$IMG" t-run$$ sh -c 'echo hello from ctr-demo; exit 3' 2>&1)
expect_eq "run --rm: exit code" 3 "$?"
expect_match "run --rm: output" '^hello from ctr-demo' "$out"
expect_eq "run --rm: the container is gone" "" "$(c containers ls -q 2>&1)"
expect_eq "run --rm: ctr-demo's state is gone" "" "$(ls -A "$CD/runc/$NS" 2>&1)"
# containerd leaves HOME to the runtime: the user's home from the image's /etc/passwd
out=$(crun_ --rm "$IMG" t-home$$ sh -c 'echo "$HOME"' 2>&1)
expect_eq "run: HOME from the container's /etc/passwd" "/root" "$out"

# detached run, task exec, ps, kill, delete
id=t-d$$
crun_ -d "$IMG" "$id" sh -c 'trap "exit 5" TERM; while :; do sleep 0.1; done' >"$TMP/d.out" 2>&1
expect_eq "run -d" "0 " "$? $(cat "$TMP/d.out")"
expect_match "task ls: running" "^$id +[0-9]+ +RUNNING" "$(c task ls 2>&1)"
pid=$(c task ls 2>/dev/null | awk -v i="$id" '$1 == i {print $2}')
track_pid "$pid"
out=$(c task exec --exec-id e1 "$id" sh -c 'echo in-exec; exit 6' 2>&1)
expect_eq "task exec: exit code" 6 "$?"
expect_eq "task exec: output" in-exec "$out"
out=$(c task exec --exec-id e2 --user 1000:1000 --cwd /tmp "$id" sh -c 'echo $(id -u) $(pwd)' 2>&1)
expect_eq "task exec --user --cwd" "1000 /tmp" "$out"
out=$(c task exec --exec-id e3 --user 1000:1000 "$id" sh -c 'echo "$HOME"' 2>&1)
expect_eq "task exec --user 1000: that user's HOME" "/home/user" "$out"
# task exec -t: a terminal for an exec'd process (ctr-demo exec -t --console-socket)
engine_tty "task exec -t" "${C[*]} task exec -t --exec-id tty1 $id"

# task pause/resume: the cgroup freezer
c task pause "$id" >/dev/null 2>&1
expect_match "task pause: paused" "^$id +[0-9]+ +PAUSED" "$(c task ls 2>&1)"
check "task pause: the container's cgroup is frozen" cg_frozen "$pid"
c task resume "$id" >/dev/null 2>&1
expect_match "task resume: running" "^$id +[0-9]+ +RUNNING" "$(c task ls 2>&1)"
check "task resume: the cgroup is thawed" eval '! cg_frozen "$pid"'
c task exec --exec-id e3 "$id" sleep 30 >/dev/null 2>&1 &
EXEC_BG=$!
# exec_listed ID: `task ps` lists a process running "sleep 30" (the exec'd one)
exec_listed() {
	local p
	for p in $(c task ps "$1" 2>/dev/null | awk '/^[0-9]/ {print $1}'); do
		[ "$({ tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null)" = "sleep 30 " ] && return 0
	done
	return 1
}
for i in $(seq 50); do exec_listed "$id" && break; sleep 0.1; done
expect_match "task ps: lists the init" "^$pid " "$(c task ps "$id" 2>&1)"
check "task ps: lists the exec'd process" exec_listed "$id"
c task kill -s KILL --exec-id e3 "$id" >/dev/null 2>&1
wait $EXEC_BG 2>/dev/null
c task kill "$id" >/dev/null 2>&1
for i in $(seq 50); do c task ls 2>/dev/null | grep -q "^$id .*STOPPED" && break; sleep 0.1; done
expect_match "task kill: SIGTERM stopped it" "^$id +[0-9]+ +STOPPED" "$(c task ls 2>&1)"
# runc's "container not running" wording, which the shim turns into NotFound
out=$(c task kill "$id" 2>&1)
expect_match "task kill of a stopped task: the shim takes it as already finished" 'process already finished' "$out"
out=$(c task delete "$id" 2>&1)
expect_match "task delete: reports the exit code the TERM trap chose" "exit code 5" "$out"
check "task delete: the init is gone" gone "$pid"
c containers rm "$id" >/dev/null 2>&1
expect_eq "task delete: ctr-demo's state is gone" "" "$(ls -A "$CD/runc/$NS" 2>&1)"

# kill --all through the shim: task kill -a signals every process
id=t-a$$
crun_ -d "$IMG" "$id" sh -c 'sleep 100 & sleep 100 & wait' >/dev/null 2>&1
pid=$(c task ls 2>/dev/null | awk -v i="$id" '$1 == i {print $2}')
track_pid "$pid"
for i in $(seq 50); do [ "$(c task ps "$id" 2>/dev/null | grep -c '^[0-9]')" -ge 3 ] && break; sleep 0.1; done
pids=$(c task ps "$id" 2>/dev/null | awk '/^[0-9]/ {print $1}')
for p in $pids; do track_pid "$p"; done
expect_eq "task ps: the init and its two children" 3 "$(echo $pids | wc -w)"
c task kill -a -s KILL "$id" >/dev/null 2>&1
for i in $(seq 50); do c task ls 2>/dev/null | grep -q "^$id .*STOPPED" && break; sleep 0.1; done
expect_match "task kill -a: stopped" "^$id +[0-9]+ +STOPPED" "$(c task ls 2>&1)"
left=""
for p in $pids; do gone "$p" || left="$left $p"; done
expect_eq "task kill -a: every process of the container is gone" "" "$left"
c task delete "$id" >/dev/null 2>&1
c containers rm "$id" >/dev/null 2>&1

# --memory-limit: the limit lands in the container's cgroup and is enforced
id=t-m$$
crun_ -d --memory-limit 33554432 "$IMG" "$id" sleep 100 >/dev/null 2>&1
pid=$(c task ls 2>/dev/null | awk -v i="$id" '$1 == i {print $2}')
track_pid "$pid"
if [ -d /sys/fs/cgroup/memory ]; then file=memory.limit_in_bytes; else file=memory.max; fi
expect_eq "--memory-limit: the limit is in the container's memory cgroup ($file)" 33554432 "$(host_cg_file "$pid" memory $file)"
c task kill -s KILL "$id" >/dev/null 2>&1
for i in $(seq 50); do c task ls 2>/dev/null | grep -q "^$id .*STOPPED" && break; sleep 0.1; done
c task delete "$id" >/dev/null 2>&1
c containers rm "$id" >/dev/null 2>&1
out=$(crun_ --rm --memory-limit 33554432 "$IMG" t-oom$$ sh -c "$HOG" 2>&1)
expect_eq "--memory-limit 32 MiB: an 80 MB allocation is OOM-killed (137)" 137 "$?"
out=$(crun_ --rm "$IMG" t-nooom$$ sh -c "$HOG" 2>&1)
expect_eq "without --memory-limit the same allocation succeeds" "survived 80000000" "$out"

# a terminal: ctr run -t, driven through script(1)
engine_tty "run -t" "${C[*]} run ${RUN_OPTS[*]} --rm -t $IMG t-tty$$"

finish
