#!/bin/bash
# The default /dev devices and symlinks, and linux.devices.
. "$(dirname "$0")/lib.sh"

b=$(mkb devs)
cfg "$b" '
c["linux"]["devices"] = [
  {"path": "/dev/mynull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o640, "uid": 1000, "gid": 1000},
  {"path": "/dev/myfifo", "type": "p", "fileMode": 0o600},
]
c["linux"].setdefault("resources", {})["devices"] = [{"allow": True, "access": "rwm"}]'
runb "$b" '
for d in null zero full random urandom tty; do stat -c "dev %n %F %t:%T %a" /dev/$d; done
for l in fd stdin stdout stderr ptmx; do echo "link $l $(readlink /dev/$l)"; done
stat -c "my %n %F %t:%T %a %u %g" /dev/mynull /dev/myfifo
echo hello > /dev/mynull && echo mynull-writable
head -c 4 /dev/zero | od -An -tx1 | tr -d " "
echo ---
ls -l /dev'
expect_eq "devices: run exit 0" 0 "$RC"
for want in "null 1:3" "zero 1:5" "full 1:7" "random 1:8" "urandom 1:9" "tty 5:0"; do
	set -- $want
	expect_match "default device /dev/$1 is char $2, mode 666" "^dev /dev/$1 character special file $2 666\$" "$OUT"
done
expect_match "symlink /dev/fd -> /proc/self/fd" '^link fd /proc/self/fd$' "$OUT"
expect_match "symlink /dev/stdin -> /proc/self/fd/0" '^link stdin /proc/self/fd/0$' "$OUT"
expect_match "symlink /dev/stdout -> /proc/self/fd/1" '^link stdout /proc/self/fd/1$' "$OUT"
expect_match "symlink /dev/stderr -> /proc/self/fd/2" '^link stderr /proc/self/fd/2$' "$OUT"
expect_match "symlink /dev/ptmx -> pts/ptmx" '^link ptmx pts/ptmx$' "$OUT"
expect_match "linux.devices: /dev/mynull char 1:3 mode 640 uid/gid 1000" '^my /dev/mynull character special file 1:3 640 1000 1000$' "$OUT"
expect_match "linux.devices: /dev/myfifo is a fifo" '^my /dev/myfifo fifo 0:0 600 0 0$' "$OUT"
expect_match "linux.devices: /dev/mynull is usable" '^mynull-writable$' "$OUT"
expect_match "/dev/zero reads zeros" '^00000000$' "$OUT"
echo "# ls -l /dev in the container:"
printf '%s\n' "$OUT" | sed -n '/^---$/,$p' | sed 's/^/#   /'

# fileMode with the node's file type bits, as podman writes it (st_mode of the
# host node: 020666 for /dev/fuse): accepted, masked to the permissions; type
# bits that contradict "type" (S_IFBLK on a "c" device) only warn.
b=$(mkb devmode)
cfg "$b" '
c["linux"]["devices"] = [
  {"path": "/dev/podnull", "type": "c", "major": 1, "minor": 3, "fileMode": 0o20620},
  {"path": "/dev/oddnull", "type": "c", "major": 1, "minor": 5, "fileMode": 0o60640},
]
c["linux"].setdefault("resources", {})["devices"] = [{"allow": True, "access": "rwm"}]'
runb "$b" 'stat -c "my %n %F %t:%T %a" /dev/podnull /dev/oddnull'
expect_eq "fileMode with type bits: run exit 0" 0 "$RC"
expect_match "fileMode 020620 on a c device: char 1:3, mode 620" '^my /dev/podnull character special file 1:3 620$' "$OUT"
expect_match "fileMode 060640 on a c device: still a char device, mode 640" '^my /dev/oddnull character special file 1:5 640$' "$OUT"
expect_match "type bits that contradict type: one warning naming the field" \
	'linux.devices\[1\].fileMode: the file type bits 060000 contradict \\?"type\\?": \\?"c\\?"' "$OUT"
expect_nomatch "type bits that agree with type: no warning" 'linux.devices\[0\]' "$OUT"
cfg "$b" 'c["linux"]["devices"] = [{"path": "/dev/x", "type": "c", "major": 1, "minor": 3, "fileMode": 0o202666}]'
runb "$b" true
expect_eq "fileMode beyond type and permission bits: refused" 1 "$RC"
expect_match "fileMode beyond type and permission bits: the error names the field" \
	'config.json: linux.devices\[0\].fileMode: 0202666 has bits beyond' "$OUT"

finish
