#!/bin/bash
# deps.sh: install every Debian 12 package that the build, the tests, the demo
# and the benchmark need.  Skips apt entirely when all are already installed,
# so reruns are quick.  Run as root.
set -eu

pkgs=(
	meson ninja-build pkg-config gcc g++        # build
	libjson-c-dev libseccomp-dev libmnl-dev     # libctr's dependencies
	libyaml-dev                                 # CDI specs (accelerators) may be YAML
	libcmocka-dev                               # unit tests
	busybox-static python3 iproute2             # integration tests and the demo bundle
	make procps                                 # examples/Makefile; pgrep in the tests
	clang                                       # -Dfuzzing=true builds the libFuzzer targets
	crun runc hyperfine                         # tests/bench/lifecycle.sh
	libarchive-dev libssl-dev zlib1g-dev        # images: tar reader, digests, gzip
	libzstd-dev libisal-dev                     # images: zstd layers, fast inflate
	libcurl4-openssl-dev                        # registries: HTTP/1.1 and HTTP/2 over TLS (loaded on first use)
	docker-registry apache2-utils               # registries: the tests' registry (distribution v2) and htpasswd
	python3-cryptography                        # registries: the tests' token server signs real JWTs
	umoci skopeo                                # images: tests build images, bench compares
	libnftnl-dev nftables                       # networks: NAT and published ports
	containernetworking-plugins iperf3          # networks: bench against the CNI bridge plugin
	podman containerd                           # engines that use ctr-demo as their runtime
	strace                                      # tests/integration/cgroups.sh kills a create at clone3
	musl-tools linux-libc-dev                   # the sealed init stub (lib/linux/init): a small static program
	zstd                                        # tests/image/mk-layers.py writes zstd layers
	curl                                        # tests/net/nat-*.sh reach published ports
	uidmap                                      # tests/integration/rootless.sh: newuidmap/newgidmap
	abigail-tools                               # tests/abi: abidiff against the released ABI (abi/)
	doxygen                                     # the API reference (docs/): HTML and man pages
	python3-venv python3-mypy                   # bindings/python: pip install into a venv, strict type check
	golang-go                                   # examples/go: the cgo example, built against the installed ctr.pc
)

missing=()
for p in "${pkgs[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
		missing+=("$p")
	fi
done
if [ ${#missing[@]} -eq 0 ]; then
	echo "deps.sh: all ${#pkgs[@]} packages are installed"
	exit 0
fi
if [ "$(id -u)" != 0 ]; then
	echo "deps.sh: missing packages: ${missing[*]}; run as root (sudo $0)" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q -o DPkg::Lock::Timeout=300 --no-install-recommends "${missing[@]}"
# the registry tests start docker-registry themselves (own config, port and
# storage); the package's own service (a registry on :5000) is not wanted
if [[ " ${missing[*]} " == *" docker-registry "* ]] && [ -d /run/systemd/system ]; then
	systemctl disable --now docker-registry.service >/dev/null 2>&1 || true
fi
