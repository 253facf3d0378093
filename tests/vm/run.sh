#!/bin/bash
# tests/vm/run.sh: run a command in a copy of this tree, as root, inside a
# Debian 12 virtual machine with the cgroup layout and the kernel asked for.
#
#   tests/vm/run.sh [OPTIONS] [--] COMMAND [ARG...]        (as root)
#
#   tests/vm/run.sh -- scripts/test.sh -t 10                       the whole suite, pure v2, 6.12
#   tests/vm/run.sh -k 6.1 -- bash -c 'scripts/build.sh && meson test -C build -t 10 integration-cgroups'
#   tests/vm/run.sh -l hybrid -- cat /proc/self/cgroup              the control layout
#   tests/vm/run.sh --suites                                       what CI runs in the guest
#
# The guest boots with systemd and the chosen layout, unpacks the tree (the
# files git tracks plus the untracked ones it does not ignore: no build
# directory) at the same absolute path, and runs COMMAND there from a
# systemd system service (cgroup /system.slice/ctr-vm.service), with stdin
# /dev/null and stdout+stderr on a pipe streamed here, as a CI runner's job.
# A second, empty disk limited to 16 MiB/s is mounted in the guest at the
# directory CTR_TESTS_SLOW_DISK names (resources.sh measures io weights there).
# run.sh exits with COMMAND's status (125: the guest gave none: it did not
# boot, or the timeout hit).  Afterwards the collected paths (build/meson-logs
# by default), the guest's dmesg and journal and its console are in the
# results directory.  Nothing the guest changes reaches this tree: the image
# is used read-only (snapshot=on) and every boot starts from the same state.
#
# Options:
#   -k, --kernel K    6.12 (default: Debian 12's linux-image-6.12-amd64), 6.1
#                     (linux-image-amd64), 5.10 (Debian 11's, for the old-kernel
#                     paths), or any kernel package name
#   -l, --layout L    v2 (default): cgroup_no_v1=all, systemd's unified
#                     hierarchy (cgroup2 on /sys/fs/cgroup, no v1 at all);
#                     hybrid: systemd's hybrid layout (v1 controllers, cgroup2 on
#                     /sys/fs/cgroup/unified), the control; it needs a kernel with
#                     the v1 memory and cpuset controllers, so it defaults to 6.1
#   -a, --accel A     auto (default): kvm where /dev/kvm is a hardware KVM
#                     (kvm_intel or kvm_amd), else tcg; kvm; tcg
#   -m, --mem MIB     guest memory (default 4096)
#   -c, --cpus N      guest CPUs (default: this machine's, at most 4)
#   -t, --timeout S   power the guest off after S seconds (default 5400)
#   -e, --env K=V     export K=V to COMMAND (repeatable)
#   -T, --tree DIR    run in a copy of DIR (a git work tree) instead of this one
#                     (e.g. a clone at an older commit, to see a test fail there);
#                     the image is still the one this tree's deps.sh lists
#   -C, --collect P   bring path P (relative to the tree) back (repeatable;
#                     default build/meson-logs)
#   -r, --results D   where the results go (default /var/tmp/ctr-vm/results/<time>)
#   --append ARGS     more kernel command line
#   --image-only      build (or find) the image, print its directory, exit
#   --prebuilt        take this machine's build directory (./build, or
#                     $CTR_BUILD_DIR) into the guest too: the guest has the same
#                     Debian 12 libraries, so --suites then skips its own build
#                     (4 to 10 minutes under TCG)
#   --suites [MESON-TEST-ARGS...]
#                     instead of a COMMAND: build in the guest (unless --prebuilt)
#                     and run the suites whose code depends on the cgroup layout
#                     and the kernel (cgroups, resources and device rules,
#                     rootless, podman and containerd, the image store's
#                     overlay rootfs, the accelerator hooks' mounts) with
#                     meson's timeout multiplier 10; what .ci/run calls.  More
#                     test names add suites (e.g. layer layer-serial
#                     image-sources source: image unpacking, the
#                     same on every layout)
#   -h, --help
#
# Environment: CTR_VM_CACHE (default /var/tmp/ctr-vm): the images, one per
# kernel and package list (deps.sh's pkgs=( ) plus the base), built on the
# first use with tests/vm/mkimage.sh (1 to 5 minutes, from the Debian mirror
# only) and reused; CTR_VM_EXTRA_PKGS: more packages in the image.
# Needs qemu-system-x86, mmdebstrap and e2fsprogs: installed with apt when missing.
set -euo pipefail
# (the body is a function, read whole before it runs: editing this file while a guest
# runs cannot change what the running copy does)
main() {

here=$(cd "$(dirname "$0")" && pwd)
tree=$(cd "$here/../.." && pwd)
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "tests/vm/run.sh: $*" >&2; exit 2; }

kernel=
layout=v2
accel=auto
mem=4096
cpus=$(nproc)
[ "$cpus" -gt 4 ] && cpus=4
timeout=5400
envs=()
collect=()
results=
append=
image_only=false
suites=false
prebuilt=false
while [ $# -gt 0 ]; do
	case $1 in
	-k|--kernel) kernel=$2; shift 2 ;;
	-l|--layout) layout=$2; shift 2 ;;
	-a|--accel) accel=$2; shift 2 ;;
	-m|--mem) mem=$2; shift 2 ;;
	-c|--cpus) cpus=$2; shift 2 ;;
	-t|--timeout) timeout=$2; shift 2 ;;
	-e|--env) envs+=("$2"); shift 2 ;;
	-C|--collect) collect+=("$2"); shift 2 ;;
	-T|--tree) tree=$(cd "$2" 2>/dev/null && pwd) || die "--tree: no directory '$2'"; shift 2 ;;
	-r|--results) results=$2; shift 2 ;;
	--append) append=$2; shift 2 ;;
	--image-only) image_only=true; shift ;;
	--prebuilt) prebuilt=true; shift ;;
	--suites) suites=true; shift; break ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) echo "tests/vm/run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
	*) break ;;
	esac
done
if $suites; then
	# The suites whose code paths depend on the cgroup layout and the kernel:
	# every cgroup test, rootless, the engines, the image store (the overlay
	# rootfs: fsconfig, lowerdir+ or the lowerdir= string), image runs (their
	# --memory/--cpus/--pids-limit in the layout's files) and the accelerator
	# hooks (open_tree/move_mount).  Built in the guest (about 4 minutes under
	# TCG) unless --prebuilt, then run with meson's timeout multiplier for TCG.
	set -- bash -c '[ -f "$CTR_VM_BUILD/build.ninja" ] && [ "$CTR_VM_PREBUILT" = true ] ||
			CTR_BUILD_DIR=$CTR_VM_BUILD scripts/build.sh >build-log.txt 2>&1 || { tail -40 build-log.txt; exit 1; }
		export CI=true CTR_TESTS_MUST_RUN=1
		exec meson test -C "$CTR_VM_BUILD" --print-errorlogs -t 10 --no-rebuild \
			integration-cgroups integration-resources integration-devices-cgroup cgroup cgroup-devices \
			integration-rootless integration-engine-podman integration-engine-containerd \
			image-store image-run accel-hooks-native integration-accel-hooks \
			"$@"' ctr-vm-suites "$@"
fi
if ! $image_only && [ $# -eq 0 ]; then
	usage >&2
	exit 2
fi
[ "$(id -u)" = 0 ] || die "run as root (mmdebstrap, and the guest's files are root's)"
case $layout in
v2) cgargs="systemd.unified_cgroup_hierarchy=1 cgroup_no_v1=all" ;;
hybrid) cgargs="systemd.unified_cgroup_hierarchy=0 systemd.legacy_systemd_cgroup_controller=0"
	# Debian's 6.12 is built without the v1 memory and cpuset controllers
	kernel=${kernel:-6.1} ;;
*) die "--layout is v2 or hybrid, not '$layout'" ;;
esac
case ${kernel:-6.12} in
6.12) kpkg=linux-image-6.12-amd64 ;;
6.1) kpkg=linux-image-amd64 ;;
5.10) kpkg=linux-image-amd64/bullseye ;;
linux-image-*) kpkg=$kernel ;;
*) die "--kernel is 6.12, 6.1, 5.10 or a linux-image-* package, not '$kernel'" ;;
esac
case $accel in auto|kvm|tcg) ;; *) die "--accel is auto, kvm or tcg, not '$accel'" ;; esac
for n in "$mem" "$cpus" "$timeout"; do
	case $n in ''|*[!0-9]*) die "--mem, --cpus and --timeout take numbers, not '$n'" ;; esac
done
build=${CTR_BUILD_DIR:-build}
case $build in /*|*..*|*[[:space:]]*) die "CTR_BUILD_DIR must be a path inside the tree without .. or blanks, not '$build'" ;; esac
if $prebuilt && [ ! -f "$tree/$build/build.ninja" ]; then
	die "--prebuilt: $tree/$build is not a build directory (scripts/build.sh makes it)"
fi
envs+=("CTR_VM_BUILD=$build" "CTR_VM_PREBUILT=$prebuilt")
[ ${#collect[@]} -gt 0 ] || collect=("$build/meson-logs")
for p in "${collect[@]}"; do
	case $p in /*|*..*|*[[:space:]]*) die "--collect takes a path inside the tree without .. or blanks, not '$p'" ;; esac
done

# ---- the host's tools ------------------------------------------------------
need=()
command -v qemu-system-x86_64 >/dev/null || need+=(qemu-system-x86)
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
command -v mkfs.ext4 >/dev/null || need+=(e2fsprogs)
if [ ${#need[@]} -gt 0 ]; then
	echo "tests/vm/run.sh: installing ${need[*]}" >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 \
		--no-install-recommends "${need[@]}" >&2 ||
		{ apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			-o DPkg::Lock::Timeout=300 --no-install-recommends "${need[@]}" >&2; }
fi

# ---- the image (cached per kernel and package list) ----------------------------
cache=${CTR_VM_CACHE:-/var/tmp/ctr-vm}
deps=$here/../../scripts/deps.sh
# shellcheck disable=SC2206
extra=(${CTR_VM_EXTRA_PKGS:-})
key=$( { cat "$here/mkimage.sh"; echo "$kpkg"; printf '%s\n' "${extra[@]}"
	bash -c 'eval "$(sed -n "/^pkgs=(/,/^)/p" "$1")"; printf "%s\n" "${pkgs[@]}" | sort -u' _ "$deps"
	} | sha256sum | cut -c1-16)
img=$cache/images/$key
mkdir -p "$cache/images"
if [ ! -f "$img/rootfs.img" ]; then
	exec 9>"$cache/images/.$key.lock"
	flock 9 # a second run waits for the first one's build
	if [ ! -f "$img/rootfs.img" ]; then
		echo "tests/vm/run.sh: building the image for $kpkg in $img (once; minutes)" >&2
		t0=$SECONDS
		if ! "$here/mkimage.sh" "$img" "$kpkg" "$deps" "${extra[@]}" >"$cache/images/$key.log" 2>&1; then
			tail -25 "$cache/images/$key.log" >&2
			echo "tests/vm/run.sh: the image build failed; the log: $cache/images/$key.log" >&2
			exit 125
		fi
		echo "$kpkg" > "$img/kernel-package"
		echo "tests/vm/run.sh: image built in $((SECONDS - t0))s" >&2
		# the images of this kernel for an older package list or mkimage.sh are
		# not asked for any more: removed (a guest still booted from one keeps
		# its open file)
		for old in "$cache"/images/*/kernel-package; do
			[ -f "$old" ] && [ "$(cat "$old")" = "$kpkg" ] || continue
			o=$(dirname "$old")
			[ "$o" = "$img" ] && continue
			echo "tests/vm/run.sh: removing $o (an older image for $kpkg)" >&2
			rm -rf "$o" "$o.log" "$cache/images/.${o##*/}.lock"
		done
	fi
	exec 9>&-
fi
if $image_only; then
	echo "$img"
	exit 0
fi

if [ "$accel" = auto ]; then
	# A hardware KVM runs stock kernels; some hosts' /dev/kvm is a paravirtual
	# one (PVM: kvm_pvm) that boots only patched guest kernels: TCG there.
	accel=tcg
	if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
		accel=kvm
	fi
fi
if [ "$accel" = kvm ]; then
	accelopts=(-accel kvm -cpu host)
else
	accelopts=(-accel tcg,thread=multi -cpu max)
fi

# ---- this boot's files: control share, source disk ---------------------------
results=${results:-$cache/results/$(date +%Y%m%d-%H%M%S)-$$}
run=$(mktemp -d "${TMPDIR:-/tmp}/ctr-vm.XXXXXX")
chmod 0755 "$run"
qpid=
finish() {
	set +e
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	mkdir -p "$results"
	[ -d "$run/results" ] && cp -a "$run/results/." "$results/" 2>/dev/null
	cp "$run/console.log" "$results/console.log" 2>/dev/null
	rm -rf "$run"
	echo "tests/vm/run.sh: logs (collected paths, guest dmesg, journal, console) in $results" >&2
}
trap finish EXIT
trap 'exit 130' INT TERM

cp "$here/guest.sh" "$run/guest.sh"
printf 'CTR_VM_DIR=%q\nCTR_VM_COLLECT=%q\n' "$tree" "${collect[*]}" > "$run/env"
{
	echo 'set -a'
	for kv in ${envs[@]+"${envs[@]}"}; do
		case $kv in [A-Za-z_]*=*) printf '%q\n' "$kv" ;; *) die "--env takes K=V, not '$kv'" ;; esac
	done
	echo 'set +a'
	printf '%q ' "$@"
	echo
} > "$run/cmd.sh"
# the tree as git sees it (tracked + untracked but not ignored): no build outputs,
# but for the build directory with --prebuilt
(cd "$tree" && { git ls-files -z --cached --others --exclude-standard
		if $prebuilt; then find "$build" -path "$build/meson-logs/*" -prune -o -print0; fi; } |
	tar --null --no-recursion --numeric-owner --ignore-failed-read -cf "$run/src.tar" -T - 2>/dev/null) ||
	{ echo "tests/vm/run.sh: could not pack $tree" >&2; exit 125; }

# a small disk limited to 16 MiB/s: a block device that is the bottleneck of the
# IO that reaches it, for the io weight test (guest.sh mounts it: CTR_TESTS_SLOW_DISK)
truncate -s 256M "$run/slow.img"
echo "tests/vm/run.sh: $(cat "$img/kernel-version"), cgroups $layout, $accel, $cpus cpus, $mem MiB; $tree" >&2
t0=$(date +%s.%N)
qemu-system-x86_64 -machine q35 "${accelopts[@]}" -smp "$cpus" -m "$mem" \
	-kernel "$img/vmlinuz" -initrd "$img/initrd.img" \
	-append "console=ttyS0 root=/dev/vda rw quiet panic=-1 systemd.show_status=0 mitigations=off $cgargs ctr_vm.run=1 $append" \
	-drive "file=$img/rootfs.img,if=none,id=root,format=raw,snapshot=on,cache=unsafe" \
	-device virtio-blk-pci,drive=root,serial=ctrroot \
	-drive "file=$run/src.tar,if=none,id=src,format=raw,readonly=on" \
	-device virtio-blk-pci,drive=src,serial=ctrsrc \
	-drive "file=$run/slow.img,if=none,id=slow,format=raw,cache=unsafe,throttling.bps-total=16777216" \
	-device virtio-blk-pci,drive=slow,serial=ctrslow \
	-virtfs "local,path=$run,mount_tag=ctrvm,security_model=passthrough,id=ctrvm" \
	-nic user,model=virtio-net-pci \
	-display none -monitor none -no-reboot \
	-serial "file:$run/console.log" -serial stdio </dev/null &
qpid=$!
deadline=$((SECONDS + timeout))
while kill -0 "$qpid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do
	sleep 2
done
if kill -0 "$qpid" 2>/dev/null; then
	echo "tests/vm/run.sh: timeout after ${timeout}s: powering the guest off" >&2
	kill "$qpid"
fi
set +e
wait "$qpid"
qrc=$?
set -e
qpid=
secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
if [ -f "$run/status" ]; then
	rc=$(cat "$run/status")
	echo "tests/vm/run.sh: status $rc; the guest ran ${secs}s" >&2
	exit "$rc"
fi
echo "tests/vm/run.sh: the guest gave no status (qemu exited $qrc after ${secs}s); console:" >&2
tail -30 "$run/console.log" >&2 || true
exit 125
}
main "$@"
