#!/bin/bash
# tests/gpu/run.sh: the real-GPU check (issue 17).  Not part of the default
# suite: run it as root on a host with an NVIDIA GPU and its driver, after
# scripts/build.sh:
#
#   sudo tests/gpu/run.sh [path/to/ctr-demo]      (default: build/tools/ctr-demo)
#
# It runs, in containers made by ctr-demo from a rootfs that holds no NVIDIA
# file (busybox, glibc and the other libraries the programs need, copied from
# the host), first with `run --gpus all` and then through a CDI spec that
# `ctr-demo cdi generate --output` wrote:
#   - nvidia-smi (injected by libctr: utility)
#   - cuda-ptx: a deviceQuery-like program on the CUDA driver API, built here
#     with cc, that JIT-compiles a PTX kernel and checks its results
#   - device-query: the same through the CUDA runtime, when nvcc is installed
#   - vulkaninfo --summary (graphics), when vulkaninfo is installed
# and prints what ran, what passed, and what was skipped and why.  Exit
# status: 0 when everything that ran passed, 1 when something failed, 77 when
# there is no NVIDIA GPU here (everything skipped).  CTR_HOST_ROOT works as
# for ctr-demo (a fake host tree, for trying the script without a GPU).
set -u

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
CTR=${1:-$src/build/tools/ctr-demo}
HR=${CTR_HOST_ROOT:-}
RAN=0
PASSED=0
FAILED=0
SKIPPED=0

say() { printf '%s\n' "$*"; }
skipped() {
	SKIPPED=$((SKIPPED + 1))
	say "SKIPPED $1: $2"
}
# ran NAME STATUS OUTPUT: one check's verdict, with its output indented
ran() {
	RAN=$((RAN + 1))
	if [ "$2" = 0 ]; then
		PASSED=$((PASSED + 1))
		say "RAN $1: ok"
	else
		FAILED=$((FAILED + 1))
		say "RAN $1: FAILED (exit $2)"
	fi
	printf '%s\n' "$3" | sed 's/^/    | /'
}
summary() {
	say ""
	say "tests/gpu/run.sh: $RAN ran ($PASSED passed, $FAILED failed), $SKIPPED skipped"
}

say "tests/gpu/run.sh: libctr on a real NVIDIA GPU"
if [ "$(id -u)" != 0 ]; then
	skipped "everything" "needs root (containers and mknod)"
	summary
	exit 77
fi
if [ ! -x "$CTR" ]; then
	say "ERROR: $CTR is not an executable ctr-demo: run scripts/build.sh first, or give its path"
	exit 1
fi
if [ ! -r "$HR/proc/driver/nvidia/version" ] || [ ! -e "$HR/dev/nvidiactl" ]; then
	skipped "everything" "no NVIDIA GPU here: $HR/proc/driver/nvidia/version or $HR/dev/nvidiactl is missing (driver not loaded, or no GPU)"
	summary
	exit 77
fi
say "driver: $(head -n 1 "$HR/proc/driver/nvidia/version")"
say "GPUs: $(ls "$HR/proc/driver/nvidia/gpus" 2>/dev/null | tr '\n' ' ')"
say "ctr-demo: $CTR"

TMP=$(mktemp -d /tmp/ctr-gpu-run.XXXXXX)
chmod 0755 "$TMP"
STATE=$TMP/state
CDI=$TMP/cdi
cleanup() {
	local id
	for id in $(ls -A "$STATE" 2>/dev/null); do
		timeout 20 "$CTR" --root "$STATE" delete --force "$id" >/dev/null 2>&1
	done
	grep -F "$TMP" /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null; done
	rm -rf "$TMP"
}
trap cleanup EXIT
mkdir -p "$STATE" "$CDI" "$TMP/bin"

# ---- the programs
CUDA_PTX=
if command -v cc >/dev/null && cc -O2 -o "$TMP/bin/cuda-ptx" "$here/cuda-ptx.c" -ldl 2>"$TMP/cc.err"; then
	CUDA_PTX=/opt/gpu/cuda-ptx
else
	skipped "cuda-ptx (build)" "no C compiler, or it failed: $(head -c 300 "$TMP/cc.err" 2>/dev/null)"
fi
DEVQ=
NVCC=$(command -v nvcc || ls /usr/local/cuda/bin/nvcc 2>/dev/null | head -n 1)
if [ -z "$NVCC" ]; then
	skipped "device-query (CUDA runtime)" "no CUDA toolkit (nvcc) here; cuda-ptx covers the driver API"
elif "$NVCC" -O2 -o "$TMP/bin/device-query" "$here/device-query.cu" 2>"$TMP/nvcc.err"; then
	DEVQ=/opt/gpu/device-query
else
	skipped "device-query (CUDA runtime)" "nvcc failed: $(head -c 300 "$TMP/nvcc.err")"
fi
VULKANINFO=$(command -v vulkaninfo || true)
[ -n "$VULKANINFO" ] || skipped "vulkaninfo --summary" "vulkaninfo is not installed here (vulkan-tools)"

# ---- a rootfs without NVIDIA files: busybox, and the non-NVIDIA libraries the programs need
R=$TMP/bundle/rootfs
mkdir -p "$R"/{bin,proc,sys,dev,tmp,etc,opt/gpu,usr/bin,run}
BUSYBOX=$(command -v busybox || true)
if [ -z "$BUSYBOX" ] || ldd "$BUSYBOX" >/dev/null 2>&1; then
	say "ERROR: a static busybox is needed for the rootfs (apt-get install busybox-static)"
	exit 1
fi
cp "$BUSYBOX" "$R/bin/busybox"
for a in sh ls cat grep head echo id env true; do ln -s busybox "$R/bin/$a"; done
cp "$TMP"/bin/* "$R/opt/gpu/" 2>/dev/null
# copylibs FILE...: the libraries FILE needs (ldd), less NVIDIA's: those are libctr's job
copylibs() {
	local f l
	for f in "$@"; do
		[ -e "$f" ] || continue
		ldd "$f" 2>/dev/null | grep -oE '/[^ ]+' | while read -r l; do
			case "$(basename "$l")" in libcuda*|libnvidia*|libnv*|libGLX_nvidia*|libEGL_nvidia*|libGLESv*_nvidia*) continue ;; esac
			[ -e "$R$l" ] || { mkdir -p "$R$(dirname "$l")" && cp -L "$l" "$R$l"; }
		done
	done
}
SMI=$(command -v nvidia-smi || echo "$HR/usr/bin/nvidia-smi")
copylibs "$R"/opt/gpu/* "$SMI"
for l in $(ldconfig -p 2>/dev/null | grep -E 'lib(GLX_nvidia|EGL_nvidia)\.so' | grep -oE '/[^ ]+$'); do copylibs "$l"; done
if [ -n "$VULKANINFO" ]; then
	cp -L "$VULKANINFO" "$R/usr/bin/vulkaninfo"
	copylibs "$VULKANINFO"
fi
# the loader at its usual paths, and ldconfig's configuration for the update-ldcache hook
for d in /lib64 /lib /usr/lib64; do [ -e "$R$d" ] || [ ! -d "$d" ] || mkdir -p "$R$d"; done
[ -e /lib64/ld-linux-x86-64.so.2 ] && [ ! -e "$R/lib64/ld-linux-x86-64.so.2" ] && cp -L /lib64/ld-linux-x86-64.so.2 "$R/lib64/"
printf '/usr/lib/x86_64-linux-gnu\n/lib/x86_64-linux-gnu\n/usr/lib64\n/usr/lib/aarch64-linux-gnu\n' >"$R/etc/ld.so.conf"
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$R/etc/passwd"
printf 'root:x:0:\n' >"$R/etc/group"
cd "$TMP/bundle" && "$CTR" spec >/dev/null 2>&1 && cd - >/dev/null
if [ ! -f "$TMP/bundle/config.json" ]; then
	say "ERROR: ctr-demo spec did not write a config.json"
	exit 1
fi
# SCRIPT [DIR...]: the container runs sh -c SCRIPT; the rootfs stays writable for the hooks
setargs() {
	python3 - "$TMP/bundle/config.json" "$1" <<'EOF'
import json, sys
p, script = sys.argv[1], sys.argv[2]
c = json.load(open(p))
c["process"]["args"] = ["/bin/sh", "-c", script]
c["process"]["terminal"] = False
c["root"]["readonly"] = False
json.dump(c, open(p, "w"), indent=1)
EOF
}

# crun NAME SCRIPT ARGS...: run the bundle; sets OUT and RC
n=0
crun() {
	local name=$1 script=$2
	shift 2
	n=$((n + 1))
	setargs "$script"
	OUT=$(timeout 300 "$CTR" --root "$STATE" --cdi-spec-dir "$CDIDIR" run "$@" -b "$TMP/bundle" "gpu-$n" </dev/null 2>&1)
	RC=$?
}

# checks LABEL ARGS...: every program in a container given the GPUs by ARGS
checks() {
	local label=$1
	shift
	crun "nvidia-smi" 'nvidia-smi && nvidia-smi -L' "$@"
	[ "$RC" = 0 ] && ! printf '%s\n' "$OUT" | grep -q '^GPU [0-9]' && RC=1
	ran "$label: nvidia-smi (and -L lists the GPUs)" "$RC" "$OUT"
	if [ -n "$CUDA_PTX" ]; then
		crun "cuda-ptx" "$CUDA_PTX" "$@"
		[ "$RC" = 0 ] && ! printf '%s\n' "$OUT" | grep -q '^CUDA-PTX OK' && RC=1
		ran "$label: cuda-ptx (driver API, PTX JIT)" "$RC" "$OUT"
	fi
	if [ -n "$DEVQ" ]; then
		crun "device-query" "$DEVQ" "$@"
		[ "$RC" = 0 ] && ! printf '%s\n' "$OUT" | grep -q '^CUDA-RUNTIME OK' && RC=1
		ran "$label: device-query (CUDA runtime)" "$RC" "$OUT"
	fi
}

# ---- 1. --gpus all: libctr's own edits (an empty CDI directory, so no spec of the host's takes over)
say ""
say "== ctr-demo run --gpus all"
CDIDIR=$TMP/no-cdi
mkdir -p "$CDIDIR"
OUT=$("$CTR" --cdi-spec-dir "$CDIDIR" devices 2>&1)
ran "ctr-demo devices" $? "$OUT"
checks "--gpus all" --gpus all
if [ -n "$VULKANINFO" ]; then
	crun vulkaninfo 'vulkaninfo --summary' --gpus 'all,"capabilities=graphics,compute,utility"'
	[ "$RC" = 0 ] && ! printf '%s\n' "$OUT" | grep -qi 'nvidia' && RC=1
	ran '--gpus all,capabilities=graphics: vulkaninfo --summary' "$RC" "$OUT"
fi
NGPU=$(ls "$HR/proc/driver/nvidia/gpus" 2>/dev/null | wc -l)
if [ "$NGPU" -ge 2 ]; then
	crun "one GPU" 'nvidia-smi -L' --gpus 1
	[ "$RC" = 0 ] && [ "$(printf '%s\n' "$OUT" | grep -c '^GPU ')" != 1 ] && RC=1
	ran "--gpus 1: nvidia-smi -L lists exactly one GPU" "$RC" "$OUT"
else
	skipped "--gpus 1 (one GPU of several)" "this host has $NGPU GPU"
fi

# ---- 2. a CDI spec written by libctr
say ""
say "== a CDI spec from ctr-demo cdi generate --output"
OUT=$("$CTR" --cdi-spec-dir "$CDI" cdi generate --backend nvidia --output "$CDI/nvidia.json" 2>&1 &&
	"$CTR" --cdi-spec-dir "$CDI" cdi validate "$CDI/nvidia.json" 2>&1 && ls -A "$CDI")
ran "cdi generate --output, cdi validate" $? "$OUT"
CDIDIR=$CDI
OUT=$("$CTR" --cdi-spec-dir "$CDIDIR" devices 2>&1)
ran "ctr-demo devices (nvidia.com/gpu from the spec)" $? "$OUT"
checks "--device nvidia.com/gpu=all (CDI)" --device nvidia.com/gpu=all
if [ -n "$VULKANINFO" ]; then
	crun vulkaninfo 'vulkaninfo --summary' --device nvidia.com/gpu=all
	[ "$RC" = 0 ] && ! printf '%s\n' "$OUT" | grep -qi 'nvidia' && RC=1
	ran 'CDI nvidia.com/gpu=all: vulkaninfo --summary' "$RC" "$OUT"
fi

summary
[ "$FAILED" = 0 ]
