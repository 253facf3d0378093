#!/bin/bash
# linux.resources enforced, tested by their effect on real containers (not by
# reading the files back): cpu quota/period (the group is throttled and gets
# no more than its share), cpu shares/weight (two containers on one CPU split
# it by weight), cpuset (the affinity), the io throttles on the disk the
# container writes to (a direct write takes as long as the rate says), io
# weight (under the BFQ scheduler, two containers reading at once from a
# disk that is the bottleneck share it by weight: CTR_TESTS_SLOW_DISK),
# hugetlb (a hugetlbfs allocation past the limit fails).
# Memory (OOM kill) and pids (fork refused) are in cgroups.sh, the device
# rules in test-devices-cgroup.sh.  Whatever the layout: on a pure v2 host
# these are cpu.max, cpu.weight, io.max, io.bfq.weight and hugetlb.*.max in
# the unified hierarchy; on a hybrid or v1 host the v1 controllers' files.
. "$(dirname "$0")/lib.sh"

P=ctrres-$$
HIERS=$(awk '$9 == "cgroup" || $9 == "cgroup2" {print $5}' /proc/self/mountinfo | grep '^/sys/fs/cgroup')
at_cleanup 'for h in $HIERS; do [ -d "$h/$P" ] && find "$h/$P" -depth -type d -exec rmdir {} + 2>/dev/null; done'

# mkr NAME RESOURCES SCRIPT: a bundle running SCRIPT with RESOURCES in cgroupsPath /$P/NAME
mkr() {
	local b
	b=$(mkb "$1")
	args "$b" "$3"
	cfg "$b" 'c["linux"]["cgroupsPath"] = argv[0]; c["linux"]["resources"] = json.loads(argv[1]); c["process"]["terminal"] = False' "/$P/$1" "$2"
	echo "$b"
}
# cpu_ns ID: the container's CPU time so far (ns), from runc's stats
cpu_ns() { jget "$(ctr events --stats "$1")" 'd["data"]["cpu"]["usage"]["total"]'; }
throttled() { jget "$(ctr events --stats "$1")" 'd["data"]["cpu"]["throttling"].get("throttledPeriods", 0)'; }
now_ns() { date +%s%N; }
SPIN='while :; do :; done'

# --- cpu quota/period: 20 ms of every 100 ms
b=$(mkr quota '{"cpu": {"quota": 20000, "period": 100000}}' "$SPIN")
t0=$(now_ns)
ctr run -d -b "$b" quota </dev/null
sleep 3
used=$(cpu_ns quota)
t1=$(now_ns)
thr=$(throttled quota)
ctr delete --force quota
# at most 20% of the wall time, with a period of slack
max=$(((t1 - t0) / 5 + 100000000))
if [ "$used" -le "$max" ]; then ok "cpu quota 20%: a spinning container used ${used} ns of $((t1 - t0)) ns (at most $max)"
else notok "cpu quota 20%: CPU time" "used $used ns in $((t1 - t0)) ns wall: more than 20% + 100 ms"; fi
check "cpu quota: the kernel throttled the group ($thr periods)" test "$thr" -gt 0

# --- cpu shares (v2: weight 39 against 5): two spinning containers pinned to CPU 0
bh=$(mkr hi '{"cpu": {"shares": 1024, "cpus": "0"}}' "$SPIN")
bl=$(mkr lo '{"cpu": {"shares": 128, "cpus": "0"}}' "$SPIN")
ctr run -d -b "$bh" hi </dev/null
ctr run -d -b "$bl" lo </dev/null
expect_match "cpuset: the container runs on CPU 0 only" 'Cpus_allowed_list:[[:space:]]+0$' \
	"$(grep Cpus_allowed_list "/proc/$(jget "$(ctr state lo)" 'd["pid"]')/status")"
h0=$(cpu_ns hi); l0=$(cpu_ns lo)
sleep 3
h1=$(cpu_ns hi); l1=$(cpu_ns lo)
ctr delete --force hi
ctr delete --force lo
hi_ms=$(((h1 - h0) / 1000000)); lo_ms=$(((l1 - l0) / 1000000))
# the weights say 8 to 1; ask for more than 3 to 1
if [ "$lo_ms" -ge 0 ] && [ "$hi_ms" -gt $((3 * lo_ms)) ] && [ "$hi_ms" -gt 300 ]; then
	ok "cpu shares 1024 against 128 on one CPU: ${hi_ms} ms against ${lo_ms} ms in 3 s"
else
	notok "cpu shares 1024 against 128 on one CPU" "the high one got ${hi_ms} ms, the low one ${lo_ms} ms"
fi

# --- io: the block device the containers write to (the whole disk: io.max takes no partition)
dev=$(stat -c '%Hd:%Ld' "$TMP")
if [ -e "/sys/dev/block/$dev/partition" ]; then
	dev=$(cat "$(readlink -f "/sys/dev/block/$dev/..")/dev")
fi
if [ ! -e "/sys/dev/block/$dev" ]; then
	skip "blockIO" "$TMP is not on a block device ($dev)"
else
	maj=${dev%:*}; min=${dev#*:}
	# the same write without a throttle, for comparison
	b=$(mkr wfree '{}' 'dd if=/dev/zero of=/io.out bs=256k count=8 oflag=direct 2>&1; rm -f /io.out')
	t0=$(now_ns)
	runb "$b"
	ms=$((($(now_ns) - t0) / 1000000))
	check "blockIO: without a throttle the direct write of 2 MiB takes ${ms} ms (under 2500)" test "$ms" -lt 2500
	# a direct write of 2 MiB through a 512 KiB/s throttle: about 4 s
	b=$(mkr wbps "{\"blockIO\": {\"throttleWriteBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 524288}]}}" \
		'dd if=/dev/zero of=/io.out bs=256k count=8 oflag=direct 2>&1; rm -f /io.out')
	t0=$(now_ns)
	runb "$b"
	ms=$((($(now_ns) - t0) / 1000000))
	expect_match "blockIO write throttle: dd wrote 2 MiB" '^8\+0 records out' "$OUT"
	check "blockIO throttleWriteBpsDevice 512 KiB/s on $dev: 2 MiB took ${ms} ms (at least 3000)" test "$ms" -ge 3000
	# reads: 4 MiB of a file through a 1 MiB/s throttle
	b=$(mkr rbps "{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 1048576}]}}" \
		'dd if=/io.in of=/dev/null bs=256k iflag=direct 2>&1')
	dd if=/dev/urandom of="$b/rootfs/io.in" bs=1M count=4 status=none && sync
	t0=$(now_ns)
	runb "$b"
	ms=$((($(now_ns) - t0) / 1000000))
	expect_match "blockIO read throttle: dd read 4 MiB" '^16\+0 records out' "$OUT"
	check "blockIO throttleReadBpsDevice 1 MiB/s on $dev: 4 MiB took ${ms} ms (at least 3000)" test "$ms" -ge 3000
fi

# --- io weight: a proportional share only under the BFQ scheduler (io.bfq.weight, blkio.bfq.weight),
# and only where the disk, not the CPU, is the bottleneck.  CTR_TESTS_SLOW_DISK: a directory on a
# disk given to the tests (tests/vm/run.sh gives one limited to 16 MiB/s), whose scheduler may be
# switched to BFQ; else the disk of $TMP when its scheduler is BFQ already.
wdir=
if [ -n "${CTR_TESTS_SLOW_DISK:-}" ] && [ -d "$CTR_TESTS_SLOW_DISK" ]; then
	wdir=$CTR_TESTS_SLOW_DISK/ctrres-$$
	wdev=$(stat -c '%Hd:%Ld' "$CTR_TESTS_SLOW_DISK")
	[ -e "/sys/dev/block/$wdev/partition" ] && wdev=$(cat "$(readlink -f "/sys/dev/block/$wdev/..")/dev")
	sched=$(readlink -f "/sys/dev/block/$wdev")/queue/scheduler
	modprobe bfq 2>/dev/null
	if ! grep -q '\[bfq\]' "$sched" 2>/dev/null; then
		old=$(sed 's/.*\[\(.*\)\].*/\1/' "$sched")
		echo bfq >"$sched" && at_cleanup "echo $old > $sched"
	fi
elif [ -n "${dev:-}" ] && grep -q '\[bfq\]' "$(readlink -f "/sys/dev/block/$dev")/queue/scheduler" 2>/dev/null; then
	wdir=$TMP/weights
	sched=$(readlink -f "/sys/dev/block/$dev")/queue/scheduler
fi
if [ -n "$wdir" ] && grep -q '\[bfq\]' "$sched" 2>/dev/null; then
	mkdir -p "$wdir"
	at_cleanup "rm -rf '$wdir'"
	# two containers read their own file on that disk with direct IO, over and over, at the
	# same time; each counts the MiB it read
	READER='n=0; while :; do dd if=/data/io.in of=/dev/null bs=256k iflag=direct 2>/dev/null; n=$((n + 8)); echo $n >/n.tmp; mv /n.tmp /n; done'
	for w in big:1000 small:100; do
		x=$(mkr "w${w%:*}" "{\"blockIO\": {\"weight\": ${w#*:}}}" "$READER")
		mkdir -p "$wdir/${w%:*}"
		dd if=/dev/urandom of="$wdir/${w%:*}/io.in" bs=1M count=8 status=none
		cfg "$x" 'c["mounts"].append({"destination": "/data", "type": "bind", "source": argv[0], "options": ["rbind", "ro"]})' "$wdir/${w%:*}"
	done
	sync
	ctr run -d -b "$TMP/wbig" wbig </dev/null
	ctr run -d -b "$TMP/wsmall" wsmall </dev/null
	sleep 6
	nb=$(cat "$TMP/wbig/rootfs/n" 2>/dev/null || echo 0); ns=$(cat "$TMP/wsmall/rootfs/n" 2>/dev/null || echo 0)
	ctr delete --force wbig
	ctr delete --force wsmall
	if [ "$nb" -gt $((3 * ns)) ]; then ok "blockIO weight 1000 against 100 (BFQ on $sched): ${nb} MiB against ${ns} MiB in 6 s"
	else notok "blockIO weight 1000 against 100 (BFQ on $sched)" "${nb} MiB against ${ns} MiB in 6 s"; fi
else
	echo "# blockIO weight: not measured: no disk given in CTR_TESTS_SLOW_DISK and the scheduler of $TMP's disk is not BFQ"
fi

# --- hugetlb: 2 MB pages, one allowed; a hugetlbfs in the container allocates with fallocate
hp=/proc/sys/vm/nr_hugepages
if [ ! -d /sys/kernel/mm/hugepages/hugepages-2048kB ]; then
	skip "hugepageLimits" "no 2 MB huge pages on this kernel"
else
	before=$(cat $hp)
	at_cleanup "echo $before > $hp"
	echo $((before + 4)) >$hp
	free=$(cat /sys/kernel/mm/hugepages/hugepages-2048kB/free_hugepages)
	if [ "$free" -lt 2 ]; then
		skip "hugepageLimits" "could not reserve two free 2 MB huge pages ($free free)"
	else
		b=$(mkr huge '{"hugepageLimits": [{"pageSize": "2MB", "limit": 2097152}]}' \
			'fallocate -l 2097152 /huge/one && echo one-ok; fallocate -l 4194304 /huge/two 2>&1 || echo two-refused')
		cfg "$b" 'c["mounts"].append({"destination": "/huge", "type": "hugetlbfs", "source": "none", "options": ["pagesize=2M"]})'
		runb "$b"
		expect_match "hugepageLimits 2 MB: one huge page is allocated" '^one-ok$' "$OUT"
		expect_match "hugepageLimits 2 MB: a second one is refused" '^two-refused$' "$OUT"
		b=$(mkr huge2 '{"hugepageLimits": [{"pageSize": "2MB", "limit": 4194304}]}' \
			'fallocate -l 4194304 /huge/two && echo two-ok')
		cfg "$b" 'c["mounts"].append({"destination": "/huge", "type": "hugetlbfs", "source": "none", "options": ["pagesize=2M"]})'
		runb "$b"
		expect_match "hugepageLimits 4 MB: two huge pages are allocated" '^two-ok$' "$OUT"
	fi
fi

finish
