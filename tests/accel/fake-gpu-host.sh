#!/bin/bash
# fake-gpu-host.sh KIND ROOT: build a fake GPU host tree under ROOT for the
# accelerator tests (tests/accel/test-gpus.c, tests/integration/test-gpus.sh).
#
# KIND is one of:
#   nvidia  a native NVIDIA driver 550.54.14 with two GPUs: every library class
#           libnvidia-container knows (compute, utility, video, graphics, ngx,
#           32-bit ones for compat32), tools, vendor files (Vulkan, EGL, OpenCL),
#           the X driver, daemon sockets, and DRI nodes for GPU 0
#   wsl     a WSL2 host: /dev/dxg, /usr/lib/wsl/lib and two driver stores (an
#           Intel one and NVIDIA's)
#   amd     a ROCm host: a KFD topology with a CPU node, a whole MI210 and an
#           MI300X in CPX mode (two partitions), /dev/kfd, render and card nodes
#   mesa    the host's Mesa for amdgpu, i915 and virtio_gpu (Vulkan ICD files,
#           the device-select layer, 50_mesa.json, libEGL_mesa, libGLX_mesa,
#           DRI drivers), with an AMD and an Intel GPU on DRI, and a virtio GPU
#
# Libraries are real ELF shared objects built here with their sonames (and
# DT_NEEDED entries where the real ones have them); the ld.so cache is made
# by ldconfig -r.  Device nodes are made with mknod and carry majors no
# driver owns (239, 241-243): a container the device cgroup lets open one
# gets ENXIO, one it does not gets EPERM.  Needs root (mknod); exits 77
# when mknod is refused, 1 on any other failure.
set -eu

kind=$1
R=$2
LIB=/usr/lib/x86_64-linux-gnu
LIB32=/usr/lib/i386-linux-gnu
NV=550.54.14
TMPD=$(mktemp -d /tmp/ctr-accel-build.XXXXXX)
trap 'rm -rf "$TMPD"' EXIT

mkdir -p "$R"
if ! mknod "$R/.probe" c 1 3 2>/dev/null; then
	echo "fake-gpu-host: mknod not permitted (not root)" >&2
	exit 77
fi
rm -f "$R/.probe"

# lib DIR FILE SONAME [NEEDED-FILE...]: a shared object with that soname,
# linked against the given libraries (their sonames become DT_NEEDED)
lib() {
	local dir=$1 file=$2 soname=$3
	shift 3
	mkdir -p "$R$dir"
	echo "int ctr_fake_$(echo "$file" | tr -c 'a-zA-Z0-9\n' _) = 1;" >"$TMPD/l.c"
	cc -shared -fPIC -o "$R$dir/$file" "$TMPD/l.c" -Wl,-soname,"$soname" -Wl,--no-as-needed "$@"
}
# lib32 DIR FILE SONAME: a 32-bit (i386) shared object for compat32, assembled
# and linked against a stand-in libc.so.6 (ldconfig files a library without
# libc as plain ELF, not as a 32-bit libc6 one)
lib32() {
	mkdir -p "$R$1"
	echo '.data' >"$TMPD/e.s"
	as --32 -o "$TMPD/e32.o" "$TMPD/e.s"
	[ -f "$TMPD/libc.so.6" ] || ld -m elf_i386 -shared -soname libc.so.6 -o "$TMPD/libc.so.6" "$TMPD/e32.o"
	ld -m elf_i386 -shared -soname "$3" -o "$R$1/$2" "$TMPD/e32.o" --no-as-needed "$TMPD/libc.so.6"
}
# node PATH MAJOR MINOR MODE [GROUP]
node() {
	mkdir -p "$(dirname "$R$1")"
	mknod -m "$4" "$R$1" c "$2" "$3"
	[ $# -lt 5 ] || chgrp "$5" "$R$1"
}
# file PATH CONTENT
file() {
	mkdir -p "$(dirname "$R$1")"
	printf '%s\n' "$2" >"$R$1"
}
ldcache() {
	mkdir -p "$R/etc"
	printf '%s\n' "$LIB" "$LIB32" >"$R/etc/ld.so.conf"
	ldconfig -r "$R" -C /etc/ld.so.cache
}
# pci BDF VENDOR DEVICE DRIVER: a PCI device in sysfs bound to DRIVER
pci() {
	local d=$R/sys/devices/pci0000:00/$1
	mkdir -p "$d" "$R/sys/bus/pci/drivers/$4" "$R/sys/bus/pci/devices"
	echo "$2" >"$d/vendor"
	echo "$3" >"$d/device"
	ln -sfn "../../../bus/pci/drivers/$4" "$d/driver"
	ln -sfn "../../../devices/pci0000:00/$1" "$R/sys/bus/pci/devices/$1"
}
# drm NAME SYSDEV MAJOR MINOR MODE GROUP: a DRM node of a sysfs device
drm() {
	mkdir -p "$R/sys/class/drm/$1"
	ln -sfn "$2" "$R/sys/class/drm/$1/device"
	node "/dev/dri/$1" "$3" "$4" "$5" "$6"
}

case $kind in
nvidia)
	file /proc/driver/nvidia/version "NVRM version: NVIDIA UNIX x86_64 Kernel Module  $NV  Thu Feb 22 01:44:30 UTC 2024"
	printf 'Model: \t\t NVIDIA A100-SXM4-40GB\nGPU UUID: \t GPU-11111111-2222-3333-4444-555555555555\nDevice Minor: \t 0\nBus Location: \t 0000:41:00.0\n' |
		{ mkdir -p "$R/proc/driver/nvidia/gpus/0000:41:00.0"; cat >"$R/proc/driver/nvidia/gpus/0000:41:00.0/information"; }
	printf 'Model: \t\t NVIDIA A100-SXM4-40GB\nGPU UUID: \t GPU-66666666-7777-8888-9999-000000000000\nDevice Minor: \t 1\nBus Location: \t 0000:81:00.0\n' |
		{ mkdir -p "$R/proc/driver/nvidia/gpus/0000:81:00.0"; cat >"$R/proc/driver/nvidia/gpus/0000:81:00.0/information"; }
	node /dev/nvidia0 241 0 0666
	node /dev/nvidia1 241 1 0666
	node /dev/nvidiactl 241 255 0666
	node /dev/nvidia-modeset 241 254 0666
	node /dev/nvidia-uvm 242 0 0666
	node /dev/nvidia-uvm-tools 242 1 0666
	pci 0000:41:00.0 0x10de 0x20b0 nvidia
	drm card1 /sys/devices/pci0000:00/0000:41:00.0 243 1 0660 44
	drm renderD128 /sys/devices/pci0000:00/0000:41:00.0 243 128 0660 993
	for l in libcuda.so:1 libnvidia-ml.so:1 libnvidia-ptxjitcompiler.so:1 libnvidia-opencl.so:1 libnvidia-allocator.so:1 \
		libnvidia-encode.so:1 libnvcuvid.so:1 libGLX_nvidia.so:0 libEGL_nvidia.so:0 libnvidia-glcore.so:$NV \
		libnvidia-eglcore.so:$NV libnvidia-ngx.so:1; do
		lib $LIB "${l%%:*}.$NV" "${l%%:*}.${l##*:}"
	done
	lib $LIB libnvidia-egl-gbm.so.1.1.1 libnvidia-egl-gbm.so.1
	lib $LIB libnvidia-old.so.535.104.05 libnvidia-old.so.1
	lib $LIB libz-not-nvidia.so.1.0 libz-not-nvidia.so.1
	lib32 $LIB32 "libcuda.so.$NV" libcuda.so.1
	lib32 $LIB32 "libGLX_nvidia.so.$NV" libGLX_nvidia.so.0
	ldcache
	file /usr/bin/nvidia-smi '#!/bin/sh'
	file /usr/bin/nvidia-debugdump '#!/bin/sh'
	file /usr/bin/nvidia-cuda-mps-control '#!/bin/sh'
	chmod 0755 "$R/usr/bin/"*
	file "/lib/firmware/nvidia/$NV/gsp_ga10x.bin" fw
	file /usr/share/vulkan/icd.d/nvidia_icd.json '{"file_format_version": "1.0.1", "ICD": {"library_path": "libGLX_nvidia.so.0", "api_version": "1.3.277"}}'
	file /etc/vulkan/implicit_layer.d/nvidia_layers.json '{"file_format_version": "1.0.1", "layer": {"name": "VK_LAYER_NV_optimus", "library_path": "libGLX_nvidia.so.0"}}'
	file /usr/share/glvnd/egl_vendor.d/10_nvidia.json '{"file_format_version": "1.0.0", "ICD": {"library_path": "libEGL_nvidia.so.0"}}'
	file /usr/share/egl/egl_external_platform.d/15_nvidia_gbm.json '{"file_format_version": "1.0.0", "ICD": {"library_path": "libnvidia-egl-gbm.so.1"}}'
	file /etc/OpenCL/vendors/nvidia.icd libnvidia-opencl.so.1
	file /usr/lib/xorg/modules/drivers/nvidia_drv.so xorg-driver
	file /var/run/nvidia-persistenced/socket sock
	;;
wsl)
	S=/usr/lib/wsl/drivers/nv_dispi.inf_amd64_7cc7738d8e428783
	I=/usr/lib/wsl/drivers/iigd_dch.inf_amd64_73655f941b1dd71f
	node /dev/dxg 239 0 0666
	for f in libdxcore.so libd3d12.so libd3d12core.so; do lib /usr/lib/wsl/lib $f $f; done
	lib /usr/lib/wsl/lib libcuda.so.1 libcuda.so.1
	file /usr/lib/wsl/lib/nvidia-smi '#!/bin/sh'
	for f in libcuda.so.1.1 libcuda_loader.so libnvidia-ptxjitcompiler.so.1 libnvidia-ml.so.1 libnvidia-ml_loader.so \
		libnvdxgdmal.so.1 libnvwgf2umx.so libnvidia-gpucomp.so.1; do
		lib $S $f $f
	done
	file $S/nvcubins.bin cubins
	file $S/nvidia-smi '#!/bin/sh'
	file $S/nvwgf2umx.dll dll
	file $S/nv_dispi.inf 'not mounted: no .so, .bin or .dll'
	lib $I libigd12umd64.so libigd12umd64.so
	ldcache
	;;
amd)
	n=$R/sys/class/kfd/kfd/topology/nodes
	mkdir -p "$n/0" "$n/1" "$n/2" "$n/3"
	# a CPU node (no SIMDs), an MI210 at 0000:03:00.0 (location_id 0x300) and
	# an MI300X at 0000:c1:00.0 (0xc100) split into two CPX partitions
	printf 'cpu_cores_count 32\nsimd_count 0\nmem_banks_count 1\nlocation_id 0\ndrm_render_minor 0\ndomain 0\n' >"$n/0/properties"
	printf 'cpu_cores_count 0\nsimd_count 416\ndrm_render_minor 128\nlocation_id 768\ndomain 0\nunique_id 12970221358401436294\ngfx_target_version 90010\n' >"$n/1/properties"
	printf 'cpu_cores_count 0\nsimd_count 304\ndrm_render_minor 130\nlocation_id 49408\ndomain 0\nunique_id 7386462395532398945\ngfx_target_version 90402\nnum_xcc 4\n' >"$n/2/properties"
	printf 'cpu_cores_count 0\nsimd_count 304\ndrm_render_minor 129\nlocation_id 49408\ndomain 0\nunique_id 7386462395532398945\ngfx_target_version 90402\nnum_xcc 4\n' >"$n/3/properties"
	pci 0000:03:00.0 0x1002 0x740f amdgpu
	pci 0000:c1:00.0 0x1002 0x74a1 amdgpu
	echo CPX >"$R/sys/devices/pci0000:00/0000:c1:00.0/current_compute_partition"
	echo NPS1 >"$R/sys/devices/pci0000:00/0000:c1:00.0/current_memory_partition"
	# the second partition's render node hangs off a platform device
	mkdir -p "$R/sys/devices/platform/amdgpu_xcp_1"
	drm card0 /sys/devices/pci0000:00/0000:03:00.0 243 0 0660 44
	drm renderD128 /sys/devices/pci0000:00/0000:03:00.0 243 128 0660 993
	drm card1 /sys/devices/pci0000:00/0000:c1:00.0 243 1 0660 44
	drm renderD129 /sys/devices/pci0000:00/0000:c1:00.0 243 129 0660 993
	drm renderD130 /sys/devices/platform/amdgpu_xcp_1 243 130 0660 993
	node /dev/kfd 242 0 0660 993
	;;
mesa)
	pci 0000:03:00.0 0x1002 0x73bf amdgpu
	pci 0000:00:02.0 0x8086 0x46a6 i915
	drm card0 /sys/devices/pci0000:00/0000:00:02.0 243 0 0660 44
	drm renderD128 /sys/devices/pci0000:00/0000:00:02.0 243 128 0660 993
	drm card1 /sys/devices/pci0000:00/0000:03:00.0 243 1 0660 44
	drm renderD129 /sys/devices/pci0000:00/0000:03:00.0 243 129 0660 993
	# a virtio GPU (a guest of krunkit or QEMU)
	mkdir -p "$R/sys/devices/pci0000:00/0000:00:05.0/virtio3" "$R/sys/bus/virtio/drivers/virtio_gpu"
	echo 0x1af4 >"$R/sys/devices/pci0000:00/0000:00:05.0/virtio3/vendor"
	echo 0x0010 >"$R/sys/devices/pci0000:00/0000:00:05.0/virtio3/device"
	ln -s ../../../../bus/virtio/drivers/virtio_gpu "$R/sys/devices/pci0000:00/0000:00:05.0/virtio3/driver"
	drm card2 /sys/devices/pci0000:00/0000:00:05.0/virtio3 243 2 0660 44
	drm renderD130 /sys/devices/pci0000:00/0000:00:05.0/virtio3 243 130 0660 993
	# Mesa: drm libraries, then the drivers that need them
	lib $LIB libdrm.so.2.4.0 libdrm.so.2
	lib $LIB libdrm_amdgpu.so.1.0.0 libdrm_amdgpu.so.1 "$R$LIB/libdrm.so.2.4.0"
	lib $LIB libdrm_intel.so.1.0.0 libdrm_intel.so.1 "$R$LIB/libdrm.so.2.4.0"
	lib $LIB libLLVM-15.so.1 libLLVM-15.so.1
	lib $LIB libgallium-24.2.8.so libgallium-24.2.8.so "$R$LIB/libLLVM-15.so.1" "$R$LIB/libdrm.so.2.4.0"
	lib $LIB libvulkan_radeon.so libvulkan_radeon.so "$R$LIB/libdrm_amdgpu.so.1.0.0" "$R$LIB/libLLVM-15.so.1"
	lib $LIB libvulkan_intel.so libvulkan_intel.so "$R$LIB/libdrm_intel.so.1.0.0"
	lib $LIB libvulkan_virtio.so libvulkan_virtio.so "$R$LIB/libdrm.so.2.4.0"
	lib $LIB libVkLayer_MESA_device_select.so libVkLayer_MESA_device_select.so
	lib $LIB libgbm.so.1.0.0 libgbm.so.1 "$R$LIB/libdrm.so.2.4.0"
	lib $LIB libglapi.so.0.0.0 libglapi.so.0
	lib $LIB libEGL_mesa.so.0.0.0 libEGL_mesa.so.0 "$R$LIB/libgbm.so.1.0.0" "$R$LIB/libglapi.so.0.0.0"
	lib $LIB libGLX_mesa.so.0.0.0 libGLX_mesa.so.0 "$R$LIB/libglapi.so.0.0.0"
	lib $LIB/dri radeonsi_dri.so radeonsi_dri.so "$R$LIB/libgallium-24.2.8.so" "$R$LIB/libdrm_amdgpu.so.1.0.0"
	lib $LIB/dri iris_dri.so iris_dri.so "$R$LIB/libgallium-24.2.8.so" "$R$LIB/libdrm_intel.so.1.0.0"
	lib $LIB/dri virtio_gpu_dri.so virtio_gpu_dri.so "$R$LIB/libgallium-24.2.8.so"
	lib $LIB libunrelated.so.3 libunrelated.so.3
	ldcache
	for icd in radeon intel virtio; do
		file "/usr/share/vulkan/icd.d/${icd}_icd.x86_64.json" "{\"ICD\": {\"api_version\": \"1.3.289\", \"library_path\": \"$LIB/libvulkan_${icd}.so\"}, \"file_format_version\": \"1.0.0\"}"
	done
	file /usr/share/vulkan/implicit_layer.d/VkLayer_MESA_device_select.json '{"file_format_version": "1.0.0", "layer": {"name": "VK_LAYER_MESA_device_select", "library_path": "libVkLayer_MESA_device_select.so"}}'
	file /usr/share/vulkan/implicit_layer.d/VkLayer_other_vendor.json '{"file_format_version": "1.0.0", "layer": {"name": "VK_LAYER_other", "library_path": "libunrelated.so.3"}}'
	file /usr/share/glvnd/egl_vendor.d/50_mesa.json '{"file_format_version": "1.0.0", "ICD": {"library_path": "libEGL_mesa.so.0"}}'
	;;
*)
	echo "fake-gpu-host: unknown kind '$kind' (nvidia, wsl, amd, mesa)" >&2
	exit 1
	;;
esac
