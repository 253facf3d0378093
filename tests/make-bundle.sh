#!/bin/bash
# make-bundle.sh <busybox-binary> <outdir>
#
# Builds an OCI bundle without network access: <outdir>/rootfs holds a static
# busybox with a symlink per applet, /etc/passwd and /etc/group (root, nobody,
# user 1000), and the empty mount points; <outdir>/config.json is a runtime-spec
# config that runs `sh -c 'echo hello from libctr'` with new pid, network, ipc,
# uts, mount and cgroup namespaces and the usual /proc, /dev, /sys mounts.
# Tests copy the bundle and edit config.json.
set -eu

if [ $# -ne 2 ]; then
	echo "usage: $0 <busybox-binary> <outdir>" >&2
	exit 2
fi
busybox=$1
out=$2

if ! "$busybox" --list >/dev/null 2>&1; then
	echo "$0: $busybox is not a working busybox (install busybox-static)" >&2
	exit 1
fi
if ldd "$busybox" >/dev/null 2>&1; then
	echo "$0: $busybox is dynamically linked; the rootfs needs a static one (apt-get install busybox-static)" >&2
	exit 1
fi

tmp=$out.tmp.$$
rm -rf "$tmp"
mkdir -p "$tmp/rootfs"
trap 'rm -rf "$tmp"' EXIT
r=$tmp/rootfs

for d in bin sbin usr/bin usr/sbin etc tmp proc sys dev root home/user var/tmp run; do
	mkdir -p "$r/$d"
done
chmod 1777 "$r/tmp" "$r/var/tmp"
chmod 0700 "$r/root"
# (as root only: a build by a normal user still gets a bundle, for the tests
# that need no root)
if [ "$(id -u)" = 0 ]; then
	chown 1000:1000 "$r/home/user"
fi
install -m 0755 "$busybox" "$r/bin/busybox"

# One symlink per applet, where busybox says it lives (bin, sbin, usr/bin, usr/sbin).
"$busybox" --list-full | while read -r applet; do
	[ -n "$applet" ] || continue
	[ "$applet" = bin/busybox ] && continue
	mkdir -p "$r/$(dirname "$applet")"
	[ -e "$r/$applet" ] || ln -s /bin/busybox "$r/$applet"
done

cat >"$r/etc/passwd" <<'PW'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PW
cat >"$r/etc/group" <<'GR'
root:x:0:
user:x:1000:
nogroup:x:65534:
GR
echo ctr >"$r/etc/hostname"
: >"$r/etc/hosts"
: >"$r/etc/resolv.conf"

cat >"$tmp/config.json" <<'JSON'
{
  "ociVersion": "1.2.0",
  "process": {
    "terminal": false,
    "user": { "uid": 0, "gid": 0 },
    "args": [ "/bin/sh", "-c", "echo hello from libctr" ],
    "env": [
      "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
      "TERM=xterm",
      "HOME=/root"
    ],
    "cwd": "/",
    "rlimits": [ { "type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024 } ],
    "noNewPrivileges": true
  },
  "root": { "path": "rootfs", "readonly": false },
  "hostname": "ctr",
  "mounts": [
    { "destination": "/proc", "type": "proc", "source": "proc" },
    { "destination": "/dev", "type": "tmpfs", "source": "tmpfs",
      "options": [ "nosuid", "strictatime", "mode=755", "size=65536k" ] },
    { "destination": "/dev/pts", "type": "devpts", "source": "devpts",
      "options": [ "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620" ] },
    { "destination": "/dev/shm", "type": "tmpfs", "source": "shm",
      "options": [ "nosuid", "noexec", "nodev", "mode=1777", "size=65536k" ] },
    { "destination": "/dev/mqueue", "type": "mqueue", "source": "mqueue",
      "options": [ "nosuid", "noexec", "nodev" ] },
    { "destination": "/sys", "type": "sysfs", "source": "sysfs",
      "options": [ "nosuid", "noexec", "nodev", "ro" ] }
  ],
  "linux": {
    "namespaces": [
      { "type": "pid" },
      { "type": "network" },
      { "type": "ipc" },
      { "type": "uts" },
      { "type": "mount" },
      { "type": "cgroup" }
    ],
    "maskedPaths": [
      "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
      "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
      "/proc/scsi"
    ],
    "readonlyPaths": [
      "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"
    ]
  }
}
JSON

rm -rf "$out"
mv "$tmp" "$out"
trap - EXIT
