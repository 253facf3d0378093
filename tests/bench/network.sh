#!/bin/bash
# network.sh [-t SECONDS] [--nft-driver PATH] [--no-cni] [--attach-only] [-n N] [--ctr-demo PATH] [--attach-bench PATH]
#
# Attach/detach half (first): one container network namespace attached to a
# bridge network and detached again, N times (default 200, after a warm-up),
# with a published port (8080:80/tcp) each time, both sides doing the same
# work as podman's default network (bridge, ipMasq, portmap, firewall):
#   libctr  ctr_network_attach_netns + ctr_network_detach_netns through
#           tests/net/net-attach-bench, on a network made by `ctr-demo network
#           create` (10.66.0.0/24, not internal).  Attach: IPAM lease (flock'ed
#           leases.json), veth with its peer born as eth0 in the namespace,
#           host end on the bridge with hairpin on, lo and eth0 up, address and
#           default route, DNAT elements for the published port in libctr's
#           nftables table (whose static rules also masquerade the subnet's
#           outbound traffic and accept its forwarded traffic).  Detach: the
#           DNAT elements, the veth and the lease removed.
#   cni     the plugins exec'd as an engine runs podman's default conflist
#           (tuning left out: libctr sets no sysctls per container):
#           ADD bridge (host-local IPAM, ipMasq, hairpinMode, same subnet),
#           ADD portmap (DNAT for 8080->80), ADD firewall (iptables backend:
#           forward accept rules for the address); then DEL firewall, DEL
#           portmap, DEL bridge.
# Prints the mean ms of one attach+detach for each and the ratio cni/libctr
# (goal: >= 20).  The bridge itself and the static firewall rules exist
# before the timed loop on both sides (warm-up).
#
# Container networking benchmark, everything in network namespaces made here
# (the host's own interfaces, routes and firewall are never touched).
#
# Throughput half: iperf3 TCP throughput (Gbit/s), each side run inside a
# container's network namespace (iperf3 is the host's binary, no rootfs needed):
#   c2c     container to container over the bridge
#   publish from an "outside" namespace to a published port (host address:15201
#           DNATed to a container's :5201)
# for a bridge network made by `ctr-demo network create` with two busybox
# containers run by `ctr-demo run -d --network n1 [-p 15201:5201]` (veth,
# IPAM, libctr's nftables table; iperf3 enters the containers' network
# namespaces with nsenter --net) and for the same topology set up by the CNI
# bridge plugin (+ host-local IPAM, ipMasq)
# and the portmap plugin (containernetworking-plugins, /usr/lib/cni).  Prints
# Gbit/s per case and libctr/CNI ratios.  Each run lasts SECONDS (default 5).
#
# Needs root, iperf3, ip, nft.  Not part of the test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
. "$here/lib.sh"
T=5
DRIVER=${NFT_DRIVER:-}
CNI=1
CNI_PATH=${CNI_PATH:-/usr/lib/cni}
NATT=200
ATTACH_ONLY=0
CTR_DEMO=${CTR_DEMO:-}
ATTACH=${ATTACH:-}
while [ $# -gt 0 ]; do
	case $1 in
	-t) T=$2; shift ;;
	--nft-driver) DRIVER=$2; shift ;;
	--no-cni) CNI=0 ;;
	--attach-only) ATTACH_ONLY=1 ;;
	-n) NATT=$2; shift ;;
	--ctr-demo) CTR_DEMO=$2; shift ;;
	--attach-bench) ATTACH=$2; shift ;;
	-h|--help) sed -n '2,46p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "network.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$DRIVER" ]; then
	d=$(bench_build tests/net/nft-driver) && DRIVER=$d/tests/net/nft-driver
fi
[ -x "${DRIVER:-}" ] || { echo "network.sh: no tests/net/nft-driver; build first or pass --nft-driver PATH" >&2; exit 2; }
for d in "$(dirname "$(dirname "$(dirname "$DRIVER")")")" "$src/build" "$src"/build-*; do
	[ -z "$CTR_DEMO" ] && [ -x "$d/tools/ctr-demo" ] && CTR_DEMO=$d/tools/ctr-demo
	[ -z "$ATTACH" ] && [ -x "$d/tests/net/net-attach-bench" ] && ATTACH=$d/tests/net/net-attach-bench
done
[ -x "${CTR_DEMO:-}" ] && [ -x "${ATTACH:-}" ] ||
	{ echo "network.sh: no tools/ctr-demo or tests/net/net-attach-bench; build first or pass --ctr-demo/--attach-bench" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "network.sh: needs root" >&2; exit 2; }
command -v iperf3 >/dev/null || { echo "network.sh: needs iperf3 (apt-get install iperf3)" >&2; exit 2; }
if [ $CNI = 1 ] && [ ! -x "$CNI_PATH/bridge" ]; then
	echo "# CNI plugins not found in $CNI_PATH: CNI skipped (apt-get install containernetworking-plugins)"
	CNI=0
fi

P=ctrb$$
work=$(mktemp -d /tmp/ctr-netbench.XXXXXX)
NSS=()
CLEANUP=()
cleanup() {
	local n c
	set +e # everything below is tried, whatever fails
	for c in "${CLEANUP[@]+"${CLEANUP[@]}"}"; do
		eval "$c" >/dev/null 2>&1
	done
	# every namespace of this run, also those made in a $(...) subshell
	for n in "${NSS[@]+"${NSS[@]}"}" $(ip netns list | awk -v p="$P-" 'index($1, p) == 1 {print $1}'); do
		ip netns pids "$n" 2>/dev/null | xargs -r kill -9 2>/dev/null
		ip netns del "$n" 2>/dev/null
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkns() { ip netns add "$1" && NSS+=("$1") && ip -n "$1" link set lo up; }

# topo KIND: namespaces $P-KIND-{host,out,c1,c2}; host <-> out over a veth
# (198.51.100.2 <-> .1), forwarding on in host
topo() {
	local k=$P-$1
	for n in host out c1 c2; do mkns "$k-$n"; done
	ip -n "$k-host" link add h0 type veth peer name o0 netns "$k-out"
	ip -n "$k-out" addr add 198.51.100.1/24 dev o0
	ip -n "$k-out" link set o0 up
	ip -n "$k-host" addr add 198.51.100.2/24 dev h0
	ip -n "$k-host" link set h0 up
	ip netns exec "$k-host" sysctl -qw net.ipv4.ip_forward=1
}

# libctr: `ctr-demo network create` and two busybox containers run with
# `ctr-demo run -d --network n1` (c1 with -p 15201:5201) in the host namespace;
# iperf3 runs in the containers' network namespaces (nsenter --net)
tctr() { ip netns exec "$P-libctr-host" "$CTR_DEMO" --root "$work/state" --net-dir "$work/nets-tp" "$@"; }
setup_libctr() {
	local k=$P-libctr i pid
	topo libctr
	"$src/tests/make-bundle.sh" "$(command -v busybox || echo /bin/busybox)" "$work/bundle" >/dev/null
	python3 - "$work/bundle/config.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))
c["process"]["args"] = ["sleep", "3600"]
c["process"]["terminal"] = False
json.dump(c, open(sys.argv[1], "w"))
PY
	CLEANUP+=("tctr delete --force tc1; tctr delete --force tc2; tctr network rm n1")
	tctr network create --subnet 10.88.0.0/24 n1 >/dev/null
	for i in 1 2; do
		cp -a "$work/bundle" "$work/b$i"
		tctr run -d -b "$work/b$i" --network n1 $([ $i = 1 ] && echo -p 15201:5201) "tc$i" </dev/null >/dev/null
		pid=$(tctr state "tc$i" | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])')
		NETNS[libctr-c$i]=/proc/$pid/ns/net
	done
	C1_IP=$(tctr network inspect n1 | python3 -c 'import json,sys; print([c["ipv4"] for c in json.load(sys.stdin)["containers"] if c["id"] == "tc1"][0])')
}

# CNI: bridge plugin (host-local IPAM, ipMasq) for both containers, portmap for c1
cni() { # cni COMMAND CONTAINER-NS PLUGIN < CONFIG
	CNI_COMMAND=$1 CNI_CONTAINERID=$2 CNI_NETNS=/run/netns/$2 CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH \
		ip netns exec "$P-cni-host" "$CNI_PATH/$3"
}
setup_cni() {
	local k=$P-cni i
	topo cni
	local conf='{"cniVersion": "1.0.0", "name": "bench", "type": "bridge", "bridge": "cni0",
		"isGateway": true, "isDefaultGateway": true, "ipMasq": true, "hairpinMode": true,
		"ipam": {"type": "host-local", "ranges": [[{"subnet": "10.77.0.0/24"}]], "dataDir": "'$work/cni-ipam'"}}'
	for i in 1 2; do
		cni ADD "$k-c$i" bridge <<<"$conf" >"$work/cni-c$i.json" ||
			{ echo "network.sh: CNI bridge ADD failed: $(cat "$work/cni-c$i.json")" >&2; return 1; }
	done
	C1_IP=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["ips"][0]["address"].split("/")[0])' "$work/cni-c1.json")
	python3 - "$work/cni-c1.json" >"$work/portmap.json" <<'PY'
import json, sys
prev = json.load(open(sys.argv[1]))
print(json.dumps({"cniVersion": "1.0.0", "name": "bench", "type": "portmap",
	"capabilities": {"portMappings": True},
	"runtimeConfig": {"portMappings": [{"hostPort": 15201, "containerPort": 5201, "protocol": "tcp"}]},
	"prevResult": prev}))
PY
	if ! cni ADD "$k-c1" portmap <"$work/portmap.json" >"$work/portmap-out.json" 2>&1; then
		echo "# CNI portmap ADD failed ($(head -c 200 "$work/portmap-out.json")): no published-port case for CNI"
		CNI_PORTMAP=0
	fi
}

# inns KIND NS CMD...: CMD in the namespace NS of KIND (a container's when
# NETNS[KIND-NS] names one, else the netns $P-KIND-NS)
declare -A NETNS
inns() {
	local where=${NETNS[$1-$2]:-} ns=$P-$1-$2
	shift 2
	if [ -n "$where" ]; then nsenter --net="$where" "$@"; else ip netns exec "$ns" "$@"; fi
}
# iperf KIND SERVER-NS CLIENT-NS ADDRESS PORT: Gbit/s of one TCP stream
iperf() {
	local i
	inns "$1" "$2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	local server=$!
	for i in $(seq 50); do
		inns "$1" "$2" ss -ltn | grep -q ':5201 ' && break
		sleep 0.1
	done
	inns "$1" "$3" iperf3 -c "$4" -p "$5" -t "$T" --connect-timeout 3000 -J >"$work/iperf.json" 2>&1 ||
		{ echo "network.sh: iperf3 $1 $2<-$3 $4:$5 failed: $(head -c 300 "$work/iperf.json")" >&2
		  kill "$server" 2>/dev/null; wait "$server"; return 1; }
	wait "$server"
	python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' "$work/iperf.json"
}

# ---- attach/detach: libctr vs the CNI bridge + portmap plugins ----
attach_libctr() {
	local k=$P-att
	mkns "$k-host"
	mkns "$k-c"
	ip netns exec "$k-host" "$CTR_DEMO" --net-dir "$work/nets" network create --subnet 10.66.0.0/24 n1 >/dev/null
	# warm-up, checking that no veth end outlives a detach
	ip netns exec "$k-host" "$ATTACH" "$work/nets" n1 "/run/netns/$k-c" 3 8080:80 check >/dev/null 2>"$work/check.txt" ||
		{ cat "$work/check.txt" >&2; echo "network.sh: libctr attach/detach check failed" >&2; return 1; }
	ip netns exec "$k-host" "$ATTACH" "$work/nets" n1 "/run/netns/$k-c" "$NATT" 8080:80
}
attach_cni() {
	local k=$P-catt i t0 t1 ip
	mkns "$k-host"
	mkns "$k-c"
	local conf='{"cniVersion": "1.0.0", "name": "attach", "type": "bridge", "bridge": "cni-att",
		"isGateway": true, "isDefaultGateway": true, "ipMasq": true, "hairpinMode": true,
		"ipam": {"type": "host-local", "ranges": [[{"subnet": "10.66.0.0/24"}]], "dataDir": "'$work/cni-att-ipam'"}}'
	pm() { # the portmap config with the bridge ADD result $1 as prevResult
		printf '{"cniVersion": "1.0.0", "name": "attach", "type": "portmap", "capabilities": {"portMappings": true},
			"runtimeConfig": {"portMappings": [{"hostPort": 8080, "containerPort": 80, "protocol": "tcp"}]},
			"prevResult": %s}' "$1"
	}
	fw() { # the firewall plugin's config, prevResult $1
		printf '{"cniVersion": "1.0.0", "name": "attach", "type": "firewall", "backend": "iptables", "prevResult": %s}' "$1"
	}
	plugin() { # plugin COMMAND NAME < CONFIG
		CNI_COMMAND=$1 CNI_CONTAINERID=att CNI_NETNS=/run/netns/$k-c CNI_IFNAME=eth0 CNI_PATH=$CNI_PATH \
			ip netns exec "$k-host" "$CNI_PATH/$2"
	}
	run1() {
		local res
		res=$(plugin ADD bridge <<<"$conf") || { echo "CNI bridge ADD: $res" >&2; return 1; }
		pm "$res" | plugin ADD portmap >/dev/null || { echo "CNI portmap ADD failed" >&2; return 1; }
		fw "$res" | plugin ADD firewall >/dev/null || { echo "CNI firewall ADD failed" >&2; return 1; }
		fw "$res" | plugin DEL firewall >/dev/null || { echo "CNI firewall DEL failed" >&2; return 1; }
		pm "$res" | plugin DEL portmap >/dev/null || { echo "CNI portmap DEL failed" >&2; return 1; }
		plugin DEL bridge <<<"$conf" >/dev/null || { echo "CNI bridge DEL failed" >&2; return 1; }
	}
	for i in 1 2 3; do run1 || return 1; done # warm-up: the bridge and iptables chains exist
	t0=$(date +%s%N)
	for i in $(seq "$NATT"); do run1 || return 1; done
	t1=$(date +%s%N)
	python3 -c 'import sys; print("%.3f" % ((int(sys.argv[2]) - int(sys.argv[1])) / 1e6 / int(sys.argv[3])))' "$t0" "$t1" "$NATT"
}
echo "# network attach+detach (with one published port), $NATT times each, $(nproc) cpus, kernel $(uname -r)"
ms_libctr=$(attach_libctr)
printf '%-8s %-14s %10s ms\n' libctr attach+detach "$ms_libctr"
if [ $CNI = 1 ]; then
	ms_cni=$(attach_cni)
	printf '%-8s %-14s %10s ms\n' cni attach+detach "$ms_cni"
	python3 -c 'import sys; r = float(sys.argv[2]) / float(sys.argv[1]); print("cni/libctr attach+detach time = %.1fx (goal >= 20x): %s" % (r, "met" if r >= 20 else "NOT met"))' "$ms_libctr" "$ms_cni"
fi
echo
[ $ATTACH_ONLY = 1 ] && exit 0

declare -A gbps
echo "# network throughput: iperf3 TCP, 1 stream, ${T}s per case, $(nproc) cpus, kernel $(uname -r)"
printf '%-8s %-8s %10s\n' setup case Gbit/s
setup_libctr
gbps[libctr-c2c]=$(iperf libctr c1 c2 "$C1_IP" 5201)
printf '%-8s %-8s %10s\n' libctr c2c "${gbps[libctr-c2c]}"
gbps[libctr-publish]=$(iperf libctr c1 out 198.51.100.2 15201)
printf '%-8s %-8s %10s\n' libctr publish "${gbps[libctr-publish]}"
if [ $CNI = 1 ]; then
	CNI_PORTMAP=1
	setup_cni
	gbps[cni-c2c]=$(iperf cni c1 c2 "$C1_IP" 5201)
	printf '%-8s %-8s %10s\n' cni c2c "${gbps[cni-c2c]}"
	if [ $CNI_PORTMAP = 1 ]; then
		gbps[cni-publish]=$(iperf cni c1 out 198.51.100.2 15201)
		printf '%-8s %-8s %10s\n' cni publish "${gbps[cni-publish]}"
	fi
	for c in c2c publish; do
		[ -n "${gbps[cni-$c]:-}" ] || continue
		python3 -c 'import sys; print("libctr/cni %s throughput = %.2f" % (sys.argv[1], float(sys.argv[2]) / float(sys.argv[3])))' \
			"$c" "${gbps[libctr-$c]}" "${gbps[cni-$c]}"
	done
fi
