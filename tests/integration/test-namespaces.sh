#!/bin/bash
# Every namespace type new, and joined by path.
. "$(dirname "$0")/lib.sh"

host_ns() { readlink "/proc/self/ns/$1"; }

# --- all default namespaces new: pid, network, ipc, uts, mount, cgroup
b=$(mkb nsnew)
cfg "$b" 'c["hostname"] = "ctr-test-host"'
runb "$b" 'echo pid=$$; echo host=$(hostname); for n in ipc mnt net uts cgroup pid; do echo ns_$n=$(readlink /proc/self/ns/$n); done; echo ifs=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | tr "\n" " ")'
expect_eq "new namespaces: run exit 0" 0 "$RC"
expect_match "pid: echo \$\$ is 1" '^pid=1$' "$OUT"
expect_match "uts: hostname from the spec" '^host=ctr-test-host$' "$OUT"
for n in ipc mnt net uts cgroup pid; do
	inside=$(printf '%s\n' "$OUT" | sed -n "s/^ns_$n=//p")
	if [ -n "$inside" ] && [ "$inside" != "$(host_ns $n)" ]; then ok "$n: a new namespace ($inside)"
	else notok "$n: a new namespace" "inside: '$inside' host: $(host_ns $n)" "$OUT"; fi
done
expect_match "network: only lo" '^ifs=lo$' "$OUT"

# --- no uts namespace: hostname is the host's (and setting one is an error per spec)
b=$(mkb nsnouts)
cfg "$b" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] not in ("uts", "network")]; c.pop("hostname", None)'
runb "$b" 'hostname; readlink /proc/self/ns/net'
expect_eq "without uts/network namespaces: run exit 0" 0 "$RC"
expect_eq "without uts/network namespaces: host's hostname and netns" "$(hostname)
$(host_ns net)" "$OUT"

# --- user namespace with a uid mapping
b=$(mkb nsuser)
cfg "$b" 'c["linux"]["namespaces"].append({"type": "user"}); c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]; c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
# the rootfs must be owned by the mapped root so the container can use it
chown -R 100000:100000 "$b/rootfs"
runb "$b" 'cat /proc/self/uid_map; cat /proc/self/gid_map; id -u; echo user=$(readlink /proc/self/ns/user)'
expect_eq "user: run exit 0" 0 "$RC"
expect_match "user: uid_map 0 100000 65536" '^ +0 +100000 +65536$' "$(printf '%s\n' "$OUT" | sed -n 1p)"
expect_match "user: gid_map 0 100000 65536" '^ +0 +100000 +65536$' "$(printf '%s\n' "$OUT" | sed -n 2p)"
expect_match "user: uid 0 inside" '^0$' "$OUT"
expect_nomatch "user: a new user namespace" "^user=$(host_ns user)\$" "$OUT"
b=$(mkb nsuser2)
cfg "$b" 'c["linux"]["namespaces"].append({"type": "user"}); c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]; c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
chown -R 100000:100000 "$b/rootfs"
args "$b" 'exec sleep 1000'
ctr run -d -b "$b" nsuser2 </dev/null >"$TMP/nsuser2.out" 2>&1
upid=$(ctr state nsuser2 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null)
track_pid "$upid"
expect_eq "user: the container process runs as host uid 100000" 100000 "$(stat -c %u "/proc/$upid" 2>/dev/null)"
ctr delete --force nsuser2 >/dev/null 2>&1

# --- time namespace
if [ -e /proc/self/ns/time ]; then
	b=$(mkb nstime)
	cfg "$b" 'c["linux"]["namespaces"].append({"type": "time"})'
	runb "$b" 'echo time=$(readlink /proc/self/ns/time)'
	expect_eq "time: run exit 0" 0 "$RC"
	expect_match "time: a new time namespace" "^time=time:" "$OUT"
	expect_nomatch "time: not the host's" "^time=$(host_ns time)\$" "$OUT"
	b=$(mkb nstimeoff)
	cfg "$b" 'c["linux"]["namespaces"].append({"type": "time"}); c["linux"]["timeOffsets"] = {"monotonic": {"secs": 864000, "nanosecs": 0}, "boottime": {"secs": 864000, "nanosecs": 0}}'
	runb "$b" 'cut -d. -f1 /proc/uptime'
	expect_eq "time: linux.timeOffsets: run exit 0" 0 "$RC"
	up=$(printf '%s\n' "$OUT" | tail -n 1)
	hostup=$(cut -d. -f1 /proc/uptime)
	if [ -n "$up" ] && [ "$up" -ge $((hostup + 864000 - 5)) ] 2>/dev/null; then ok "time: boottime offset shows in /proc/uptime"
	else notok "time: boottime offset shows in /proc/uptime" "host uptime $hostup, container: $OUT"; fi
else
	skip "time namespace" "kernel without time namespaces (/proc/self/ns/time)"
fi

# --- join a network namespace made with ip netns add
nsname=ctrtest$$
if ip netns add "$nsname" 2>/dev/null; then
	at_cleanup "ip netns del $nsname"
	ip -n "$nsname" link add ctrv0 type veth peer name ctrv1
	b=$(mkb nsjoinnet)
	cfg "$b" 'c["linux"]["namespaces"] = [n if n["type"] != "network" else {"type": "network", "path": argv[0]} for n in c["linux"]["namespaces"]]' "/var/run/netns/$nsname"
	runb "$b" 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort | tr "\n" " "; echo; readlink /proc/self/ns/net'
	expect_eq "join netns by path: run exit 0" 0 "$RC"
	expect_eq "join netns by path: its interfaces" "ctrv0 ctrv1 lo " "$(printf '%s\n' "$OUT" | sed -n 1p)"
	expect_eq "join netns by path: same namespace" "$(ip netns exec "$nsname" readlink /proc/self/ns/net)" "$(printf '%s\n' "$OUT" | sed -n 2p)"
else
	notok "join netns by path" "ip netns add failed (install iproute2)"
fi

# --- join another container's pid namespace
b=$(mkb pidowner)
args "$b" 'exec sleep 1000'
ctr run -d -b "$b" pidowner </dev/null >"$TMP/pidowner.out" 2>&1
opid=$(ctr state pidowner 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null)
track_pid "$opid"
b2=$(mkb pidjoin)
cfg "$b2" 'c["linux"]["namespaces"] = [n if n["type"] != "pid" else {"type": "pid", "path": argv[0]} for n in c["linux"]["namespaces"]]' "/proc/$opid/ns/pid"
runb "$b2" 'echo pid=$$; echo one=$(cat /proc/1/cmdline | tr "\0" " "); readlink /proc/self/ns/pid'
expect_eq "join pid ns of another container: run exit 0" 0 "$RC"
expect_match "join pid ns: pid 1 is the other container's sleep" '^one=sleep 1000$' "$OUT"
expect_nomatch "join pid ns: we are not pid 1" '^pid=1$' "$OUT"
expect_eq "join pid ns: same namespace" "$(readlink /proc/$opid/ns/pid)" "$(printf '%s\n' "$OUT" | tail -n 1)"
ctr delete --force pidowner >/dev/null 2>&1

finish
