#!/bin/bash
# tests/vm/guest.sh: the guest's side of tests/vm/run.sh.  Runs at boot from
# ctr-vm.service (as root, in /system.slice/ctr-vm.service) off the control
# share /run/ctr-vm, which run.sh fills for each boot:
#   env      CTR_VM_DIR (where the tree goes), CTR_VM_COLLECT (paths to bring back)
#   cmd.sh   the command, with its environment
# It unpacks the tree from the read-only disk whose serial is "ctrsrc",
# runs the command there with stdout and stderr on a pipe to /dev/ttyS1 (the
# host's stdout), copies the collected paths and the guest's logs to
# /run/ctr-vm/results, writes the status to /run/ctr-vm/status and powers off.
set -u
ctl=/run/ctr-vm
exec 3>/dev/ttyS1
stty -F /dev/ttyS1 raw -echo 2>/dev/null || true
say() { echo "ctr-vm: $*" >&3; }
elapsed() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }
# shellcheck source=/dev/null
. "$ctl/env"

cg2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
say "up after $(cut -d' ' -f1 /proc/uptime)s; kernel $(uname -r);" \
	"/sys/fs/cgroup: $(stat -fc %T /sys/fs/cgroup); cgroup2 at ${cg2:-nowhere}" \
	"(controllers: $(cat "$cg2/cgroup.controllers" 2>/dev/null));" \
	"v1 hierarchies: $(awk '$3 == "cgroup"' /proc/mounts | wc -l);" \
	"this service's cgroup: $(sed -n 's/^0:://p' /proc/self/cgroup)"

src=
slow=
for d in /sys/block/vd*; do
	case $(cat "$d/serial" 2>/dev/null) in
	ctrsrc) src=/dev/${d##*/} ;;
	ctrslow) slow=/dev/${d##*/} ;;
	esac
done
# the throttled disk (16 MiB/s): a filesystem on it for tests that need a disk-bound device
if [ -n "$slow" ] && mkfs.ext4 -q -F "$slow" && mkdir -p /var/lib/ctr-vm-slow &&
	mount -o noatime "$slow" /var/lib/ctr-vm-slow; then
	export CTR_TESTS_SLOW_DISK=/var/lib/ctr-vm-slow
fi
rc=125
if [ -z "$src" ]; then
	say "no source disk (serial ctrsrc)"
else
	t0=$(date +%s.%N)
	mkdir -p "$CTR_VM_DIR"
	if tar -xf "$src" -C "$CTR_VM_DIR"; then
		say "tree unpacked at $CTR_VM_DIR in $(elapsed "$t0")s"
		cd "$CTR_VM_DIR"
		export HOME=/root LANG=C.UTF-8 TERM=dumb PAGER=cat SYSTEMD_PAGER= CTR_VM=1
		t0=$(date +%s.%N)
		# a pipe, as on a CI runner: no terminal, no progress bars
		bash "$ctl/cmd.sh" </dev/null 2>&1 | cat >&3
		rc=${PIPESTATUS[0]}
		say "command exited $rc after $(elapsed "$t0")s"
	else
		say "could not unpack the tree from $src"
	fi
fi

mkdir -p "$ctl/results"
for p in ${CTR_VM_COLLECT:-}; do
	[ -e "$CTR_VM_DIR/$p" ] || continue
	mkdir -p "$ctl/results/$(dirname "$p")"
	cp -a "$CTR_VM_DIR/$p" "$ctl/results/$(dirname "$p")/" 2>/dev/null || true
done
dmesg > "$ctl/results/guest-dmesg.txt" 2>&1
journalctl -b --no-pager > "$ctl/results/guest-journal.txt" 2>&1
echo "$rc" > "$ctl/status"
sync
cd /
systemctl --no-block poweroff
