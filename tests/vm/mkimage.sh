#!/bin/bash
# tests/vm/mkimage.sh: build a Debian 12 guest image for tests/vm/run.sh.
#
#   tests/vm/mkimage.sh OUTDIR KERNEL-PACKAGE [DEPS.SH] [EXTRA-PACKAGE...]
#
# OUTDIR receives rootfs.img (raw ext4, sparse), vmlinuz, initrd.img and
# packages.txt (what the image holds, with versions).  The image is a
# bootable systemd system with every package DEPS.SH lists in its pkgs=( )
# array (so the guest needs no network), the kernel package asked for, and a
# one-shot service, ctr-vm.service, that runs whatever run.sh hands in at
# boot (tests/vm/guest.sh, over a 9p share): the image never needs a rebuild
# when the harness changes.  A kernel package name ending in /bullseye is
# taken from Debian 11 (linux-image-amd64/bullseye: 5.10), everything else
# from Debian 12 (bookworm, bookworm-updates, bookworm-security).
#
# Needs root, mmdebstrap and mkfs.ext4 -d; reaches only the Debian mirror
# (CTR_VM_MIRROR, CTR_VM_SECURITY_MIRROR).  CTR_VM_IMAGE_SIZE: the image's
# (sparse) size, default 12G.
set -euo pipefail

if [ $# -lt 2 ]; then
	sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
fi
out=$1
kernel=$2
deps=${3:-}
shift 2
[ $# -gt 0 ] && shift
mirror=${CTR_VM_MIRROR:-http://deb.debian.org/debian}
security=${CTR_VM_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
size=${CTR_VM_IMAGE_SIZE:-12G}

# a bootable base: systemd as init, udev, the tools the harness itself uses
base=(systemd systemd-sysv udev dbus kmod initramfs-tools e2fsprogs util-linux mount
	passwd procps iproute2 ca-certificates rsync psmisc less file xz-utils)
pkgs=("${base[@]}" "$kernel" "$@")
if [ -n "$deps" ]; then
	[ -f "$deps" ] || { echo "mkimage: $deps: no such file" >&2; exit 2; }
	# the pkgs=( ... ) array of scripts/deps.sh, read without running the script
	# shellcheck disable=SC2207
	pkgs+=($(bash -c 'eval "$(sed -n "/^pkgs=(/,/^)/p" "$1")"; printf "%s\n" "${pkgs[@]}"' _ "$deps"))
fi
list=$(printf '%s\n' "${pkgs[@]}" | sort -u | paste -sd, -)

sources=("deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main")
case $kernel in
*/bullseye) sources+=("deb $mirror bullseye main" "deb $security bullseye-security main") ;;
esac

mkdir -p "$out"
work=$(mktemp -d "$out/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

echo "mkimage: mmdebstrap bookworm, kernel $kernel, $(printf '%s\n' "${pkgs[@]}" | sort -u | wc -l) packages" >&2
# The initramfs only needs virtio-blk and ext4 (direct kernel boot, root=/dev/vda):
# MODULES=list keeps it small and fast to load under TCG.  Set before the
# kernel is installed, so its postinst builds the small one.
mmdebstrap --mode=root --variant=apt --format=directory \
	--aptopt='Apt::Install-Recommends "false"' \
	--setup-hook='mkdir -p "$1/etc/initramfs-tools/conf.d" "$1/usr/share/initramfs-tools/modules.d"
		echo MODULES=list > "$1/etc/initramfs-tools/conf.d/ctr-vm"
		printf "virtio_pci\nvirtio_blk\next4\n" > "$1/usr/share/initramfs-tools/modules.d/ctr-vm"' \
	--include="$list" \
	bookworm "$root" "${sources[@]}" >&2

# ---- guest configuration ------------------------------------------------------
echo ctr-vm > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 ctr-vm\n::1 localhost ip6-localhost\n' > "$root/etc/hosts"
echo "/dev/vda / ext4 defaults,noatime 0 1" > "$root/etc/fstab"
passwd -R "$root" -d root >/dev/null
# user-mode networking: DHCP from systemd-networkd; nothing waits for it
mkdir -p "$root/etc/systemd/network"
printf '[Match]\nName=en* eth*\n[Network]\nDHCP=ipv4\n' > "$root/etc/systemd/network/20-ctr-vm.network"

# The boot-time entry (ctr_vm.run=1 on the kernel command line): mount the
# control share run.sh fills for this boot and hand over to its guest.sh.
# Without the share it says so on the host's stream and powers off, so that
# run.sh does not wait for its timeout.  msize 256 KiB: Linux 5.10's virtio
# transport takes no more.
install -m 0755 /dev/stdin "$root/usr/local/sbin/ctr-vm-run" <<'GUEST'
#!/bin/sh
mkdir -p /run/ctr-vm
modprobe -q 9pnet_virtio 2>/dev/null # not loaded on demand before Linux 5.15 or so
if ! mount -t 9p -o trans=virtio,version=9p2000.L,msize=262144 ctrvm /run/ctr-vm; then
	echo "ctr-vm: the control share (9p, ctrvm) does not mount: $(dmesg | grep -i 9p | tail -n 2)" >/dev/ttyS1
	systemctl --no-block poweroff
	exit 1
fi
exec /bin/bash /run/ctr-vm/guest.sh
GUEST
# A system service, as a CI runner's job is: the command's cgroup is
# /system.slice/ctr-vm.service, a cgroup systemd manages and that holds
# processes, with no controllers delegated (the hard case for a runtime).
cat > "$root/etc/systemd/system/ctr-vm.service" <<'UNIT'
[Unit]
Description=tests/vm/run.sh: the command
After=basic.target local-fs.target systemd-networkd.service systemd-user-sessions.service
Wants=systemd-networkd.service
ConditionKernelCommandLine=ctr_vm.run=1

[Service]
Type=oneshot
ExecStart=/usr/local/sbin/ctr-vm-run
TimeoutStartSec=infinity
StandardOutput=journal+console
StandardError=journal+console

[Install]
WantedBy=multi-user.target
UNIT
chroot "$root" systemctl enable ctr-vm.service systemd-networkd.service >&2
# Less to start under TCG.  containerd's own service is off: the engine test
# starts its own containerd.
for u in systemd-networkd-wait-online.service apt-daily.timer apt-daily-upgrade.timer \
	e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer \
	serial-getty@ttyS0.service serial-getty@ttyS1.service getty@tty1.service \
	containerd.service podman.socket podman-restart.service; do
	chroot "$root" systemctl mask "$u" >/dev/null 2>&1 || true
done
chroot "$root" dpkg-query -W -f='${Package} ${Version}\n' > "$work/packages.txt"

# the kernel and initrd go next to the image (direct kernel boot)
vmlinuz=$(ls "$root"/boot/vmlinuz-* | sort -V | tail -1)
version=${vmlinuz##*/vmlinuz-}
[ -f "$root/boot/initrd.img-$version" ] || { echo "mkimage: no initrd for $version" >&2; exit 1; }
cp "$vmlinuz" "$work/vmlinuz"
cp "$root/boot/initrd.img-$version" "$work/initrd.img"
echo "$version" > "$work/kernel-version"

echo "mkimage: mkfs.ext4 -d ($size, sparse)" >&2
truncate -s "$size" "$work/rootfs.img"
mkfs.ext4 -q -F -L ctr-vm-root -d "$root" "$work/rootfs.img" >&2
mv "$work/vmlinuz" "$work/initrd.img" "$work/packages.txt" "$work/kernel-version" "$out/"
mv "$work/rootfs.img" "$out/" # last: its presence says the image is complete
echo "mkimage: $out (kernel $version)" >&2
