#!/bin/bash
# GPUs everywhere, in real containers (issue 17): --gpus in its Docker forms
# and NVIDIA's driver capabilities one by one on a fake NVIDIA host, WSL2
# (dxg), AMD ROCm with a partitioned GPU, Mesa for DRI and virtio-gpu,
# --gpus-from-env, and CDI specs written by cdi generate --output and found
# stale after a driver update.  The hosts come from
# tests/accel/fake-gpu-host.sh: libraries are real ELF objects, nodes are
# mknod'ed with majors no driver owns, so a node the device cgroup lets the
# container open fails with ENXIO ("No such device or address") and one it
# does not fails with EPERM.  Each container checks that it has exactly the
# requested nodes, libraries, ICD files, environment and groups, and that a
# node it makes itself (CAP_MKNOD) with another GPU's numbers is refused.
. "$(dirname "$0")/lib.sh"

FAKE=$CTR_SOURCE_ROOT/tests/accel/fake-gpu-host.sh
NV=550.54.14
L=/usr/lib/x86_64-linux-gnu
ENXIO="No such device or address"
EPERM="Operation not permitted"

# host KIND: a fake host in $TMP/KIND; skip when it cannot be made here
host() {
	local rc=0
	"$FAKE" "$1" "$TMP/$1" >"$TMP/$1.log" 2>&1 || rc=$?
	if [ "$rc" = 77 ]; then
		skip "gpus: fake $1 host" "mknod not permitted here"
		finish
	elif [ "$rc" != 0 ]; then
		notok "gpus: build the fake $1 host" "$(cat "$TMP/$1.log")"
		finish
	fi
}

# gctr HOST ARGS...: ctr-demo on a fake host with its own CDI directory
gctr() {
	local h=$TMP/$1
	shift
	"$CTR_DEMO" --root "$ROOT" --host-root "$h" --cdi-spec-dir "$h/etc/cdi" "$@"
}

# The probe a container runs: what is there, what opens (ENXIO: the cgroup let
# it through), what a node made inside with numbers MAJ:MIN gives.
# $1: the paths to look at, $2: "maj:min ..." to mknod and open
probe() {
	cat <<EOF
for p in ${1//$'\n'/ }; do
	if [ -c "\$p" ]; then
		if e=\$( (: <"\$p") 2>&1); then echo "OPEN \$p"; else echo "NODE \$p \${e##*: }"; fi
	elif [ -L "\$p" ]; then echo "LINK \$p \$(readlink "\$p")"
	elif [ -e "\$p" ]; then echo "FILE \$p"
	else echo "NONE \$p"; fi
done
for n in $2; do
	mknod /tmp/x c \${n%:*} \${n#*:} && if e=\$( (: </tmp/x) 2>&1); then echo "MADE \$n opens"; else echo "MADE \$n \${e##*: }"; fi
	rm -f /tmp/x
done
echo "GROUPS \$(id -G)"
env | grep -E '^(NVIDIA|VK_)' | sed 's/^/ENV /'
echo DONE
EOF
}

# grun NAME HOST SCRIPT ARGS...: run a container on HOST with CAP_MKNOD; sets OUT and RC
grun() {
	local name=$1 h=$2 script=$3 b
	shift 3
	b=$(mkb "$name")
	args "$b" "$script"
	cfg "$b" 'c["process"].setdefault("capabilities", {})
for k in ("bounding", "effective", "permitted"): c["process"]["capabilities"].setdefault(k, []).append("CAP_MKNOD")'
	OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$TMP/$h" --cdi-spec-dir "$TMP/$h/etc/cdi" run "$@" -b "$b" \
		"$name" </dev/null 2>&1)
	RC=$?
}
# has NAME LINE / hasnt NAME LINE: the probe output has (not) the line
has() { expect_match "$1" "^$2\$" "$OUT"; }
hasnt() { expect_nomatch "$1" "^$2\$" "$OUT"; }

host nvidia
host wsl
host amd
host mesa

# ---- NVIDIA: Docker's forms
NVPATHS="/dev/nvidia0 /dev/nvidia1 /dev/nvidiactl /dev/nvidia-uvm /dev/nvidia-modeset /dev/dri/card1 /dev/dri/renderD128
$L/libcuda.so.$NV $L/libcuda.so.1 $L/libnvidia-ml.so.$NV $L/libnvidia-encode.so.$NV $L/libGLX_nvidia.so.$NV
$L/libnvidia-ngx.so.$NV /usr/lib/i386-linux-gnu/libcuda.so.$NV /usr/bin/nvidia-smi /usr/bin/nvidia-cuda-mps-control
/etc/vulkan/icd.d/nvidia_icd.json /usr/share/glvnd/egl_vendor.d/10_nvidia.json /usr/lib/xorg/modules/drivers/nvidia_drv.so"

grun nv-all nvidia "$(probe "$NVPATHS" "241:254 243:128")" --gpus all
expect_eq "--gpus all: exit 0" 0 "$RC"
has "--gpus all: GPU 0 opens (the cgroup allows it)" "NODE /dev/nvidia0 $ENXIO"
has "--gpus all: GPU 1 opens" "NODE /dev/nvidia1 $ENXIO"
has "--gpus all: nvidiactl opens" "NODE /dev/nvidiactl $ENXIO"
has "--gpus all: nvidia-uvm (compute) opens" "NODE /dev/nvidia-uvm $ENXIO"
has "--gpus all: no nvidia-modeset (display not asked)" "NONE /dev/nvidia-modeset"
has "--gpus all: no DRI node (graphics not asked)" "NONE /dev/dri/renderD128"
has "--gpus all: libcuda (compute)" "FILE $L/libcuda.so.$NV"
has "--gpus all: the libcuda.so.1 link" "LINK $L/libcuda.so.1 libcuda.so.$NV"
has "--gpus all: NVML (utility)" "FILE $L/libnvidia-ml.so.$NV"
has "--gpus all: nvidia-smi (utility)" "FILE /usr/bin/nvidia-smi"
has "--gpus all: no encoder (video not asked)" "NONE $L/libnvidia-encode.so.$NV"
has "--gpus all: no GLX (graphics not asked)" "NONE $L/libGLX_nvidia.so.$NV"
has "--gpus all: no Vulkan ICD file" "NONE /etc/vulkan/icd.d/nvidia_icd.json"
has "--gpus all: modeset's numbers made inside are refused" "MADE 241:254 $EPERM"
has "--gpus all: the DRI node's numbers made inside are refused" "MADE 243:128 $EPERM"
has "--gpus all: NVIDIA_VISIBLE_DEVICES=void inside" "ENV NVIDIA_VISIBLE_DEVICES=void"
hasnt "--gpus all: not in the render group" "GROUPS .*\\b993\\b.*"

grun nv-one nvidia "$(probe "/dev/nvidia0 /dev/nvidia1 /dev/nvidiactl" "241:1")" --gpus 1
expect_eq "--gpus 1: exit 0" 0 "$RC"
has "--gpus 1: GPU 0" "NODE /dev/nvidia0 $ENXIO"
has "--gpus 1: not GPU 1" "NONE /dev/nvidia1"
has "--gpus 1: GPU 1's numbers made inside are refused" "MADE 241:1 $EPERM"

grun nv-dev1 nvidia "$(probe "/dev/nvidia0 /dev/nvidia1" "241:0")" --gpus '"device=1"'
has '--gpus "device=1": GPU 1' "NODE /dev/nvidia1 $ENXIO"
has '--gpus "device=1": not GPU 0' "NONE /dev/nvidia0"
has '--gpus "device=1": GPU 0 made inside is refused' "MADE 241:0 $EPERM"

grun nv-both nvidia "$(probe "/dev/nvidia0 /dev/nvidia1" "")" --gpus '"device=0,1"'
has '--gpus "device=0,1": GPU 0' "NODE /dev/nvidia0 $ENXIO"
has '--gpus "device=0,1": GPU 1' "NODE /dev/nvidia1 $ENXIO"

grun nv-uuid nvidia "$(probe "/dev/nvidia0 /dev/nvidia1 $L/libcuda.so.$NV /usr/bin/nvidia-smi" "")" \
	--gpus device=GPU-66666666-7777-8888-9999-000000000000,capabilities=compute,utility
expect_eq "--gpus device=UUID,capabilities=compute,utility: exit 0" 0 "$RC"
has "--gpus device=UUID: that GPU" "NODE /dev/nvidia1 $ENXIO"
has "--gpus device=UUID: not the other" "NONE /dev/nvidia0"
has "--gpus device=UUID,capabilities=compute,utility: libcuda" "FILE $L/libcuda.so.$NV"
has "--gpus device=UUID,capabilities=compute,utility: nvidia-smi" "FILE /usr/bin/nvidia-smi"

# ---- NVIDIA: each driver capability alone
# capcheck CAP WANT... NOWANT...: lines the probe must and must not print
capcheck() {
	local cap=$1
	grun "nv-cap-$cap" nvidia "$(probe "$NVPATHS" "")" --gpus "all,capabilities=$cap"
	expect_eq "capabilities=$cap: exit 0" 0 "$RC"
}
capcheck compute
has "compute: libcuda" "FILE $L/libcuda.so.$NV"
has "compute: uvm opens" "NODE /dev/nvidia-uvm $ENXIO"
has "compute: the MPS control binary" "FILE /usr/bin/nvidia-cuda-mps-control"
has "compute: no NVML" "NONE $L/libnvidia-ml.so.$NV"
has "compute: no nvidia-smi" "NONE /usr/bin/nvidia-smi"
has "compute: no GLX" "NONE $L/libGLX_nvidia.so.$NV"
capcheck utility
has "utility: NVML" "FILE $L/libnvidia-ml.so.$NV"
has "utility: nvidia-smi" "FILE /usr/bin/nvidia-smi"
has "utility: no libcuda" "NONE $L/libcuda.so.$NV"
has "utility: no uvm" "NONE /dev/nvidia-uvm"
has "utility: GPUs and nvidiactl still there" "NODE /dev/nvidiactl $ENXIO"
capcheck video
has "video: the encoder" "FILE $L/libnvidia-encode.so.$NV"
has "video: libcuda (video implies compute)" "FILE $L/libcuda.so.$NV"
has "video: no GLX" "NONE $L/libGLX_nvidia.so.$NV"
capcheck graphics
has "graphics: GLX" "FILE $L/libGLX_nvidia.so.$NV"
has "graphics: the Vulkan ICD file at /etc/vulkan" "FILE /etc/vulkan/icd.d/nvidia_icd.json"
has "graphics: the EGL vendor file" "FILE /usr/share/glvnd/egl_vendor.d/10_nvidia.json"
has "graphics: the GPU's render node opens" "NODE /dev/dri/renderD128 $ENXIO"
has "graphics: the GPU's card node opens" "NODE /dev/dri/card1 $ENXIO"
has "graphics: no modeset" "NONE /dev/nvidia-modeset"
has "graphics: no libcuda" "NONE $L/libcuda.so.$NV"
has "graphics: the render group is held" "GROUPS .*\\b993\\b.*"
capcheck display
has "display: modeset opens" "NODE /dev/nvidia-modeset $ENXIO"
has "display: the X driver" "FILE /usr/lib/xorg/modules/drivers/nvidia_drv.so"
has "display: GLX (display implies graphics)" "FILE $L/libGLX_nvidia.so.$NV"
capcheck ngx
has "ngx: NGX" "FILE $L/libnvidia-ngx.so.$NV"
has "ngx: no libcuda" "NONE $L/libcuda.so.$NV"
capcheck compat32
has "compat32 alone: no 32-bit libraries (nothing to pair with)" "NONE /usr/lib/i386-linux-gnu/libcuda.so.$NV"
grun nv-cap-compat32-compute nvidia "$(probe "$NVPATHS" "")" --gpus 'all,"capabilities=compat32,compute"'
has "compat32,compute: the 32-bit libcuda" "FILE /usr/lib/i386-linux-gnu/libcuda.so.$NV"
has "compat32,compute: the 64-bit libcuda" "FILE $L/libcuda.so.$NV"

# ---- NVIDIA's variables: only with --gpus-from-env
ENVSCRIPT=$(probe "/dev/nvidia0 /dev/nvidia1 $L/libcuda.so.$NV /usr/bin/nvidia-smi" "")
b=$(mkb nv-env)
args "$b" "$ENVSCRIPT"
cfg "$b" 'c["process"]["env"] += ["NVIDIA_VISIBLE_DEVICES=1", "NVIDIA_DRIVER_CAPABILITIES=utility"]'
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$TMP/nvidia" --cdi-spec-dir "$TMP/nvidia/etc/cdi" run --gpus-from-env \
	-b "$b" nv-env </dev/null 2>&1)
expect_eq "--gpus-from-env: exit 0" 0 "$?"
has "--gpus-from-env: NVIDIA_VISIBLE_DEVICES=1 gives GPU 1" "NODE /dev/nvidia1 $ENXIO"
has "--gpus-from-env: and not GPU 0" "NONE /dev/nvidia0"
has "--gpus-from-env: NVIDIA_DRIVER_CAPABILITIES=utility gives nvidia-smi" "FILE /usr/bin/nvidia-smi"
has "--gpus-from-env: and no libcuda" "NONE $L/libcuda.so.$NV"
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$TMP/nvidia" --cdi-spec-dir "$TMP/nvidia/etc/cdi" run \
	-b "$b" nv-env2 </dev/null 2>&1)
has "without --gpus-from-env: no GPU" "NONE /dev/nvidia1"
has "without --gpus-from-env: the variable stays as it was" "ENV NVIDIA_VISIBLE_DEVICES=1"
expect_match "without --gpus-from-env: a note says how to get the GPU" \
	"note: the container's environment has NVIDIA_VISIBLE_DEVICES=1; it gets no GPU from it unless --gpus-from-env" "$OUT"

# ---- bad requests: a clear error, nothing left behind
b=$(mkb nv-bad)
for bad in 3 count=x "device=0,count=1" all,driver=amd; do
	OUT=$(gctr nvidia run --gpus "$bad" -b "$b" nv-bad </dev/null 2>&1)
	RC=$?
	expect_eq "--gpus $bad: exit 1" 1 "$RC"
	expect_match "--gpus $bad: the error names the request" "--gpus $bad" "$OUT"
	expect_eq "--gpus $bad: nothing left in the state root" "" "$(ls -A "$ROOT")"
done
expect_match "--gpus 3: says how many there are" "3 GPU\\(s\\) asked for, this host has 2" \
	"$(gctr nvidia run --gpus 3 -b "$b" nv-bad </dev/null 2>&1)"

# ---- WSL2: /dev/dxg and the NVIDIA driver store
S=/usr/lib/wsl/drivers/nv_dispi.inf_amd64_7cc7738d8e428783
IS=/usr/lib/wsl/drivers/iigd_dch.inf_amd64_73655f941b1dd71f
OUT=$(gctr wsl devices 2>&1)
expect_match "WSL: devices lists dxg/gpu=all" "^dxg/gpu=all +dxg +microsoft +dxgkrnl " "$OUT"
expect_match "WSL: devices lists nvidia.com/gpu=all from dxg" "^nvidia.com/gpu=all +dxg +nvidia " "$OUT"
WSLPROBE="$(probe "/dev/dxg $S/libcuda.so.1.1 $S/libnvidia-ml.so.1 $S/nvcubins.bin $S/nv_dispi.inf /usr/lib/wsl/lib/libdxcore.so
/usr/lib/wsl/lib/libd3d12.so $IS/libigd12umd64.so /usr/bin/nvidia-smi" "")
grep -c 'libcuda.so.1.1\|libnvidia-ml.so.1' /etc/ld.so.cache | sed 's/^/CACHED /'; cat /etc/ld.so.conf.d/00-nvcr-libctr.conf"
grun wsl-all wsl "$WSLPROBE" --gpus all
expect_eq "WSL --gpus all: exit 0" 0 "$RC"
has "WSL --gpus all: /dev/dxg opens" "NODE /dev/dxg $ENXIO"
has "WSL --gpus all: the store's libcuda" "FILE $S/libcuda.so.1.1"
has "WSL --gpus all: the store's NVML" "FILE $S/libnvidia-ml.so.1"
has "WSL --gpus all: the store's cubins" "FILE $S/nvcubins.bin"
has "WSL --gpus all: not the store's other files" "NONE $S/nv_dispi.inf"
has "WSL --gpus all: libdxcore" "FILE /usr/lib/wsl/lib/libdxcore.so"
has "WSL --gpus all: not libd3d12 (nvidia-ctk mounts libdxcore only)" "NONE /usr/lib/wsl/lib/libd3d12.so"
has "WSL --gpus all: not the Intel store" "NONE $IS/libigd12umd64.so"
has "WSL --gpus all: /usr/bin/nvidia-smi links to the store" "LINK /usr/bin/nvidia-smi $S/nvidia-smi"
has "WSL --gpus all: the store folder is in the ld cache config" "$S"
expect_match "WSL --gpus all: the container's ld cache knows the store's libraries" "^CACHED [1-9]" "$OUT"
grun wsl-1 wsl "true" --gpus 1
expect_eq "WSL --gpus 1: exit 1 (GPU-PV has no per-GPU device)" 1 "$RC"
expect_match "WSL --gpus 1: says to ask for all" "ask for all" "$OUT"
grun wsl-dxg wsl "$WSLPROBE" --device dxg/gpu=all
has "WSL dxg/gpu=all: /dev/dxg opens" "NODE /dev/dxg $ENXIO"
has "WSL dxg/gpu=all: libd3d12 for any vendor" "FILE /usr/lib/wsl/lib/libd3d12.so"
has "WSL dxg/gpu=all: the Intel store" "FILE $IS/libigd12umd64.so"

# ---- AMD ROCm
AMDPATHS="/dev/kfd /dev/dri/card0 /dev/dri/renderD128 /dev/dri/card1 /dev/dri/renderD129 /dev/dri/renderD130"
grun amd-1 amd "$(probe "$AMDPATHS" "243:129")" --gpus 1
expect_eq "AMD --gpus 1: exit 0" 0 "$RC"
has "AMD --gpus 1: /dev/kfd opens" "NODE /dev/kfd $ENXIO"
has "AMD --gpus 1: its render node opens" "NODE /dev/dri/renderD128 $ENXIO"
has "AMD --gpus 1: its card node opens" "NODE /dev/dri/card0 $ENXIO"
has "AMD --gpus 1: not the MI300X's partitions" "NONE /dev/dri/renderD129"
has "AMD --gpus 1: a partition's numbers made inside are refused" "MADE 243:129 $EPERM"
has "AMD --gpus 1: the render and video groups" "GROUPS .*\\b44\\b.*\\b993\\b.*|GROUPS .*\\b993\\b.*\\b44\\b.*"
grun amd-part amd "$(probe "$AMDPATHS" "243:128")" --device amd.com/gpu=2
has "amd.com/gpu=2 (a CPX partition): its render node" "NODE /dev/dri/renderD130 $ENXIO"
has "amd.com/gpu=2: not the other partition" "NONE /dev/dri/renderD129"
has "amd.com/gpu=2: no card node (the partition has none)" "NONE /dev/dri/card1"
has "amd.com/gpu=2: the whole GPU's numbers made inside are refused" "MADE 243:128 $EPERM"
grun amd-uuid amd "$(probe "$AMDPATHS" "")" --gpus device=0x6681fc69e07d5161,driver=amd
has "AMD by unique id: both partitions of that GPU" "NODE /dev/dri/renderD129 $ENXIO"
has "AMD by unique id: both partitions of that GPU (2)" "NODE /dev/dri/renderD130 $ENXIO"
has "AMD by unique id: not the MI210" "NONE /dev/dri/renderD128"

# ---- Mesa: the graphics capability on DRI and virtio-gpu
MESAPATHS="/dev/dri/renderD128 /dev/dri/renderD129 /usr/share/vulkan/icd.d/radeon_icd.x86_64.json $L/libvulkan_radeon.so
$L/libdrm_amdgpu.so.1 $L/libdrm_amdgpu.so.1.0.0 $L/libLLVM-15.so.1 /usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json
/usr/share/glvnd/egl_vendor.d/50_mesa.json $L/libEGL_mesa.so.0.0.0 $L/dri/radeonsi_dri.so $L/libgallium-24.2.8.so
/usr/share/vulkan/icd.d/intel_icd.x86_64.json $L/libvulkan_intel.so $L/dri/iris_dri.so /usr/share/vulkan/icd.d/virtio_icd.x86_64.json
$L/libvulkan_virtio.so $L/dri/virtio_gpu_dri.so $L/libunrelated.so.3"
grun mesa-amd mesa "$(probe "$MESAPATHS" "243:128")
cat /usr/share/vulkan/icd.d/radeon_icd.x86_64.json; grep -c libdrm_amdgpu.so.1 /etc/ld.so.cache | sed 's/^/CACHED /'" \
	--gpus driver=dri,device=amd,capabilities=graphics
expect_eq "Mesa (AMD): exit 0" 0 "$RC"
has "Mesa (AMD): the render node opens" "NODE /dev/dri/renderD129 $ENXIO"
has "Mesa (AMD): not the Intel GPU" "NONE /dev/dri/renderD128"
has "Mesa (AMD): the Intel GPU's numbers made inside are refused" "MADE 243:128 $EPERM"
for f in /usr/share/vulkan/icd.d/radeon_icd.x86_64.json $L/libvulkan_radeon.so $L/libdrm_amdgpu.so.1.0.0 $L/libLLVM-15.so.1 \
	/usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json /usr/share/glvnd/egl_vendor.d/50_mesa.json \
	$L/libEGL_mesa.so.0.0.0 $L/dri/radeonsi_dri.so $L/libgallium-24.2.8.so; do
	has "Mesa (AMD): $f" "FILE $f"
done
has "Mesa (AMD): the soname link" "LINK $L/libdrm_amdgpu.so.1 libdrm_amdgpu.so.1.0.0"
for f in /usr/share/vulkan/icd.d/intel_icd.x86_64.json $L/libvulkan_intel.so $L/dri/iris_dri.so \
	/usr/share/vulkan/icd.d/virtio_icd.x86_64.json $L/libvulkan_virtio.so $L/libunrelated.so.3; do
	has "Mesa (AMD): not $f" "NONE $f"
done
expect_match "Mesa (AMD): the ICD file names the driver the container has" "\"library_path\": \"$L/libvulkan_radeon.so\"" "$OUT"
expect_match "Mesa (AMD): the container's ld cache knows libdrm_amdgpu" "^CACHED [1-9]" "$OUT"
has "Mesa (AMD): the render group" "GROUPS .*\\b993\\b.*"
grun mesa-virtio mesa "$(probe "$MESAPATHS /dev/dri/renderD130" "")" --gpus all,driver=virtio-gpu,capabilities=graphics
expect_eq "Mesa (virtio-gpu): exit 0" 0 "$RC"
has "Mesa (virtio-gpu): the virtio render node" "NODE /dev/dri/renderD130 $ENXIO"
has "Mesa (virtio-gpu): Venus's ICD file" "FILE /usr/share/vulkan/icd.d/virtio_icd.x86_64.json"
has "Mesa (virtio-gpu): Venus's driver" "FILE $L/libvulkan_virtio.so"
has "Mesa (virtio-gpu): virgl's DRI driver" "FILE $L/dri/virtio_gpu_dri.so"
has "Mesa (virtio-gpu): not radeon's" "NONE $L/libvulkan_radeon.so"
grun mesa-plain mesa "$(probe "$MESAPATHS" "")" --device dri/render=amd
has "--device dri/render=amd: the node" "NODE /dev/dri/renderD129 $ENXIO"
has "--device dri/render=amd: no Mesa without the graphics capability" "NONE $L/libvulkan_radeon.so"

# ---- CDI: generate --output, then a driver update makes the spec stale
CDI=$TMP/nvidia/etc/cdi
OUT=$(gctr nvidia cdi generate --backend nvidia --output "$CDI/nvidia.json" 2>&1)
expect_eq "cdi generate --output: exit 0, quiet" "0 " "$? $OUT"
expect_eq "cdi generate --output: one file, no temporary left" "nvidia.json" "$(ls -A "$CDI")"
OUT=$(gctr nvidia cdi validate "$CDI/nvidia.json" 2>&1)
expect_eq "cdi validate of the generated spec: ok" "ok" "$OUT"
expect_match "devices: nvidia.com/gpu now comes from the spec" "^nvidia.com/gpu=all +cdi " "$(gctr nvidia devices 2>/dev/null)"
OUT=$(gctr wsl cdi generate --backend dxg --output "$TMP/wsl/etc/cdi/x.json" 2>&1)
expect_eq "cdi generate --output with two kinds and no --kind: exit 1" 1 "$?"
expect_match "cdi generate --output with two kinds: says to name the kind" "several kinds \\(dxg/gpu, nvidia.com/gpu\\)" "$OUT"
expect_eq "cdi generate --output that failed: nothing written" "" "$(ls -A "$TMP/wsl/etc/cdi" 2>/dev/null)"
echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  560.35.03  Fri Aug 16 2024" >"$TMP/nvidia/proc/driver/nvidia/version"
OUT=$(gctr nvidia cdi validate "$CDI/nvidia.json" 2>&1)
expect_eq "cdi validate after a driver update: exit 1" 1 "$?"
expect_match "cdi validate: stale, both drivers named" "stale CDI spec: generated for NVIDIA driver $NV, the host runs 560.35.03" "$OUT"
expect_match "cdi validate: the command that regenerates it" "ctr-demo cdi generate --backend nvidia --kind nvidia.com/gpu --output $CDI/nvidia.json" "$OUT"
OUT=$(gctr nvidia devices 2>&1 >/dev/null)
expect_match "devices: reports the stale spec with the command" "stale CDI spec.*ctr-demo cdi generate --backend nvidia" "$OUT"
# the new driver's libraries, as its installer leaves them
for f in "$TMP/nvidia"/usr/lib/*/*.so.$NV; do mv "$f" "${f%.$NV}.560.35.03"; done
ldconfig -r "$TMP/nvidia" -C /etc/ld.so.cache
OUT=$(gctr nvidia cdi generate --backend nvidia --output "$CDI/nvidia.json" 2>&1 && gctr nvidia cdi validate "$CDI/nvidia.json" 2>&1)
expect_eq "regenerated as the message says: valid again" "ok" "$OUT"

finish
