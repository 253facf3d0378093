#!/bin/bash
# scale.sh [--sizes "10 100 500"] [--variants "ctr-demo ctr-demo-net crun"] [--ctr-demo PATH] [--raw FILE]
#
# Does a container cost the same with 500 others running as with 10?  For
# each size S and variant, S long-running containers (busybox sleep, runc's
# default spec) are brought up one after another (create, then start) and
# then torn down (delete --force), and the script reports:
#   create p50/p99 and start p50/p99 (ms) over the creates and starts (a
#     size under 100 is brought up ceil(100/S) times, so that p99 is one of
#     at least 100), and create p99 of the last tenth (with S-1 running)
#   list and state: mean ms of 5 calls with S containers
#   per container: host memory (MemTotal - MemAvailable, and Slab, before
#     and after bringing them up, divided by S; other processes on the
#     machine make these approximate), the memory charged to its memory
#     cgroup (v1 memory.usage_in_bytes: its processes and kernel objects),
#     its state directory (KiB), and processes of the runtime left running
#     (a shim, a monitor, an init stub: 0 is the answer for a library)
#   teardown: ms per container
# Variants: ctr-demo (no network: the bundle's own empty network namespace),
# ctr-demo-net (a bridge network made for the run, `create --network`), crun
# (the same bundle; crun has no networks).  Finally create p99 at the largest
# size over create p99 at the smallest (issue 16's target: <= 1.5).
#
# Runs in a private mount and network namespace (the bridge, its firewall
# table and the veths stay in it) with /sys/fs/cgroup/unified unmounted (crun
# 1.8 refuses the hybrid layout), state roots on tmpfs.  Everything it made
# (containers, network, mounts, files) is removed at exit, also on Ctrl-C.
# Needs root.  Not part of the test suite.  --raw FILE keeps every sample
# (one line per variant, size and measure, microseconds).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
SIZES="10 100 500"
VARIANTS="ctr-demo ctr-demo-net crun"
CTR_DEMO=${CTR_DEMO:-}
RAW=
while [ $# -gt 0 ]; do
	case $1 in
	--sizes) SIZES=$2; shift ;;
	--variants) VARIANTS=$2; shift ;;
	--ctr-demo) CTR_DEMO=$2; shift ;;
	--raw) RAW=$2; shift ;;
	-h | --help) sed -n '2,29p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "scale.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$CTR_DEMO" ]; then
	d=$(bench_build tools/ctr-demo) && CTR_DEMO=$d/tools/ctr-demo
fi
[ -x "${CTR_DEMO:-}" ] || { echo "scale.sh: no ctr-demo; build first or pass --ctr-demo PATH" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "scale.sh: needs root" >&2; exit 2; }
for v in $VARIANTS; do
	case $v in
	ctr-demo | ctr-demo-net) ;;
	crun) command -v crun >/dev/null || { echo "scale.sh: crun is not installed (apt-get install crun, or --variants without it)" >&2; exit 2; } ;;
	*) echo "scale.sh: unknown variant '$v'" >&2; exit 2 ;;
	esac
done
for s in $SIZES; do
	[ "$s" -ge 1 ] 2>/dev/null || { echo "scale.sh: --sizes: '$s' is not a count" >&2; exit 2; }
done

# into a private mount and network namespace, once
if [ -z "${CTR_SCALE_INNER:-}" ]; then
	export CTR_SCALE_INNER=1 CTR_DEMO
	exec unshare -mn --propagation private bash "$0" --sizes "$SIZES" --variants "$VARIANTS" --raw "$RAW"
fi
umount /sys/fs/cgroup/unified 2>/dev/null || true
ip link set lo up 2>/dev/null || true

work=$(mktemp -d /tmp/ctr-scale.XXXXXX)
chmod 0755 "$work"
NET=scale$$
NETDIR=$work/net
RT=
declare -a IDS=()

# delete whatever of ours is left, the network, the mounts and the files; also on Ctrl-C
cleanup() {
	set +e
	trap - EXIT INT TERM
	teardown_all >/dev/null 2>&1
	"$CTR_DEMO" --net-dir "$NETDIR" network rm "$NET" >/dev/null 2>&1
	for d in "$work"/state-*; do
		[ -d "$d" ] && umount "$d" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rt_cmd() { # the runtime of the current variant with its state root
	case $RT in
	crun) echo "crun --root $work/state-crun" ;;
	*) echo "$CTR_DEMO --root $work/state-ctr --net-dir $NETDIR" ;;
	esac
}
teardown_all() {
	local id
	for id in "${IDS[@]}"; do
		case $RT in
		crun) crun --root "$work/state-crun" delete -f "$id" ;;
		*) "$CTR_DEMO" --root "$work/state-ctr" --net-dir "$NETDIR" delete --force "$id" ;;
		esac
	done
	IDS=()
}
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
meminfo() { awk -v k="$1:" '$1 == k {print $2}' /proc/meminfo; }
runtime_procs() { # processes of the runtime itself still running (a shim, a monitor, an init stub)
	local p exe n=0 me
	me=$(readlink -f "$CTR_DEMO")
	for p in /proc/[0-9]*; do
		exe=$(readlink "$p/exe" 2>/dev/null) || continue
		case $exe in
		"$me" | */crun | *ctr-init*) n=$((n + 1)) ;;
		esac
	done
	echo "$n"
}
cgmem() { # sum of the containers' memory cgroups' usage (bytes)
	local mem
	mem=$(awk '$9 == "cgroup" && index("," $NF ",", ",memory,") {print $5}' /proc/self/mountinfo | head -n1)
	[ -n "$mem" ] || { echo 0; return; }
	find "$mem" -maxdepth 3 -type d -name "sc-$RT-*" -exec cat {}/memory.usage_in_bytes \; |
		awk '{s += $1} END {print s + 0}'
}

"$here/make-bench-bundle.sh" "$work/bundle" runc sleep 1000000 2>/dev/null
mkdir -p "$work/state-ctr" "$work/state-crun" "$NETDIR"
mount -t tmpfs -o mode=0700 ctr-scale "$work/state-ctr"
mount -t tmpfs -o mode=0700 ctr-scale "$work/state-crun"
results=$work/results
: >"$results"

echo "# scale: runc's default spec running busybox sleep; sizes $SIZES; $(nproc) cpus, kernel $(uname -r)"
for v in $VARIANTS; do
	RT=$v
	netopt=
	if [ "$v" = ctr-demo-net ]; then
		# a /20 of 10.128-191.x.0 (4094 addresses) in this private network namespace
		sub=10.$((128 + RANDOM % 64)).$(((RANDOM % 16) * 16)).0/20
		"$CTR_DEMO" --net-dir "$NETDIR" network create --subnet "$sub" "$NET" >/dev/null
		netopt="--network $NET"
	fi
	for S in $SIZES; do
		rt=$(rt_cmd)
		sync
		m0=$(($(meminfo MemTotal) - $(meminfo MemAvailable))) s0=$(meminfo Slab)
		creates=() starts=() downs=()
		# small sizes are brought up and torn down several times, so that
		# each p99 is one of at least 100 creates, not the slowest of 10
		rounds=$(((100 + S - 1) / S))
		for r in $(seq "$rounds"); do
			[ "$r" = 1 ] || { t0=$(now_us); teardown_all; downs+=($(($(now_us) - t0))); }
			for i in $(seq "$S"); do
				id=sc-$v-$S-$r-$i
				t0=$(now_us)
				# shellcheck disable=SC2086 # rt is a command line, netopt two words or none
				case $v in
				crun) $rt create --bundle "$work/bundle" "$id" </dev/null >/dev/null ;;
				*) $rt create $netopt -b "$work/bundle" "$id" </dev/null >/dev/null ;;
				esac
				IDS+=("$id")
				t1=$(now_us)
				$rt start "$id" >/dev/null
				t2=$(now_us)
				creates+=($((t1 - t0))) starts+=($((t2 - t1)))
			done
		done
		sleep 0.5
		m1=$(($(meminfo MemTotal) - $(meminfo MemAvailable))) s1=$(meminfo Slab)
		p1=$(runtime_procs)
		cgm=$(cgmem)
		case $v in
		crun) sdir=$work/state-crun ;;
		*) sdir=$work/state-ctr ;;
		esac
		skib=$(du -sk "$sdir" | cut -f1)
		lt=() st=()
		for _ in 1 2 3 4 5; do
			t0=$(now_us); $rt list >/dev/null; t1=$(now_us)
			$rt state "${IDS[$((S / 2))]}" >/dev/null; t2=$(now_us)
			lt+=($((t1 - t0))) st+=($((t2 - t1)))
		done
		t0=$(now_us)
		teardown_all
		downs+=($(($(now_us) - t0)))
		echo "$v $S create ${creates[*]}" >>"$results"
		echo "$v $S start ${starts[*]}" >>"$results"
		echo "$v $S list ${lt[*]}" >>"$results"
		echo "$v $S state ${st[*]}" >>"$results"
		echo "$v $S mem $m0 $m1 $s0 $s1 $p1 $cgm $skib $rounds" >>"$results"
		echo "$v $S teardown ${downs[*]}" >>"$results"
	done
	if [ "$v" = ctr-demo-net ]; then
		"$CTR_DEMO" --net-dir "$NETDIR" network rm "$NET" >/dev/null
	fi
done

[ -z "$RAW" ] || cp "$results" "$RAW"
python3 - "$results" <<'PY'
import sys, statistics
from collections import defaultdict
d = defaultdict(dict)
order = []
for line in open(sys.argv[1]):
    f = line.split()
    v, S, kind, vals = f[0], int(f[1]), f[2], [int(x) for x in f[3:]]
    d[(v, S)][kind] = vals
    if (v, S) not in order:
        order.append((v, S))
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
print("%-13s %5s %8s %8s %9s %8s %8s %7s %7s %9s %8s %9s %7s %6s %8s" % (
    "variant", "n", "create50", "create99", "c99-last", "start50", "start99", "list", "state",
    "mem_kib", "slab_kib", "cgmem_kib", "state_k", "procs", "down_ms"))
p99 = defaultdict(dict)
for v, S in order:
    r = d[(v, S)]
    c = [x / 1000 for x in r["create"]]
    s = [x / 1000 for x in r["start"]]
    last = c[-max(1, len(c) // 10):]
    m0, m1, s0, s1, procs, cgm, skib, rounds = r["mem"]
    p99[v][S] = pct(c, 99)
    print("%-13s %5d %8.2f %8.2f %9.2f %8.2f %8.2f %7.2f %7.2f %9.0f %8.0f %9.0f %7.1f %6.2f %8.2f" % (
        v, S, pct(c, 50), pct(c, 99), pct(last, 99), pct(s, 50), pct(s, 99),
        statistics.mean(r["list"]) / 1000, statistics.mean(r["state"]) / 1000,
        (m1 - m0) / S, (s1 - s0) / S, cgm / 1024 / S, skib / S, procs / S, sum(r["teardown"]) / 1000 / (S * rounds)))
print("(ms unless named; mem, slab, cgmem, state: KiB per container; procs: processes of the runtime left running per container (shim, monitor, init stub))")
for v in p99:
    sizes = sorted(p99[v])
    if len(sizes) > 1:
        lo, hi = sizes[0], sizes[-1]
        print("%s: create p99 at %d / at %d = %.2f (issue 16's target: <= 1.5)" % (v, hi, lo, p99[v][hi] / p99[v][lo]))
PY
