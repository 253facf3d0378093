#!/bin/bash
# Readonly root and the mounts of config.json: bind (ro, file), rbind, tmpfs
# with size, proc, sysfs, mqueue, devpts, cgroup, propagation.
. "$(dirname "$0")/lib.sh"

# mnt_line MP: the /proc/self/mounts line for mount point MP, from OUT
mnt_line() { printf '%s\n' "$OUT" | awk -v m="$1" '$2 == m' | tail -n 1; }

# --- readonly root
b=$(mkb roroot)
cfg "$b" 'c["root"]["readonly"] = True'
runb "$b" 'if touch /rootfile 2>/dev/null; then echo WRITABLE; else echo readonly; fi; echo x > /dev/shm/f && echo shm-ok'
expect_eq "readonly root: run exit 0" 0 "$RC"
expect_match "readonly root: writing / fails" '^readonly$' "$OUT"
expect_match "readonly root: tmpfs mounts stay writable" '^shm-ok$' "$OUT"
check "readonly root: nothing written to the rootfs" test ! -e "$b/rootfs/rootfile"

# --- a tree of mounts
src=$TMP/src
mkdir -p "$src/ro" "$src/rb/sub" "$src/prop"
echo from-host >"$src/ro/file"
echo hostfile-content >"$src/hostfile"
mount -t tmpfs -o size=1m tmpfs "$src/rb/sub"
echo in-submount >"$src/rb/sub/subfile"
b=$(mkb mounts)
cfg "$b" '
s = argv[0]
c["mounts"] += [
  {"destination": "/mnt/ro", "type": "bind", "source": s + "/ro", "options": ["bind", "ro"]},
  {"destination": "/mnt/rbind", "type": "bind", "source": s + "/rb", "options": ["rbind"]},
  {"destination": "/mnt/bind", "type": "bind", "source": s + "/rb", "options": ["bind"]},
  {"destination": "/mnt/tmp", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m", "mode=700", "nodev"]},
  {"destination": "/etc/hostfile", "type": "bind", "source": s + "/hostfile", "options": ["bind", "ro"]},
  {"destination": "/mnt/shared", "type": "bind", "source": s + "/prop", "options": ["rbind", "rshared"]},
  {"destination": "/mnt/private", "type": "bind", "source": s + "/prop", "options": ["rbind", "rprivate"]},
  {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]},
]' "$src"
runb "$b" '
cat /mnt/ro/file
if echo x > /mnt/ro/new 2>/dev/null; then echo ro-WRITABLE; else echo ro-readonly; fi
cat /mnt/rbind/sub/subfile
if [ -e /mnt/bind/sub/subfile ]; then echo bind-RECURSIVE; else echo bind-not-recursive; fi
echo tmp-mode=$(stat -c %a /mnt/tmp)
cat /etc/hostfile
if echo x >> /etc/hostfile 2>/dev/null; then echo file-WRITABLE; else echo file-readonly; fi
echo shared=$(awk "\$5 == \"/mnt/shared\" {print \$7}" /proc/self/mountinfo)
echo private=$(awk "\$5 == \"/mnt/private\" {print \$7}" /proc/self/mountinfo)
echo cgroup=$(ls /sys/fs/cgroup | head -n 3 | tr "\n" " ")
cat /proc/self/mounts'
expect_eq "mounts: run exit 0" 0 "$RC"
expect_match "bind ro: reads the host file" '^from-host$' "$OUT"
expect_match "bind ro: writes fail" '^ro-readonly$' "$OUT"
expect_match "bind ro: mounted ro" '(^|,)ro(,|$)' "$(mnt_line /mnt/ro | awk '{print $4}')"
expect_match "rbind: the submount is visible" '^in-submount$' "$OUT"
expect_match "bind (not rbind): the submount is not" '^bind-not-recursive$' "$OUT"
expect_match "tmpfs: type tmpfs" '^tmpfs /mnt/tmp tmpfs' "$(mnt_line /mnt/tmp)"
expect_match "tmpfs: size=1m" 'size=1024k' "$(mnt_line /mnt/tmp)"
expect_match "tmpfs: nodev" 'nodev' "$(mnt_line /mnt/tmp)"
expect_match "tmpfs: mode=700" '^tmp-mode=700$' "$OUT"
expect_match "bind of a file: content" '^hostfile-content$' "$OUT"
expect_match "bind of a file: ro" '^file-readonly$' "$OUT"
expect_match "propagation rshared: mount is shared" '^shared=shared:[0-9]+' "$OUT"
expect_match "propagation rprivate: mount is private" '^private=-?$' "$OUT"
expect_match "proc mounted at /proc" '^proc /proc proc ' "$(mnt_line /proc)"
expect_match "sysfs mounted ro at /sys" '^[^ ]+ /sys sysfs ro[, ]' "$(mnt_line /sys)"
expect_match "devpts at /dev/pts" '^[^ ]+ /dev/pts devpts ' "$(mnt_line /dev/pts)"
expect_match "mqueue at /dev/mqueue" '^[^ ]+ /dev/mqueue mqueue ' "$(mnt_line /dev/mqueue)"
expect_match "tmpfs at /dev/shm" '^[^ ]+ /dev/shm tmpfs ' "$(mnt_line /dev/shm)"
expect_match "cgroup at /sys/fs/cgroup" '^[^ ]+ /sys/fs/cgroup (cgroup2?|tmpfs) ' "$(mnt_line /sys/fs/cgroup)"
expect_nomatch "cgroup: not empty" '^cgroup=$' "$OUT"
expect_eq "mounts: nothing left mounted under the bundle" "" "$(mounts_in "$b")"
check "mounts: the host submount is still there" mountpoint -q "$src/rb/sub"
umount "$src/rb/sub"

# --- a cgroup mount without a cgroup namespace on a v1/hybrid host (runc's default spec): each
# hierarchy is a bind of the container's own cgroup, read-only, nosuid, nodev, noexec
if awk '$9 == "cgroup" {f = 1} END {exit !f}' /proc/self/mountinfo; then
	b=$(mkb cgbind)
	cfg "$b" '
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"] + [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}]'
	runb "$b" '
own=$(grep -m1 -E "^[0-9]+:([a-z_]+,)*pids(,[a-z_]+)*:" /proc/self/cgroup | cut -d: -f3)
echo own=$own
awk "\$5 ~ \"^/sys/fs/cgroup/\" && \$(NF-2) == \"cgroup\" {print \"hier\", \$5, \$4, \$6}" /proc/self/mountinfo
awk "\$5 == \"/opt/cg\" {print \"tmpfs2\", \$6}; \$5 ~ \"^/opt/cg/\" && \$(NF-2) == \"cgroup\" {print \"hier2\", \$5, \$4, \$6}" /proc/self/mountinfo
awk "\$5 == \"/sys/fs/cgroup\" {print \"tmpfs\", \$6}" /proc/self/mountinfo
if touch /sys/fs/cgroup/pids/x 2>/dev/null; then echo cg-WRITABLE; else echo cg-readonly; fi
if mkdir /sys/fs/cgroup/x 2>/dev/null; then echo cgtmpfs-WRITABLE; else echo cgtmpfs-readonly; fi'
	# cgbind_checks WHAT PREFIX: the hierarchies ("hier" lines, or "hier2" for the second mount)
	cgbind_checks() {
		local own nh
		expect_eq "$1: run exit 0" 0 "$RC"
		own=$(printf '%s\n' "$OUT" | sed -n 's/^own=//p')
		nh=$(printf '%s\n' "$OUT" | grep -c "^$2 ")
		check "$1: the v1 hierarchies are mounted ($nh)" test "$nh" -ge 1
		expect_eq "$1: each one is the container's own cgroup ($own)" "$nh" \
			"$(printf '%s\n' "$OUT" | awk -v o="$own" -v p="$2" '$1 == p && $3 == o' | wc -l)"
		expect_eq "$1: each one ro,nosuid,nodev,noexec" "$nh" \
			"$(printf '%s\n' "$OUT" | awk -v p="$2" '$1 == p && $4 ~ /^ro,/ && $4 ~ /nosuid/ && $4 ~ /nodev/ && $4 ~ /noexec/' | wc -l)"
		expect_match "$1: writes fail" '^cg-readonly$' "$OUT"
		expect_match "$1: the tmpfs holding them is read-only too" '^cgtmpfs-readonly$' "$OUT"
		expect_match "$1: the tmpfs is ro,nosuid,nodev,noexec" '^tmpfs ro,nosuid,nodev,noexec' "$OUT"
	}
	# one cgroup mount: the runtime makes it as a detached tree beside the child's setup, where the
	# kernel mounts on detached trees (6.18 here), and the child attaches it (container.c,
	# cg_v1_tree); a second one: the child mounts both itself, as on older kernels
	cgbind_checks "cgroup bind" hier
	cfg "$b" 'c["mounts"].append({"destination": "/opt/cg", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})'
	runb "$b"
	cgbind_checks "cgroup bind, two cgroup mounts (the first)" hier
	cgbind_checks "cgroup bind, two cgroup mounts (the second)" hier2
	expect_match "cgroup bind, two cgroup mounts: the second tmpfs is ro,nosuid,nodev,noexec" \
		'^tmpfs2 ro,nosuid,nodev,noexec' "$OUT"
fi

# --- maskedPaths and readonlyPaths
MASKPROBE='
echo keys=$(head -c 10 /proc/keys | wc -c)
echo keysmount=$(awk '\''$5 == "/proc/keys" {print "masked"}'\'' /proc/self/mountinfo)
echo firmware=$(ls -A /sys/firmware | wc -l)
if echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null; then echo procsys-WRITABLE; else echo procsys-readonly; fi
for d in /sys/firmware /proc/acpi; do
	[ -d $d ] && echo "dirmask $d $(awk -v d=$d '\''$5 == d {for (i = 7; i < NF; i++) if ($i == "-") print $6, $(i + 1)}'\'' /proc/self/mountinfo) $(ls -A $d | wc -l)"
	if touch $d/x 2>/dev/null; then echo "dirmask $d WRITABLE"; fi
done'
# mask_checks WHAT: what MASKPROBE printed ($OUT, $RC of runb).  /proc/keys may
# be empty on the host too, so also check that something is mounted over it
# (the /dev/null bind)
mask_checks() {
	expect_eq "$1: run exit 0" 0 "$RC"
	expect_match "$1: maskedPaths: /proc/keys reads nothing" '^keys=0$' "$OUT"
	expect_match "$1: maskedPaths: /proc/keys has the mask mounted over it" '^keysmount=masked$' "$OUT"
	expect_match "$1: maskedPaths: /sys/firmware is empty" '^firmware=0$' "$OUT"
	expect_match "$1: readonlyPaths: /proc/sys is read-only" '^procsys-readonly$' "$OUT"
	# a masked directory: an empty tmpfs of its own mount, read-only (the masks share one superblock)
	expect_match "$1: maskedPaths: /sys/firmware is a read-only tmpfs mount, empty" \
		'^dirmask /sys/firmware ro,[^ ]* tmpfs 0$' "$OUT"
	[ -d /proc/acpi ] && expect_match "$1: maskedPaths: /proc/acpi too" '^dirmask /proc/acpi ro,[^ ]* tmpfs 0$' "$OUT"
	expect_nomatch "$1: maskedPaths: no masked directory takes a file" 'WRITABLE' "$OUT"
}
b=$(mkb masked)
runb "$b" "$MASKPROBE"
mask_checks "masked/readonly paths"

# the same as runc's spec has it (no cgroup namespace, a cgroup mount last): on a v1 or hybrid
# host the v1 cgroups come after the clone, and the child waits for them at the cgroup mount;
# a masked path under a mount made after that one (/opt here) is masked over what it shows
b=$(mkb masked-late)
mkdir -p "$TMP/optsrc" && echo SECRET >"$TMP/optsrc/secret" && mkdir -p "$b/rootfs/opt"
cfg "$b" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]
c["mounts"].append({"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]})'
runb "$b" "$MASKPROBE"
mask_checks "late cgroups"
cfg "$b" 'c["mounts"].append({"destination": "/opt", "type": "bind", "source": argv[0], "options": ["rbind", "ro"]})
c["linux"]["maskedPaths"].append("/opt/secret")' "$TMP/optsrc"
runb "$b" 'echo secret=$(cat /opt/secret 2>&1 | head -c 20); echo keysmount=$(awk '\''$5 == "/proc/keys" {print "masked"}'\'' /proc/self/mountinfo)'
expect_eq "late cgroups, a mount after the cgroup mount: run exit 0" 0 "$RC"
expect_match "a masked path under a mount made after the cgroup mount is masked over it" '^secret=$' "$OUT"
expect_match "... and the other masks still hold" '^keysmount=masked$' "$OUT"

# the cgroup mount last on a v1/hybrid host: the child masks before it waits for the late go
# (container.c, cg_mounts_last), except a path at or below that mount's destination, which
# must be masked over what the mount shows
if awk '$9 == "cgroup" {f = 1} END {exit !f}' /proc/self/mountinfo && [ -d /sys/fs/cgroup/pids ]; then
	b=$(mkb masked-cg)
	cfg "$b" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]
c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"] + [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}]
c["linux"]["maskedPaths"].append("/sys/fs/cgroup/pids")'
	runb "$b" 'echo pids=$(ls -A /sys/fs/cgroup/pids | wc -l); echo cpus=$(ls -A /sys/fs/cgroup/cpuset | wc -l)
echo keysmount=$(awk '\''$5 == "/proc/keys" {print "masked"}'\'' /proc/self/mountinfo)'
	expect_eq "a masked path below the cgroup mount: run exit 0" 0 "$RC"
	expect_match "a masked path below the last mount, the cgroup one, is masked over what it shows" '^pids=0$' "$OUT"
	expect_match "... the hierarchies beside it are there" '^cpus=[1-9]' "$OUT"
	expect_match "... and the other masks hold" '^keysmount=masked$' "$OUT"
fi

# --- a mount over a symlink that escapes the rootfs must stay inside it
b=$(mkb escape)
ln -s /../../../../tmp "$b/rootfs/escape"
mkdir -p "$TMP/escsrc"
cfg "$b" 'c["mounts"].append({"destination": "/escape/ctr-escape-" + argv[1], "type": "bind", "source": argv[0], "options": ["bind"]})' "$TMP/escsrc" "$$"
runb "$b" 'true'
check "mount destination through a symlink stays in the rootfs" test ! -e "/tmp/ctr-escape-$$"
rmdir "/tmp/ctr-escape-$$" 2>/dev/null

finish
