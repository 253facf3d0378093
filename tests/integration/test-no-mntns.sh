#!/bin/bash
# A config without a mount namespace (issue 13 item 1; config-linux.md: "If
# a namespace type is not specified in the namespaces array, the container
# MUST inherit the runtime namespace of that type").  The container runs in
# the caller's mount namespace, its rootfs entered with chroot; every mount
# the config asks for is made there, below a private bind of the rootfs
# (visible on the host while it runs, in no other namespace), and delete
# (also after a failed create) unmounts exactly that bind.
. "$(dirname "$0")/lib.sh"

nomnt() { cfg "$1" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "mount"]'; }

# --- run: the rootfs and the config's mounts (/proc, /dev, /dev/pts, /sys, a tmpfs, a bind) are there
b=$(mkb nomnt)
nomnt "$b"
mkdir -p "$TMP/shared"
echo from-host >"$TMP/shared/f"
cfg "$b" 'c["mounts"].append({"destination": "/data", "type": "bind", "source": argv[0], "options": ["rbind", "ro"]})
c["mounts"].append({"destination": "/scratch", "type": "tmpfs", "source": "tmpfs", "options": ["size=1m"]})' "$TMP/shared"
runb "$b" 'echo mntns=$(readlink /proc/self/ns/mnt); test -x /bin/busybox && echo rootfs-ok; cat /data/f; grep -q " /scratch " /proc/self/mountinfo && echo scratch-mounted; test -c /dev/null && echo devnull; echo pid=$$; touch /data/x 2>/dev/null || echo data-ro'
expect_eq "no mount namespace: run exit 0" 0 "$RC"
expect_eq "no mount namespace: the caller's" "$(readlink /proc/self/ns/mnt)" "$(printf '%s\n' "$OUT" | sed -n 's/^mntns=//p')"
expect_match "no mount namespace: / is the rootfs (chroot)" '^rootfs-ok$' "$OUT"
expect_match "no mount namespace: the bind mount is there" '^from-host$' "$OUT"
expect_match "no mount namespace: ... read-only" '^data-ro$' "$OUT"
expect_match "no mount namespace: the tmpfs is there" '^scratch-mounted$' "$OUT"
expect_match "no mount namespace: the default devices" '^devnull$' "$OUT"
expect_match "no mount namespace: its own pid namespace still" '^pid=1$' "$OUT"
expect_eq "no mount namespace: after delete, no mount left under the bundle" "" "$(mounts_in "$b")"
expect_eq "no mount namespace: nothing left in the state root" "" "$(state_left)"

# --- running: its mounts are seen on the host, under the rootfs only; exec enters its root
b=$(mkb nomnt2)
nomnt "$b"
args "$b" 'echo started >/tmp/started; exec sleep 1000'
ctr run -d -b "$b" nomnt2 </dev/null >"$TMP/nomnt2.out" 2>&1
expect_eq "no mount namespace: run -d exit 0" 0 "$?"
track_pid "$(ctr state nomnt2 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null)"
check "no mount namespace: the host sees its /proc mount under the rootfs" test -n "$(mounts_in "$b/rootfs/proc")"
out=$(ctr exec nomnt2 sh -c 'cat /tmp/started; ls /data 2>&1 | head -1; test -d /bin && echo in-rootfs' 2>&1)
expect_match "no mount namespace: exec runs in the container's root" '^started$' "$out"
expect_match "no mount namespace: exec: / is the rootfs" '^in-rootfs$' "$out"
ctr delete --force nomnt2 >/dev/null 2>&1
expect_eq "no mount namespace: delete --force: no mount left" "" "$(mounts_in "$b")"

# --- a failed create (a mount that cannot be made) leaves no mount
b=$(mkb nomnt3)
nomnt "$b"
cfg "$b" 'c["mounts"].append({"destination": "/bad", "type": "no-such-fs", "source": "none"})'
refused "no mount namespace, failing mount" "$b" 'mounts\[[0-9]+\] \(/bad\)' run -b "$b" nomnt3

# --- no_pivot makes no sense without one (it would move the rootfs over the host's /)
b=$(mkb nomnt4)
nomnt "$b"
refused "no mount namespace with --no-pivot" "$b" 'without a mount namespace.*no_pivot' run --no-pivot -b "$b" nomnt4
finish
