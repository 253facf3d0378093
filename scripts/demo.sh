#!/bin/bash
# demo.sh: dependencies, build, then what a user of libctr sees, through
# ctr-demo (which uses only the public API):
#   1. an OCI image made here from the busybox rootfs of the build (the
#      bundled image), imported into an image store (verified, unpacked once);
#   2. a bridge network with NAT;
#   3. a container run straight from the image on that network, with a
#      published port: it prints its interfaces, routes, /etc/hosts and /dev;
#   4. the accelerators (GPUs) the backends find on this host.
# Everything lives in a temporary directory (state root, store, networks)
# and is removed at exit, the bridge and the firewall table included.
set -eu
cd "$(dirname "$0")/.."

# CTR_BUILD_DIR: another build directory than ./build (developers' own ones)
build=${CTR_BUILD_DIR:-build}
scripts/build.sh

ctr=$(pwd)/$build/tools/ctr-demo
work=$(mktemp -d /tmp/ctr-demo.XXXXXX)
g=(--root "$work/state" --store "$work/store" --net-dir "$work/networks")
net=ctrdemo$$
cleanup() {
	"$ctr" "${g[@]}" delete --force demo >/dev/null 2>&1 || true
	"$ctr" "${g[@]}" network rm "$net" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
run() { echo "+ ctr-demo $*"; "$ctr" "${g[@]}" "$@"; }

# 1. the bundled image: an OCI image layout with the busybox rootfs as its one layer
img=$work/image
umoci init --layout "$img"
umoci new --image "$img:busybox"
umoci unpack --image "$img:busybox" "$work/unpacked" >/dev/null
cp -a "$build/tests/integration/busybox-bundle/rootfs/." "$work/unpacked/rootfs/"
umoci repack --image "$img:busybox" "$work/unpacked"
umoci config --image "$img:busybox" --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin \
	--config.cmd /bin/sh --config.workingdir / --config.label org.example.demo=libctr
rm -rf "$work/unpacked"
echo
run image import "oci:$img:busybox" busybox
run image ls
echo

# 2. a bridge network: rtnetlink for the bridge and veth, nftables for NAT and ports
run network create --subnet 10.231.77.0/24 "$net"
echo

# 3. a container from the image, on the network, with a published port
run run --image busybox --name demo --network "$net" -p 18080:80 -- /bin/sh -c '
echo "hello from a libctr container (pid $$ in its own pid namespace)"
echo; echo "$ hostname"; hostname
echo; echo "$ ip addr"; ip addr
echo; echo "$ ip route"; ip route
echo; echo "$ cat /etc/hosts"; cat /etc/hosts
echo; echo "$ ls /dev"; ls /dev'
echo

# 4. accelerators: every backend (cdi, nvidia, dri, virtio-gpu)
run devices
