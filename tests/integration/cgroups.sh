#!/bin/bash
# cgroups on this host for real: placement in every v1 hierarchy and in the
# unified one (hybrid) by each cgroupsPath form, limits enforced (memory with
# the OOM event, pids), a 4 MiB container, cpu/cpuset/hugetlb values in the
# files, pause/resume through the freezer, ps, update, kill --all through the
# cgroup, delete and failed creates leaving no cgroup directory.
. "$(dirname "$0")/lib.sh"

CG=/sys/fs/cgroup
if ! grep -q ' - cgroup2\? ' /proc/self/mountinfo; then
	echo "1..0 # SKIP no cgroup filesystem mounted"
	[ "${CTR_TESTS_MUST_RUN:-0}" = 1 ] && exit 1
	exit 0
fi
# the hierarchies: mount points of cgroup (v1) and cgroup2 under $CG
HIERS=$(awk '$9 == "cgroup" || $9 == "cgroup2" {print $5}' /proc/self/mountinfo | grep "^$CG")
V2=$(awk '$9 == "cgroup2" {print $5}' /proc/self/mountinfo | grep "^$CG" | head -n1)
v1dir() { awk -v c="$1" '$9 == "cgroup" && index("," $NF ",", "," c ",") {print $5}' /proc/self/mountinfo | head -n1; }
MEM=$(v1dir memory)
PIDS=$(v1dir pids)
CPU=$(v1dir cpu)
CPUSET=$(v1dir cpuset)
# files of a resource: the v1 hierarchy when there is one, else the unified one
memfile() { if [ -n "$MEM" ]; then echo "$MEM/$1/memory.limit_in_bytes"; else echo "$V2/$1/memory.max"; fi; }
pidsfile() { if [ -n "$PIDS" ]; then echo "$PIDS/$1/pids.max"; else echo "$V2/$1/pids.max"; fi; }

P=ctrtest-$$   # the parent of this test's cgroups, removed at exit in every hierarchy
rm_parent() {
	local h d
	for h in $HIERS; do
		for d in "$h/$P" "$h/ctrtest.slice"; do
			[ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	done
	true
}
at_cleanup rm_parent
# cgdirs PATH: the hierarchies that hold PATH (one per line)
cgdirs() { local h; for h in $HIERS; do [ -d "$h$1" ] && echo "$h$1"; done; }
nh=$(echo "$HIERS" | wc -l)

# a bundle that runs SCRIPT with RESOURCES (JSON) in cgroupsPath /$P/NAME
mkcg() {
	local b res=${3:-'{}'}
	b=$(mkb "$1")
	args "$b" "$2"
	cfg "$b" 'c["linux"]["cgroupsPath"] = argv[0]; c["linux"]["resources"] = json.loads(argv[1]); c["process"]["terminal"] = False' "/$P/$1" "$res"
	echo "$b"
}
initpid() { jget "$(ctr state "$1")" 'd["pid"]'; }

# --- placement: every hierarchy, the unified one included, before the user program runs
b=$(mkcg place 'cat /proc/self/cgroup; exec sleep 1000' '{"memory": {"limit": 67108864}, "pids": {"limit": 100}}')
ctr run -d -b "$b" place </dev/null >/dev/null 2>"$TMP/place.err"
expect_eq "run -d with resources" "" "$(cat "$TMP/place.err")"
pid=$(initpid place)
cgl=$(cat /proc/$pid/cgroup)
n_in=$(grep -c ":/$P/place\$" <<<"$cgl")
expect_eq "placement: the init is in /$P/place in each of the $nh hierarchies" "$nh" "$n_in"
[ -n "$V2" ] && expect_match "placement: in the unified hierarchy (0::)" "^0::/$P/place\$" "$cgl"
for c in memory pids cpu devices freezer; do
	[ -n "$(v1dir $c)" ] && expect_match "placement: v1 $c" "^[0-9]+:([a-z_,]*,)?$c(,[a-z_,]*)?:/$P/place\$" "$cgl"
done
expect_eq "placement: $nh cgroup directories exist" "$nh" "$(cgdirs "/$P/place" | wc -l)"
expect_eq "memory.limit in the memory cgroup" 67108864 "$(cat "$(memfile "$P/place")")"
expect_eq "pids.limit in the pids cgroup" 100 "$(cat "$(pidsfile "$P/place")")"
# the cgroup namespace is rooted at the container's cgroup (it was joined before unshare)
inside=$(ctr exec place cat /proc/self/cgroup 2>&1)
# the bundle has a cgroup namespace: made after the process was in its cgroups, it is rooted
# there, so every hierarchy shows "/" (an exec'd process joins the same cgroups and namespace)
expect_eq "cgroup namespace rooted at the container's cgroup in all $nh hierarchies" "$nh" "$(grep -c ':/$' <<<"$inside")"
expect_match "... the unified one included" "^0::/\$" "$inside"

# --- ps
ps_json=$(ctr ps --format json place)
expect_eq "ps --format json lists the init's pid" "[$pid]" "$ps_json"
ps_tab=$(ctr ps place)
expect_match "ps (table): the header" "PID" "$(head -n1 <<<"$ps_tab")"
expect_match "ps (table): the init's line" "^[^ ]+ +$pid .*sleep 1000" "$ps_tab"

# --- update a running container
ctr update --memory 32m --pids-limit 7 place 2>"$TMP/upd.err"
expect_eq "update --memory/--pids-limit: no error" "" "$(cat "$TMP/upd.err")"
expect_eq "update: memory limit now 32 MiB" 33554432 "$(cat "$(memfile "$P/place")")"
expect_eq "update: pids limit now 7" 7 "$(cat "$(pidsfile "$P/place")")"
echo '{"pids": {"limit": 9}}' | ctr update -r - place
expect_eq "update -r - (resources JSON on stdin)" 9 "$(cat "$(pidsfile "$P/place")")"
if [ -n "$MEM" ] && [ -f "$MEM/$P/place/memory.memsw.limit_in_bytes" ]; then
	# v1: raising memory above the current memory+swap limit needs the swap limit written first
	ctr update --memory 32m --memory-swap 32m place
	ctr update --memory 128m --memory-swap 128m place 2>"$TMP/upd2.err"
	expect_eq "update: memory and memory+swap raised together (swap limit first)" "134217728 134217728 " \
		"$(cat "$MEM/$P/place/memory.limit_in_bytes" "$MEM/$P/place/memory.memsw.limit_in_bytes" | tr '\n' ' ')$(cat "$TMP/upd2.err")"
fi
ps_o=$(ctr ps place -o pid,comm)
expect_match "ps: arguments after the id go to ps(1)" "^ *$pid sleep\$" "$ps_o"
out=$(ctr update --memory 1x place 2>&1)
expect_match "update: a bad value is refused" "invalid value" "$out"
# update -r: the typed checks of config.json's linux.resources, and no unknown
# field; the error names the file given ("- (stdin)" for -r -); nothing changes
before="$(cat "$(memfile "$P/place")") $(cat "$(pidsfile "$P/place")")"
echo '{"memory": {"limit": "big"}, "pids": {"limit": 3}}' >"$TMP/res.json"
out=$(ctr update -r "$TMP/res.json" place 2>&1)
expect_eq "update -r: a string limit is refused" "1 ctr-demo: $TMP/res.json: memory.limit: expected an integer, got string" "$? $out"
out=$(echo '{"memory": {"limt": 1048576}, "pids": {"limit": 3}}' | ctr update -r - place 2>&1)
expect_match "update -r -: a misspelt field is refused, naming stdin and the field" \
	"^ctr-demo: - \(stdin\): memory.limt: unknown field: did you mean 'limit'\?" "$out"
out=$(echo '{"memroy": {"limit": 1048576}}' | ctr update -r - place 2>&1)
expect_match "update -r -: a misspelt group is refused" "memroy: unknown field: did you mean 'memory'" "$out"
out=$(echo '{"cpu": {"shares": -2}}' | ctr update -r - place 2>&1)
expect_match "update -r -: out of range" "cpu.shares: -2 is out of range" "$out"
out=$(echo '{"pids": {"limit": 3},' | ctr update -r - place 2>&1)
expect_match "update -r -: not JSON: a parse error naming stdin" "^ctr-demo: - \(stdin\): .*(unexpected end|line)" "$out"
expect_eq "update -r: the refused updates changed nothing" "$before" \
	"$(cat "$(memfile "$P/place")") $(cat "$(pidsfile "$P/place")")"

# --- pause / resume
# the counter is replaced by rename, so that a freeze between truncate and write cannot leave it empty
b=$(mkcg pz 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.02; done')
ctr run -d -b "$b" pz </dev/null
pzpid=$(initpid pz)
count() { cat /proc/$pzpid/root/tmp/count 2>/dev/null; }
sleep 0.3
ctr pause pz
expect_eq "pause: state is paused" paused "$(jget "$(ctr state pz)" 'd["status"]')"
if [ -n "$V2" ] && [ -f "$V2/$P/pz/cgroup.freeze" ]; then
	expect_eq "pause: the unified cgroup.freeze is 1" 1 "$(cat "$V2/$P/pz/cgroup.freeze")"
	expect_match "pause: cgroup.events says frozen" "^frozen 1" "$(cat "$V2/$P/pz/cgroup.events")"
else
	expect_eq "pause: freezer.state FROZEN" FROZEN "$(cat "$(v1dir freezer)/$P/pz/freezer.state")"
fi
c1=$(count)
sleep 0.4
c2=$(count)
expect_eq "pause: the counter does not advance" "$c1" "$c2"
out=$(ctr pause pz 2>&1)
expect_match "pause of a paused container is refused" "is paused" "$out"
ctr resume pz
expect_eq "resume: state is running" running "$(jget "$(ctr state pz)" 'd["status"]')"
sleep 0.4
c3=$(count)
check "resume: the counter advances again ($c2 -> $c3)" test "$c3" -gt "$c2"
ctr pause pz
ctr delete --force pz
check "delete --force of a paused container: the init is gone" gone "$pzpid"
expect_eq "delete --force of a paused container: no cgroup directory left" "" "$(cgdirs "/$P/pz")"

# --- kill --all through the cgroup: also a process that left the init's tree (no pid namespace)
b=$(mkcg ka '(setsid sleep 1000 &); exec sleep 1000')
cfg "$b" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'
ctr run -d -b "$b" ka </dev/null
kapid=$(initpid ka)
sleep 0.3
pids=$(ctr ps --format json ka | tr -d '[]' | tr , ' ')
expect_eq "ps: the init and the orphaned sleep" 2 "$(wc -w <<<"$pids")"
ctr kill --all ka KILL
for p in $pids; do check "kill --all: pid $p is gone" gone "$p"; done
ctr delete ka
expect_eq "delete: no cgroup directory left in any hierarchy" "" "$(cgdirs "/$P/ka")"

# --- delete of a stopped container kills what its init left in its cgroups (no pid namespace:
# nothing dies with the init); delete skips freezing only a cgroup that is empty
b=$(mkcg lo '(setsid sleep 1000 &); sleep 0.3')
cfg "$b" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'
ctr run -d -b "$b" lo </dev/null
sleep 0.1
lopids=$(ctr ps --format json lo | tr -d '[]' | tr , ' ')
for i in $(seq 50); do jget "$(ctr state lo)" 'd["status"]' | grep -qx stopped && break; sleep 0.1; done
expect_eq "the init exited, its orphan runs on: the container is stopped" stopped "$(jget "$(ctr state lo)" 'd["status"]')"
ctr delete lo
for p in $lopids; do check "delete of the stopped container: pid $p in its cgroup is gone" gone "$p"; done
expect_eq "delete of the stopped container: no cgroup directory left" "" "$(cgdirs "/$P/lo")"

# --- delete of a stopped container whose cgroups have cgroups below them: its first try (the
# cgroup holding its processes, alone) is refused, the rest of delete removes them all
b=$(mkcg sub 'true')
ctr run -d -b "$b" sub </dev/null
for i in $(seq 50); do jget "$(ctr state sub)" 'd["status"]' | grep -qx stopped && break; sleep 0.1; done
for d in $(cgdirs "/$P/sub"); do mkdir "$d/below"; done
ctr delete sub
expect_eq "delete of a stopped container with cgroups below its own: exit 0" 0 "$?"
expect_eq "delete of a stopped container with cgroups below its own: none left" "" "$(cgdirs "/$P/sub")"

# --- delete removes every cgroup directory
ctr delete --force place
expect_eq "delete --force: every cgroup directory of /$P/place removed" "" "$(cgdirs "/$P/place")"

# --- memory limit enforced, the OOM kill reported by events
b=$(mkcg oom 'exec sleep 1000' '{"memory": {"limit": 16777216}}')
ctr run -d -b "$b" oom </dev/null
ctr events --interval 200ms oom >"$TMP/events.out" 2>&1 &
evpid=$!
track_pid $evpid
sleep 0.3
ctr exec oom dd if=/dev/zero of=/dev/null bs=64M count=1 >/dev/null 2>&1
rc=$?
expect_eq "memory: a process allocating 64 MiB under a 16 MiB limit is OOM-killed (137)" 137 "$rc"
for i in $(seq 20); do grep -q '"type":"oom"' "$TMP/events.out" && break; sleep 0.1; done
expect_match "events: reports the OOM kill" '^\{"type":"oom","id":"oom"\}$' "$(cat "$TMP/events.out")"
expect_match "events: streams stats every interval" '^\{"type":"stats","id":"oom","data":\{' "$(cat "$TMP/events.out")"
st=$(ctr events --stats oom)
expect_match "events --stats: one stats event with memory usage and limit" '"memory":\{.*"limit":16777216' "$st"
check "events --stats: valid JSON" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["type"]=="stats" and "pids" in d["data"] and "cpu" in d["data"]' "$st"
ctr delete --force oom
wait $evpid 2>/dev/null
expect_eq "events ends when the container is gone" 0 "$?"

# --- pids.max enforced
b=$(mkcg pids 'i=0; while [ $i -lt 20 ]; do sleep 5 & i=$((i+1)); done; echo done' '{"pids": {"limit": 5}}')
runb "$b"
expect_match "pids: forking past pids.limit fails" "can't fork|Resource temporarily unavailable" "$OUT"

# --- a 4 MiB memory limit runs /bin/true (crun can, runc cannot)
b=$(mkcg tiny 'x' '{"memory": {"limit": 4194304}}')
cfg "$b" 'c["process"]["args"] = ["/bin/true"]'
runb "$b"
expect_eq "a bundle with a 4 MiB memory limit runs /bin/true: exit 0" "0 " "$RC $OUT"
ctr create -b "$b" tiny </dev/null
expect_eq "the 4 MiB limit is set while create waits (runc's init would not fit)" 4194304 "$(cat "$(memfile "$P/tiny")")"
ctr start tiny
wait_status tiny stopped
mf=$(memfile "$P/tiny")
oomk=$(grep -h '^oom_kill ' "$(dirname "$mf")/memory.oom_control" "$(dirname "$mf")/memory.events" 2>/dev/null | head -n1)
expect_eq "... and /bin/true ran without an OOM kill" "oom_kill 0" "$oomk"
ctr delete tiny

# --- cpu and cpuset values in the cgroup files
b=$(mkcg cpu 'exec sleep 1000' '{"cpu": {"shares": 512, "quota": 50000, "period": 100000, "cpus": "0", "mems": "0"}}')
ctr run -d -b "$b" cpu </dev/null
if [ -n "$CPU" ]; then
	expect_eq "cpu.shares" 512 "$(cat "$CPU/$P/cpu/cpu.shares")"
	expect_eq "cpu.cfs_quota_us" 50000 "$(cat "$CPU/$P/cpu/cpu.cfs_quota_us")"
	expect_eq "cpu.cfs_period_us" 100000 "$(cat "$CPU/$P/cpu/cpu.cfs_period_us")"
else
	expect_eq "cpu.max" "50000 100000" "$(cat "$V2/$P/cpu/cpu.max")"
	expect_eq "cpu.weight from shares 512" 20 "$(cat "$V2/$P/cpu/cpu.weight")"
fi
csd=${CPUSET:-$V2}
expect_eq "cpuset.cpus" 0 "$(cat "$csd/$P/cpu/cpuset.cpus")"
expect_eq "cpuset.mems" 0 "$(cat "$csd/$P/cpu/cpuset.mems")"
expect_match "the process runs on cpu 0 only" "Cpus_allowed_list:[[:space:]]+0\$" "$(grep Cpus_allowed_list /proc/$(initpid cpu)/status)"
# an exec'd process too (on v2 it is cloned into the cgroup: the cpuset applies to it as to a join)
expect_match "an exec'd process runs on cpu 0 only" "Cpus_allowed_list:[[:space:]]+0\$" \
	"$(ctr exec cpu grep Cpus_allowed_list /proc/self/status 2>&1)"
ctr delete --force cpu

# --- hugetlb (the v2 controller of the unified hierarchy on hybrid hosts) and unified keys
hd=$(v1dir hugetlb)
[ -z "$hd" ] && grep -qw hugetlb "$V2/cgroup.controllers" 2>/dev/null && hd=$V2
if [ -n "$hd" ] && ls /sys/kernel/mm/hugepages/hugepages-2048kB >/dev/null 2>&1; then
	b=$(mkcg huge 'exec sleep 1000' '{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}')
	ctr run -d -b "$b" huge </dev/null 2>"$TMP/huge.err"
	f=$hd/$P/huge/hugetlb.2MB.max
	[ "$hd" != "$V2" ] && f=$hd/$P/huge/hugetlb.2MB.limit_in_bytes
	expect_eq "hugepageLimits: 2MB limit in $(basename "$f")" 4194304 "$(cat "$f" 2>&1)"
	ctr delete --force huge
	if [ "$hd" = "$V2" ]; then
		b=$(mkcg uni 'exec sleep 1000' '{"unified": {"hugetlb.2MB.max": "6291456"}}')
		ctr run -d -b "$b" uni </dev/null 2>"$TMP/uni.err"
		expect_eq "unified: a v2 key written to the unified cgroup" 6291456 "$(cat "$V2/$P/uni/hugetlb.2MB.max" 2>&1)"
		ctr delete --force uni
	fi
else
	skip "hugepageLimits" "no hugetlb controller or no 2 MB huge pages"
fi

# --- cgroupsPath forms: relative (below our own cgroup) and systemd's slice:prefix:name
b=$(mkcg rel 'exec sleep 1000')
cfg "$b" 'c["linux"]["cgroupsPath"] = argv[0]' "$P-rel"
ctr run -d -b "$b" rel </dev/null
pid=$(initpid rel)
own=$(grep "^0::" /proc/self/cgroup | cut -d: -f3)
own=${own%/}
expect_match "relative cgroupsPath: below our own cgroup" "^0::$own/$P-rel\$" "$(cat /proc/$pid/cgroup)"
ownmem=$(grep -E '^[0-9]+:memory:' /proc/self/cgroup | cut -d: -f3)
ownmem=${ownmem%/}
[ -n "$MEM" ] && expect_match "relative cgroupsPath: below our own memory cgroup ($ownmem)" \
	"^[0-9]+:memory:$ownmem/$P-rel\$" "$(cat /proc/$pid/cgroup)"
ctr delete --force rel
[ -n "$MEM" ] && expect_eq "relative cgroupsPath: removed at delete" "" "$(ls -d "$MEM$ownmem/$P-rel" 2>/dev/null)"
b=$(mkcg sd 'exec sleep 1000')
cfg "$b" 'c["linux"]["cgroupsPath"] = argv[0]' "ctrtest-$$.slice:ctr:sd$$"
ctr --systemd-cgroup run -d -b "$b" sd </dev/null
expect_match "systemd cgroupsPath: /ctrtest.slice/ctrtest-N.slice/ctr-NAME.scope" \
	"^0::/ctrtest.slice/ctrtest-$$.slice/ctr-sd$$.scope\$" "$(cat /proc/$(initpid sd)/cgroup)"
ctr delete --force sd
expect_eq "systemd cgroupsPath: the scope is removed at delete" "" "$(cgdirs "/ctrtest.slice/ctrtest-$$.slice/ctr-sd$$.scope")"

# --- bad input leaves no cgroup behind
b=$(mkcg bad1 'true' '{"cpu": {"cpus": "4096-5000"}}')
out=$(ctr run -b "$b" bad1 </dev/null 2>&1)
expect_match "a bad cpuset is refused, naming the field" "linux.resources.cpu.cpus" "$out"
expect_eq "... and leaves no cgroup directory" "" "$(cgdirs "/$P/bad1")"
expect_eq "... and no state" "" "$(state_left)"
b=$(mkcg bad2 'true' '{"memory": {"limit": 67108864}, "pids": {"limit": 10}, "unified": {"memory.nosuchfile": "1"}}')
out=$(ctr run -b "$b" bad2 </dev/null 2>&1)
expect_match "an unknown unified key is refused, naming it" "linux.resources.unified.memory.nosuchfile" "$out"
expect_eq "... and the cgroups made before it are removed" "" "$(cgdirs "/$P/bad2")"
b=$(mkcg bad3 'true' '{"memory": {"swap": 1000, "limit": 67108864}}')
out=$(ctr run -b "$b" bad3 </dev/null 2>&1)
expect_match "memory.swap below memory.limit is refused" "linux.resources.memory" "$out"
expect_eq "... and leaves no cgroup directory" "" "$(cgdirs "/$P/bad3")"

# --- a creator killed right after making the cgroups (at clone3): delete removes them.
# On one CPU: with more, ctr-demo's first clone3 is ctr_context_warm's thread, before any cgroup.
if command -v strace >/dev/null; then
	b=$(mkcg crash 'true' '{"pids": {"limit": 10}}')
	cpu1=$(awk '/^Cpus_allowed_list:/ {print $2}' /proc/self/status | cut -d, -f1 | cut -d- -f1)
	taskset -c "$cpu1" strace -o /dev/null -e trace=clone3 -e inject=clone3:signal=SIGKILL \
		"$CTR_DEMO" --root "$ROOT" create -b "$b" crash </dev/null >/dev/null 2>&1
	expect_eq "crashed create: its cgroups exist in all $nh hierarchies" "$nh" "$(cgdirs "/$P/crash" | wc -l)"
	ctr delete crash
	expect_eq "crashed create: delete removes every cgroup" "" "$(cgdirs "/$P/crash")"
	expect_eq "crashed create: and the state" "" "$(state_left)"
else
	skip "crashed create" "strace is not installed"
fi

# --- without a cgroup namespace (runc's default spec) the v1 cgroups are made after the clone,
# while the container process sets up its mounts; it joins them (their dirs come with the
# runtime's go) before its cgroup mount, the hooks and the user program
# --- a cgroup namespace and a cgroup mount (podman's default on a pure v2 host): the limits are
# in place when the program starts, seen through its own mount, and the namespace is rooted at its
# cgroup.  On a pure v2 host the child is born in its cgroup (clone3) and unshares the namespace
# first; the resources (pids.max, the device program) are written beside its setup (the late step)
b=$(mkcg nsearly 'cat /proc/self/cgroup
	for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do [ -f $f ] && echo "pids.max=$(cat $f)"; done; true' \
	'{"pids": {"limit": 44}}')
cfg "$b" 'c["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                    "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})'
runb "$b"
expect_eq "cgroup ns: runs" 0 "$RC"
expect_match "cgroup ns: pids.max is set before the program runs (its cgroup mount shows it)" "^pids.max=44\$" "$OUT"
expect_eq "cgroup ns: rooted at the container's cgroup in all $nh hierarchies" "$nh" "$(grep -c ':/$' <<<"$OUT")"
expect_eq "cgroup ns: run removes every cgroup" "" "$(cgdirs "/$P/nsearly")"

mknons() {
	local b
	b=$(mkcg "$@")
	cfg "$b" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]
c["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                    "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})'
	echo "$b"
}
mycpus=$(sed -n 's/^Cpus_allowed_list:\t*//p' /proc/self/status)
b=$(mknons late 'cat /proc/self/cgroup; echo "cpus=$(sed -n "s/^Cpus_allowed_list:\t*//p" /proc/self/status)"
	echo "fds=$(ls /proc/self/fd | tr "\n" " ")"
	for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do [ -f $f ] && echo "pids.max=$(cat $f)"; done; true' \
	'{"pids": {"limit": 42}, "memory": {"limit": 67108864}}')
runb "$b"
expect_eq "no cgroup ns: runs" 0 "$RC"
expect_eq "no cgroup ns: the user program starts in /$P/late in each of the $nh hierarchies" "$nh" \
	"$(grep -c ":/$P/late\$" <<<"$OUT")"
expect_match "no cgroup ns: pids.max is set before it runs, and its cgroup mount shows its own cgroup" \
	"^pids.max=42\$" "$OUT"
expect_match "no cgroup ns: the container has the caller's CPU affinity ($mycpus)" "^cpus=$mycpus\$" "$OUT"
# the cgroup dirs and the cgroup mount's tree that came with the go, and the sync channel, are not
# the container's
expect_match "no cgroup ns: the user program holds only its stdio (and ls its directory)" "^fds=0 1 2 3 \$" "$OUT"
expect_eq "no cgroup ns: run removes every cgroup" "" "$(cgdirs "/$P/late")"
if [ "$(nproc)" -gt 1 ] && command -v taskset >/dev/null; then
	OUT=$(taskset -c 1 "$CTR_DEMO" --root "$ROOT" run -b "$b" late </dev/null 2>&1)
	expect_match "no cgroup ns: a caller pinned to CPU 1 gives its container CPU 1 only" "^cpus=1\$" "$OUT"
else
	skip "no cgroup ns: a pinned caller" "one CPU, or no taskset"
fi
# the hooks of create see the container process in its cgroups (a prestart hook reads /proc/<pid>/cgroup;
# no cgroup mount, whose wait would come first)
b=$(mknons latehook 'true' '{"pids": {"limit": 10}}')
cfg "$b" 'c["mounts"] = [m for m in c["mounts"] if m["type"] != "cgroup"]
c["hooks"] = {"prestart": [{"path": "/bin/sh", "args": ["sh", "-c",
  "pid=$(tr , \"\\n\" | sed -n \"s/.*\\\"pid\\\": *\\([0-9]*\\).*/\\1/p\"); cat /proc/$pid/cgroup > " + argv[0]]}]}' "$TMP/latehook.cg"
runb "$b"
expect_eq "no cgroup ns: runs with a prestart hook" 0 "$RC"
expect_eq "no cgroup ns: the prestart hook sees the process in /$P/latehook in each of the $nh hierarchies" "$nh" \
	"$(grep -c ":/$P/latehook\$" "$TMP/latehook.cg" 2>/dev/null)"
# clone3 refused (ENOSYS: an old kernel, an engine's seccomp profile): every cgroup is made before the
# fallback clone and the child joins them all itself; the same placement and limits
if [ -x "${CTR_NOCLONE3:-}" ]; then
	b=$(mknons noclone3 'cat /proc/self/cgroup
	for f in /sys/fs/cgroup/pids/pids.max /sys/fs/cgroup/pids.max; do [ -f $f ] && echo "pids.max=$(cat $f)"; done
	echo "cpus=$(sed -n "s/^Cpus_allowed_list:\t*//p" /proc/self/status)"; true' \
		'{"pids": {"limit": 43}}')
	OUT=$(timeout 60 "$CTR_NOCLONE3" "$CTR_DEMO" --root "$ROOT" run -b "$b" noclone3 </dev/null 2>&1)
	expect_eq "clone3 refused: runs" 0 "$?"
	# the child may start on the runtime's CPU and move off it (child.c): only with the late
	# step, whose go gives it the caller's affinity back; the fallback has neither.  Five runs:
	# it starts there in most of them
	cpus=$(grep '^cpus=' <<<"$OUT")
	for _ in 1 2 3 4; do
		cpus="$cpus $(timeout 60 "$CTR_NOCLONE3" "$CTR_DEMO" --root "$ROOT" run -b "$b" noclone3 </dev/null 2>&1 | grep '^cpus=')"
	done
	expect_eq "clone3 refused: the container keeps the caller's CPU affinity ($mycpus), five runs" \
		"cpus=$mycpus cpus=$mycpus cpus=$mycpus cpus=$mycpus cpus=$mycpus" "$cpus"
	expect_eq "clone3 refused: the user program starts in /$P/noclone3 in each of the $nh hierarchies" "$nh" \
		"$(grep -c ":/$P/noclone3\$" <<<"$OUT")"
	expect_match "clone3 refused: pids.max is set before it runs" "^pids.max=43\$" "$OUT"
	expect_eq "clone3 refused: run removes every cgroup" "" "$(cgdirs "/$P/noclone3")"
	# the shared-memory child refused as well (clone with CLONE_VM): create forks instead, after
	# its late cgroups step has run (the go waits in the socket for the forked child)
	OUT=$(timeout 60 "$CTR_NOCLONE3" --vm "$CTR_DEMO" --root "$ROOT" run -b "$b" noclone3 </dev/null 2>&1)
	expect_eq "clone with CLONE_VM refused too: runs (forked)" 0 "$?"
	expect_eq "... the user program starts in /$P/noclone3 in each of the $nh hierarchies" "$nh" \
		"$(grep -c ":/$P/noclone3\$" <<<"$OUT")"
	expect_match "... pids.max is set before it runs" "^pids.max=43\$" "$OUT"
	expect_eq "... and run removes every cgroup" "" "$(cgdirs "/$P/noclone3")"
	# exec: its helper is cloned into the v2 cgroup where clone3 works, else it joins every one
	b=$(mknons noclone3x 'exec sleep 1000' '{"pids": {"limit": 43}}')
	ctr run -d -b "$b" noclone3x </dev/null
	OUT=$(timeout 60 "$CTR_NOCLONE3" "$CTR_DEMO" --root "$ROOT" exec noclone3x cat /proc/self/cgroup </dev/null 2>&1)
	expect_eq "clone3 refused: exec runs" 0 "$?"
	expect_eq "clone3 refused: the exec'd process is in /$P/noclone3x in each of the $nh hierarchies" "$nh" \
		"$(grep -c ":/$P/noclone3x\$" <<<"$OUT")"
	OUT=$(ctr exec noclone3x cat /proc/self/cgroup </dev/null 2>&1)
	expect_eq "exec (clone3 allowed): the exec'd process is in /$P/noclone3x in each of the $nh hierarchies" \
		"$nh" "$(grep -c ":/$P/noclone3x\$" <<<"$OUT")"
	ctr delete --force noclone3x
else
	skip "clone3 refused" "no noclone3 helper (CTR_NOCLONE3)"
fi
b=$(mknons latebad 'true' '{"pids": {"limit": 10}, "cpu": {"cpus": "4096-5000"}}')
runb "$b"
expect_match "no cgroup ns: a bad cpuset (written after the clone) is refused, naming the field" \
	"linux.resources.cpu.cpus" "$OUT"
expect_eq "... and leaves no cgroup directory" "" "$(cgdirs "/$P/latebad")"
expect_eq "... and no state" "" "$(state_left)"
expect_eq "... and no process" "" "$(pgrep -f "^/bin/sh -c true\$")"
if command -v strace >/dev/null; then
	# killed at its first clone (before the v1 cgroups: clone3 of the child, or of the thread that
	# makes them beside a child sharing the runtime's memory), and at the go that carries them (after)
	for at in clone3 sendmsg; do
		b=$(mknons "crash-$at" 'true' '{"pids": {"limit": 10}}')
		strace -o /dev/null -e trace=$at -e inject=$at:signal=SIGKILL:when=1 \
			"$CTR_DEMO" --root "$ROOT" create -b "$b" "crash-$at" </dev/null >/dev/null 2>&1
		[ $at = sendmsg ] && expect_eq "no cgroup ns, creator killed at its go: the cgroups exist in all $nh hierarchies" \
			"$nh" "$(cgdirs "/$P/crash-$at" | wc -l)"
		ctr delete "crash-$at"
		expect_eq "no cgroup ns, creator killed at $at: delete removes every cgroup" "" "$(cgdirs "/$P/crash-$at")"
		expect_eq "no cgroup ns, creator killed at $at: and the state" "" "$(state_left)"
	done
else
	skip "no cgroup ns: crashed creates" "strace is not installed"
fi
# libctr's default parent (/ctr) copies cpus and mems into its new cpusets (clone_children)
if [ -n "$CPUSET" ]; then
	b=$(mknons defcg 'cat /sys/fs/cgroup/cpuset/cpuset.cpus')
	cfg "$b" 'c["linux"].pop("cgroupsPath", None); c["linux"].pop("resources", None)'
	runb "$b"
	expect_eq "default cgroupsPath: runs" 0 "$RC"
	expect_eq "default cgroupsPath: /ctr in the cpuset hierarchy has clone_children" 1 \
		"$(cat "$CPUSET/ctr/cgroup.clone_children")"
	expect_eq "default cgroupsPath: the container's cpuset has the parent's cpus" "$(cat "$CPUSET/ctr/cpuset.cpus")" "$OUT"
	expect_eq "a cgroupsPath of the caller's: its parent's clone_children untouched" 0 \
		"$(cat "$CPUSET/$P/cgroup.clone_children")"
fi

# --- the layouts this host is not: on a hybrid host, a pure v2 host (cgroup2 mounted over
# /sys/fs/cgroup: hugetlb is its one controller there) and a pure v1 one (the unified mount
# taken away) are made in private mount namespaces; on a pure v2 host the same container
# runs on the host itself (a pure v1 host cannot be made from it: no v1 hierarchy is
# mounted, so those steps belong to the hybrid runs).  Each runs a container through
# placement, limits, the freezer, kill --all and delete; the lines it prints are checked here.
# (On a pure v1 host the steps above were its test: there is no unified hierarchy to make
# a v2 layout from.)
LAYOUT=hybrid
[ "$(stat -f -c %T $CG)" = cgroup2fs ] && LAYOUT=v2
[ -z "$V2" ] && LAYOUT=v1
if [ "$LAYOUT" = v1 ]; then
	:
elif ! command -v unshare >/dev/null; then
	skip "pure v2 and v1 layouts" "no unshare"
else
	b=$(mkcg v2a 'exec sleep 1000' '{"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}')
	if [ "$LAYOUT" = hybrid ]; then
		# no memory controller in this host's unified hierarchy: refused
		b2=$(mkcg v2bad 'true' '{"memory": {"limit": 16777216}}')
		BADRE="^bad=.*linux.resources.memory: this host has no memory cgroup controller.* left=\$"
		BADWHAT="a memory limit without a memory controller is refused, nothing left"
		BADDIR=$P/v2bad
	else
		# below our own cgroup, which holds processes: no controller can be enabled there
		b2=$(mkcg v2bad 'true' '{"memory": {"limit": 16777216}}')
		cfg "$b2" 'c["linux"]["cgroupsPath"] = argv[0]' "$P-v2bad"
		own=$(sed -n 's/^0:://p' /proc/self/cgroup)
		own=${own%/}
		BADRE="^bad=.*linux.resources.memory: the container's cgroup has no memory controller: $CG$own holds processes.* left=\$"
		BADWHAT="a memory limit below a cgroup with processes (no-internal-processes rule) is refused, nothing left"
		BADDIR=${own#/}/$P-v2bad
	fi
	unshare -m --propagation private bash -c '
		X="$1 --root $2"; P=$3; b=$4; b2=$5; LAYOUT=$6; BADDIR=$7
		[ "$LAYOUT" = v2 ] || mount -t cgroup2 none /sys/fs/cgroup || exit 1
		$X run -d -b "$b" v2a </dev/null
		pid=$($X state v2a | sed -n "s/.*\"pid\": *\([0-9]*\).*/\1/p")
		echo "v2line=$(grep "^0::" /proc/$pid/cgroup) v1in=$(grep -v "^0::" /proc/$pid/cgroup | grep -c "/$P/")"
		echo "hugetlb=$(cat /sys/fs/cgroup/$P/v2a/hugetlb.2MB.max)"
		echo "ps=$($X ps --format json v2a)"
		$X pause v2a && echo "freeze=$(cat /sys/fs/cgroup/$P/v2a/cgroup.freeze) $($X state v2a | grep -o "\"status\": *\"[a-z]*\"")"
		$X resume v2a && echo "thawed=$(cat /sys/fs/cgroup/$P/v2a/cgroup.freeze)"
		$X kill --all v2a KILL
		for i in $(seq 50); do [ -d /proc/$pid ] && [ "$(sed -n "s/^State:\t\(.\).*/\1/p" /proc/$pid/status)" != Z ] || break; sleep 0.1; done
		echo "killed=$($X state v2a | grep -o "\"status\": *\"[a-z]*\"")"
		$X delete v2a && echo "left=$(ls -d /sys/fs/cgroup/$P/v2a 2>/dev/null)"
		echo "bad=$($X run -b "$b2" v2bad </dev/null 2>&1 | head -n1) left=$(ls -d /sys/fs/cgroup/$BADDIR 2>/dev/null)"
	' _ "$CTR_DEMO" "$ROOT" "$P" "$b" "$b2" "$LAYOUT" "$BADDIR" >"$TMP/v2.out" 2>&1
	LAYOUT_V2="pure v2"
	[ "$LAYOUT" = hybrid ] && LAYOUT_V2="pure v2 (made in a mount namespace)"
	v2o=$(cat "$TMP/v2.out")
	expect_match "$LAYOUT_V2: the init is in its v2 cgroup (clone3 into it) and in no v1 one" "^v2line=0::/$P/v2a v1in=0\$" "$v2o"
	expect_match "$LAYOUT_V2: hugetlb.2MB.max" "^hugetlb=2097152\$" "$v2o"
	expect_match "$LAYOUT_V2: ps lists the init" "^ps=\[[0-9]+\]\$" "$v2o"
	expect_match "$LAYOUT_V2: pause writes cgroup.freeze, state paused" '^freeze=1 "status": *"paused"$' "$v2o"
	expect_match "$LAYOUT_V2: resume" "^thawed=0\$" "$v2o"
	expect_match "$LAYOUT_V2: kill --all through cgroup.kill stops it" '^killed="status": *"stopped"$' "$v2o"
	expect_match "$LAYOUT_V2: delete removes the cgroup" "^left=\$" "$v2o"
	expect_match "$LAYOUT_V2: $BADWHAT" "$BADRE" "$v2o"

fi
if [ "$LAYOUT" = hybrid ] && command -v unshare >/dev/null; then
	b=$(mkcg v1a 'i=0; while :; do i=$((i+1)); echo $i > /tmp/count.new; mv /tmp/count.new /tmp/count; sleep 0.02; done' '{"pids": {"limit": 50}}')
	unshare -m --propagation private bash -c '
		X="$1 --root $2"; P=$3; b=$4; V2=$5; FRZ=$6
		umount -l "$V2" || exit 1
		$X run -d -b "$b" v1a </dev/null
		pid=$($X state v1a | sed -n "s/.*\"pid\": *\([0-9]*\).*/\1/p")
		echo "unified=$(grep "^0::" /proc/$pid/cgroup) pids=$(grep -c ":pids:/$P/v1a\$" /proc/$pid/cgroup)"
		sleep 0.2
		$X pause v1a && echo "freezer=$(cat $FRZ/$P/v1a/freezer.state)"
		c1=$(cat /proc/$pid/root/tmp/count); sleep 0.3; c2=$(cat /proc/$pid/root/tmp/count)
		echo "frozen-count=$([ "$c1" = "$c2" ] && echo same || echo moved)"
		$X resume v1a && echo "thawed=$(cat $FRZ/$P/v1a/freezer.state)"
		sleep 0.3; c3=$(cat /proc/$pid/root/tmp/count)
		echo "thawed-count=$([ "$c3" -gt "$c2" ] && echo moved || echo same)"
		$X kill --all v1a KILL
		for i in $(seq 50); do [ -d /proc/$pid ] && [ "$(sed -n "s/^State:\t\(.\).*/\1/p" /proc/$pid/status)" != Z ] || break; sleep 0.1; done
		echo "killed=$($X state v1a | grep -o "\"status\": *\"[a-z]*\"")"
		$X delete v1a && echo "left=$(ls -d /sys/fs/cgroup/*/$P/v1a 2>/dev/null)"
		# the v1 freezer holds a SIGKILLed task until it is thawed (v2 lets it through); the
		# bundle names the cgroups of v1a, deleted above
		$X run -d -b "$b" v1p </dev/null
		ppid=$($X state v1p | sed -n "s/.*\"pid\": *\([0-9]*\).*/\1/p")
		$X pause v1p
		timeout 20 $X delete --force v1p; echo "pdel=$?"
		st=$(sed -n "s/^State:\t\(.\).*/\1/p" /proc/$ppid/status 2>/dev/null)
		echo "pgone=$([ -z "$st" ] || [ "$st" = Z ] && echo yes || echo "no ($st)") pleft=$(ls -d /sys/fs/cgroup/*/$P/v1a 2>/dev/null)"
	' _ "$CTR_DEMO" "$ROOT" "$P" "$b" "$V2" "$(v1dir freezer)" >"$TMP/v1.out" 2>&1
	v1o=$(cat "$TMP/v1.out")
	expect_match "pure v1: in the v1 pids cgroup, not moved in the (unmounted) unified one" "^unified=0::/ pids=1\$" "$v1o"
	expect_match "pure v1: pause through freezer.state" "^freezer=FROZEN\$" "$v1o"
	expect_match "pure v1: paused, the counter stands" "^frozen-count=same\$" "$v1o"
	expect_match "pure v1: resume thaws" "^thawed=THAWED\$" "$v1o"
	expect_match "pure v1: resumed, the counter moves" "^thawed-count=moved\$" "$v1o"
	expect_match "pure v1: kill --all (freeze, signal each pid, thaw) stops it" '^killed="status": *"stopped"$' "$v1o"
	expect_match "pure v1: delete removes every cgroup" "^left=\$" "$v1o"
	expect_match "pure v1: delete --force of a paused container returns" "^pdel=0\$" "$v1o"
	expect_match "pure v1: delete --force of a paused container: its init is gone, no cgroup left" \
		"^pgone=yes pleft=\$" "$v1o"
fi

# --- features
f=$(ctr features)
check "features: JSON with cgroup v1, v2 and seccomp" python3 -c 'import json,sys; d=json.loads(sys.argv[1]); l=d["linux"]; assert l["cgroup"]["v1"] and l["cgroup"]["v2"] and l["seccomp"]["enabled"] and "SCMP_ARCH_X86_64" in l["seccomp"]["archs"] and "CAP_SYS_ADMIN" in l["capabilities"] and "cgroup" in l["namespaces"] and not l["intelRdt"]["enabled"]' "$f"

finish
