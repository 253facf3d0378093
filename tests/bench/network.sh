#!/bin/bash
# network.sh [-t SECONDS] [--nft-driver PATH] [--no-cni]
#
# Container networking benchmark, everything in network namespaces made here
# (the host's own interfaces, routes and firewall are never touched).
#
# Throughput half: iperf3 TCP throughput (Gbit/s), each side run inside a
# "container" network namespace through `ip netns exec` (the same as
# `nsenter --net`; iperf3 is the host's binary, no rootfs needed):
#   c2c     container to container over the bridge
#   publish from an "outside" namespace to a published port (host address:15201
#           DNATed to a container's :5201)
# for a bridge network whose firewall is libctr's nftables table (lib/net/nft.c
# through tests/net/nft-driver; bridge and veth pairs made with ip) and for the
# same topology set up by the CNI bridge plugin (+ host-local IPAM, ipMasq)
# and the portmap plugin (containernetworking-plugins, /usr/lib/cni).  Prints
# Gbit/s per case and libctr/CNI ratios.  Each run lasts SECONDS (default 5).
#
# Needs root, iperf3, ip, nft.  Not part of the test suite.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
T=5
DRIVER=${NFT_DRIVER:-}
CNI=1
CNI_PATH=${CNI_PATH:-/usr/lib/cni}
while [ $# -gt 0 ]; do
	case $1 in
	-t) T=$2; shift ;;
	--nft-driver) DRIVER=$2; shift ;;
	--no-cni) CNI=0 ;;
	-h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "network.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
	shift
done
if [ -z "$DRIVER" ]; then
	for d in "$src/build" "$src"/build-*; do
		[ -x "$d/tests/net/nft-driver" ] && DRIVER=$d/tests/net/nft-driver && break
	done
fi
[ -x "${DRIVER:-}" ] || { echo "network.sh: no tests/net/nft-driver; build first or pass --nft-driver PATH" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "network.sh: needs root" >&2; exit 2; }
command -v iperf3 >/dev/null || { echo "network.sh: needs iperf3 (apt-get install iperf3)" >&2; exit 2; }
if [ $CNI = 1 ] && [ ! -x "$CNI_PATH/bridge" ]; then
	echo "# CNI plugins not found in $CNI_PATH: CNI skipped (apt-get install containernetworking-plugins)"
	CNI=0
fi

P=ctrb$$
work=$(mktemp -d /tmp/ctr-netbench.XXXXXX)
NSS=()
cleanup() {
	local n
	for n in "${NSS[@]+"${NSS[@]}"}"; do
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

# libctr: bridge and veths with ip, the firewall through libctr's nft table
setup_libctr() {
	local k=$P-libctr i
	topo libctr
	ip -n "$k-host" link add br0 type bridge
	ip -n "$k-host" addr add 10.88.0.1/24 dev br0
	ip -n "$k-host" link set br0 up
	for i in 1 2; do
		ip -n "$k-host" link add "v$i" type veth peer name eth0 netns "$k-c$i"
		ip -n "$k-host" link set "v$i" master br0 up
		ip -n "$k-c$i" addr add "10.88.0.$((i + 1))/24" dev eth0
		ip -n "$k-c$i" link set eth0 up
		ip -n "$k-c$i" route add default via 10.88.0.1
	done
	ip netns exec "$k-host" "$DRIVER" net-add n1,br0,0,10.88.0.0/24
	ip netns exec "$k-host" "$DRIVER" port-add c1 tcp/-/15201/10.88.0.2/5201
	C1_IP=10.88.0.2
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

# iperf KIND SERVER-NS CLIENT-NS ADDRESS PORT: Gbit/s of one TCP stream
iperf() {
	local k=$P-$1 i
	ip netns exec "$k-$2" iperf3 -s -1 -p 5201 >/dev/null 2>&1 &
	local server=$!
	for i in $(seq 50); do
		ip netns exec "$k-$2" ss -ltn | grep -q ':5201 ' && break
		sleep 0.1
	done
	ip netns exec "$k-$3" iperf3 -c "$4" -p "$5" -t "$T" --connect-timeout 3000 -J >"$work/iperf.json" 2>&1 ||
		{ echo "network.sh: iperf3 $1 $2<-$3 $4:$5 failed: $(head -c 300 "$work/iperf.json")" >&2
		  kill "$server" 2>/dev/null; wait "$server"; return 1; }
	wait "$server"
	python3 -c 'import json,sys; print("%.2f" % (json.load(open(sys.argv[1]))["end"]["sum_received"]["bits_per_second"] / 1e9))' "$work/iperf.json"
}

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
