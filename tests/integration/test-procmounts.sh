#!/bin/bash
# Mounts on /proc and inside it, as runc allows them: inside /proc only over the
# files lxcfs emulates; on /proc itself a filesystem of type proc, or a bind from
# a procfs.  Destinations are compared cleaned ("//proc/./sys/", "/proc/../proc/sys").
# A refused config fails at create, names mounts[i] and leaves nothing behind.
. "$(dirname "$0")/lib.sh"

# addmount BUNDLE JSON: append a mount
addmount() { cfg "$1" 'c["mounts"].append(json.loads(argv[0]))' "$2"; }
# procmount BUNDLE JSON: replace the bundle's /proc mount
procmount() { cfg "$1" 'c["mounts"] = [json.loads(argv[0]) if m["destination"] == "/proc" else m for m in c["mounts"]]' "$2"; }

printf 'fake cpuinfo\n' >"$TMP/cpuinfo"
printf '12345.67 0.00\n' >"$TMP/uptime"
mkdir -p "$TMP/dir"
printf 'x\n' >"$TMP/dir/file"

# ---- accepted ----
b=$(mkb lxcfs)
addmount "$b" "{\"destination\": \"/proc/cpuinfo\", \"type\": \"bind\", \"source\": \"$TMP/cpuinfo\", \"options\": [\"bind\", \"ro\"]}"
addmount "$b" "{\"destination\": \"//proc/./uptime\", \"type\": \"bind\", \"source\": \"$TMP/uptime\", \"options\": [\"bind\", \"ro\"]}"
runb "$b" 'cat /proc/cpuinfo /proc/uptime'
expect_eq "binds over /proc/cpuinfo and //proc/./uptime (lxcfs files): run exit 0" 0 "$RC"
expect_eq "... the container reads them" "fake cpuinfo
12345.67 0.00" "$OUT"

b=$(mkb procfoo)
addmount "$b" "{\"destination\": \"/procfoo\", \"type\": \"bind\", \"source\": \"$TMP/dir\", \"options\": [\"bind\"]}"
runb "$b" 'cat /procfoo/file'
expect_eq "/procfoo is not inside /proc: run exit 0" 0 "$RC"
expect_eq "... and mounted" "x" "$OUT"

b=$(mkb procbind)
procmount "$b" '{"destination": "/proc", "type": "bind", "source": "/proc", "options": ["rbind"]}'
runb "$b" 'test -r /proc/self/status && echo procfs'
expect_eq "a bind from a procfs on /proc: run exit 0" 0 "$RC"
expect_eq "... /proc works" "procfs" "$OUT"

# ---- refused ----
b=$(mkb sysbind)
addmount "$b" "{\"destination\": \"/proc/sys/kernel/core_pattern\", \"type\": \"bind\", \"source\": \"$TMP/cpuinfo\", \"options\": [\"bind\"]}"
refused "a bind over /proc/sys/kernel/core_pattern" "$b" \
	'config\.json: mounts\[[0-9]+\] \(/proc/sys/kernel/core_pattern\): a mount inside /proc could hide or redirect procfs files.*remove it or mount it elsewhere' \
	create -b "$b" sysbind
n=0
for d in /proc/sys '//proc/sys/' '/proc/./sys' '/proc/../proc/sys' '/proc/sys/../sysrq-trigger' /proc/self/attr/exec \
	/proc/thread-self/attr/apparmor/exec /proc/1 /proc/net /proc/net/dev/x '/dev/../proc/kcore'; do
	n=$((n + 1))
	b=$(mkb inside$n)
	addmount "$b" "$(python3 -c 'import json, sys; print(json.dumps({"destination": sys.argv[1], "type": "tmpfs", "source": "tmpfs"}))' "$d")"
	refused "a tmpfs at $d" "$b" 'config\.json: mounts\[[0-9]+\] \(.*\): a mount inside /proc could hide or redirect' \
		create -b "$b" "inside$n"
done
b=$(mkb proctmpfs)
procmount "$b" '{"destination": "/proc", "type": "tmpfs", "source": "tmpfs"}'
refused "a tmpfs on /proc" "$b" \
	'config\.json: mounts\[0\] \(/proc\): only a filesystem of type "proc" may be mounted on /proc, not "tmpfs"' \
	create -b "$b" proctmpfs
b=$(mkb proc2tmpfs)
addmount "$b" '{"destination": "/./proc/", "type": "tmpfs", "source": "tmpfs"}'
refused "a tmpfs on /./proc/ after the procfs" "$b" 'mounts\[[0-9]+\] \(/\./proc/\): only a filesystem of type "proc"' \
	create -b "$b" proc2tmpfs
b=$(mkb procdirbind)
procmount "$b" "{\"destination\": \"/proc\", \"type\": \"bind\", \"source\": \"$TMP/dir\", \"options\": [\"rbind\"]}"
refused "a bind from a directory that is not procfs on /proc" "$b" \
	"config\\.json: mounts\\[0\\] \\(/proc\\): a bind mount on /proc must come from a procfs, and $TMP/dir is not on one" \
	create -b "$b" procdirbind
finish
