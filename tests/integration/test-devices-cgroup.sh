#!/bin/bash
# Device access control through cgroups (lib/linux/cgroup-devices.c), for real:
# the cgroup v2 eBPF device program under /sys/fs/cgroup/unified (cgroup2 is
# mounted there on a v1/v2 hybrid host, at /sys/fs/cgroup on a pure v2 one)
# and the v1 devices controller.  A shell moved into a child cgroup opens
# nodes made with mknod in a private tmpdir: the allowed ones open, a denied
# one fails with EPERM (an allowed node of a major no driver owns fails with
# ENXIO instead, which tells "the cgroup said no" from "no such device").
. "$(dirname "$0")/lib.sh"

APPLY=${CTR_CGDEV_APPLY:-$CTR_BUILD_ROOT/tests/linux/cgdev-apply}
if [ ! -x "$APPLY" ]; then
	echo "Bail out! CTR_CGDEV_APPLY is not the cgdev-apply test driver ('$APPLY')"
	exit 1
fi

mknod "$TMP/null" c 1 3
mknod "$TMP/x7" c 240 7 # a major no driver owns: ENXIO when the cgroup lets it through
mknod "$TMP/x8" c 240 8

# in_cg CGROUP_DIR SCRIPT: run sh -c SCRIPT inside the cgroup; OUT gets stdout+stderr
in_cg() {
	OUT=$(cd "$TMP" && sh -c 'echo $$ > "$1/cgroup.procs" && exec sh -c "$2"' sh "$1" "$2" 2>&1)
}
# probe: what opening each node for reading and for writing gives
PROBE='for n in null x7 x8; do
	if e=$( (: < $n) 2>&1); then echo "$n r ok"; else echo "$n r ${e##*: }"; fi
	if e=$( (: > $n) 2>&1); then echo "$n w ok"; else echo "$n w ${e##*: }"; fi
done'
EPERM="Operation not permitted"
ENXIO="No such device or address"

# check_defaults VERSION CGROUP_DIR: what the default rules mean, for real
check_defaults() {
	in_cg "$2" "$PROBE"
	expect_match "$1 defaults: /dev/null's node reads" '^null r ok$' "$OUT"
	expect_match "$1 defaults: /dev/null's node writes" '^null w ok$' "$OUT"
	expect_match "$1 defaults: c 240:7 is refused with EPERM" "^x7 r $EPERM\$" "$OUT"
	expect_match "$1 defaults: c 240:7 write refused with EPERM" "^x7 w $EPERM\$" "$OUT"
	in_cg "$2" 'mknod made c 240 9 && echo mknod-ok; (: < made) 2>&1; rm -f made'
	expect_match "$1 defaults: mknod is allowed (c *:* m)" '^mknod-ok$' "$OUT"
	expect_match "$1 defaults: the node made inside cannot be opened" "$EPERM" "$OUT"
}

v2_root=
for d in /sys/fs/cgroup/unified /sys/fs/cgroup; do
	[ "$(stat -f -c %T "$d" 2>/dev/null)" = cgroup2fs ] && { v2_root=$d; break; }
done

if [ -z "$v2_root" ]; then
	skip "cgroup v2 device program" "no cgroup2 mount"
else
	CG=$v2_root/ctr-devtest-$$
	mkdir "$CG"
	at_cleanup "rmdir '$CG'"
	if ! err=$("$APPLY" v2 "$CG" '[]' 2>&1); then
		notok "v2: the default rules load and attach" "$err"
	else
		ok "v2: the default rules load and attach"
		expect_match "v2: one program named ctr_devices on the cgroup" '^[0-9]+ ctr_devices$' \
			"$("$APPLY" progs "$CG")"
		first=$("$APPLY" progs "$CG")
		check_defaults v2 "$CG"

		# update: allow 240:7 for reading only, deny null for writing
		check "v2 update applies" "$APPLY" v2 "$CG" '[{"allow": false, "access": "rwm"},
			{"allow": true, "type": "c", "major": 240, "minor": 7, "access": "r"},
			{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}]'
		now=$("$APPLY" progs "$CG")
		expect_eq "v2 update: still exactly one ctr_devices program" 1 "$(printf '%s\n' "$now" | grep -c ctr_devices)"
		if [ "$now" != "$first" ]; then ok "v2 update: the program was replaced (new id)"; else notok "v2 update: the program was replaced (new id)" "$now"; fi
		in_cg "$CG" "$PROBE"
		expect_match "v2 update: c 240:7 now passes the cgroup for reading (ENXIO)" "^x7 r $ENXIO\$" "$OUT"
		expect_match "v2 update: c 240:7 still refused for writing" "^x7 w $EPERM\$" "$OUT"
		expect_match "v2 update: c 240:8 still refused" "^x8 r $EPERM\$" "$OUT"
		expect_match "v2 update: null still reads" '^null r ok$' "$OUT"
		expect_match "v2 update: the later deny of null for writing wins" "^null w $EPERM\$" "$OUT"

		# a wildcard allow, then a narrower deny: last match wins in v2
		check "v2 wildcard then deny applies" "$APPLY" v2 "$CG" '[{"allow": true, "type": "c", "major": 240, "access": "rw"},
			{"allow": false, "type": "c", "major": 240, "minor": 8, "access": "rw"}]'
		in_cg "$CG" "$PROBE"
		expect_match "v2: c 240:* allows 240:7" "^x7 w $ENXIO\$" "$OUT"
		expect_match "v2: the later deny of 240:8 wins over the wildcard" "^x8 w $EPERM\$" "$OUT"
		expect_eq "v2: after three applies one program" 1 "$("$APPLY" progs "$CG" | grep -c ctr_devices)"
	fi
fi

V1=/sys/fs/cgroup/devices
if [ ! -f "$V1/devices.allow" ] && [ "$v2_root" = /sys/fs/cgroup ]; then
	: # a pure cgroup v2 host: the eBPF program above is its device control; v1's is tested on v1 and hybrid hosts
elif [ ! -f "$V1/devices.allow" ]; then
	skip "cgroup v1 devices" "no v1 devices controller"
else
	CG1=$V1/ctr-devtest-$$
	mkdir "$CG1"
	at_cleanup "rmdir '$CG1'"
	check "v1: the default rules are written" "$APPLY" v1 "$CG1" '[]'
	expect_eq "v1: devices.list holds the defaults" "c *:* m
b *:* m
c 1:3 rwm
c 1:5 rwm
c 1:7 rwm
c 1:8 rwm
c 1:9 rwm
c 5:0 rwm
c 5:1 rwm
c 5:2 rwm
c 136:* rwm" "$(cat "$CG1/devices.list")"
	check_defaults v1 "$CG1"

	check "v1 update applies" "$APPLY" v1 "$CG1" '[{"allow": false, "access": "rwm"},
		{"allow": true, "type": "c", "major": 240, "minor": 7, "access": "r"},
		{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}]'
	expect_match "v1 update: devices.list has c 240:7 r" '^c 240:7 r$' "$(cat "$CG1/devices.list")"
	# the update went from one deny-by-default list to the other (add, then
	# remove): the result is what a fresh cgroup gets from the same rules
	CG1B=$V1/ctr-devtest-fresh-$$
	mkdir "$CG1B"
	at_cleanup "rmdir '$CG1B'"
	"$APPLY" v1 "$CG1B" '[{"allow": false, "access": "rwm"},
		{"allow": true, "type": "c", "major": 240, "minor": 7, "access": "r"},
		{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}]'
	expect_eq "v1 update: the list equals a fresh cgroup's" "$(sort "$CG1B/devices.list")" "$(sort "$CG1/devices.list")"
	expect_match "v1 update: null lost w" '^c 1:3 rm$' "$(cat "$CG1/devices.list")"
	in_cg "$CG1" "$PROBE"
	expect_match "v1 update: c 240:7 passes for reading (ENXIO)" "^x7 r $ENXIO\$" "$OUT"
	expect_match "v1 update: c 240:7 refused for writing" "^x7 w $EPERM\$" "$OUT"
	expect_match "v1 update: null still reads" '^null r ok$' "$OUT"
	expect_match "v1 update: the deny of null for writing wins" "^null w $EPERM\$" "$OUT"

	# allow everything, then deny one: v1's default-allow mode with a deny exception
	check "v1 allow-all then deny applies" "$APPLY" v1 "$CG1" '[{"allow": true, "access": "rwm"},
		{"allow": false, "type": "c", "major": 240, "minor": 8, "access": "rw"}]'
	in_cg "$CG1" "$PROBE"
	expect_match "v1 allow-all: 240:7 passes (ENXIO)" "^x7 w $ENXIO\$" "$OUT"
	expect_match "v1 allow-all: the deny of 240:8 holds" "^x8 w $EPERM\$" "$OUT"

	# what v1 cannot say is refused, and the cgroup keeps its rules
	before=$(cat "$CG1/devices.list")
	err=$("$APPLY" v1 "$CG1" '[{"allow": true, "type": "c", "major": 240, "access": "rw"},
		{"allow": false, "type": "c", "major": 240, "minor": 8, "access": "w"}]' 2>&1)
	rc=$?
	expect_eq "v1: a deny inside an earlier wildcard allow is refused" 1 "$rc"
	expect_match "v1: the error names the rule and the fix" "deny c 240:8 w.*cgroup v1 cannot deny 'w'.*use cgroup v2" "$err"
	expect_eq "v1: the refused list left the cgroup as it was" "$before" "$(cat "$CG1/devices.list")"
fi

# ---- real containers: the cgroup code applies these rules at create
# fuse (10:229) and tun (10:200) are misc devices any root can open, so an
# EPERM on them is the cgroup's doing.  The container gets CAP_MKNOD so that it
# can make nodes itself.
CPROBE='for n in /dev/null /dev/myfuse /tmp/tun; do
	if e=$( (: <$n) 2>&1); then echo "$n r ok"; else echo "$n r ${e##*: }"; fi
	if e=$( (: >$n) 2>&1); then echo "$n w ok"; else echo "$n w ${e##*: }"; fi
done'
# mkc NAME RESOURCES_DEVICES_JSON: a bundle with /dev/myfuse in linux.devices
mkc() {
	local b
	b=$(mkb "$1")
	cfg "$b" 'c["linux"]["devices"] = [{"path": "/dev/myfuse", "type": "c", "major": 10, "minor": 229}]
c["linux"]["cgroupsPath"] = "/ctr-devtest-" + argv[1]
c["linux"].setdefault("resources", {})["devices"] = json.loads(argv[0])
c["process"].setdefault("capabilities", {})
for k in ("bounding", "effective", "permitted"): c["process"]["capabilities"].setdefault(k, []).append("CAP_MKNOD")' "$2" "$1-$$"
	echo "$b"
}
b=$(mkc cdefault '[{"allow": false, "access": "rwm"}]')
runb "$b" "mknod /tmp/tun c 10 200 && echo MKNOD-OK; $CPROBE"
expect_eq "container: run exit 0" 0 "$RC"
expect_match "container: /dev/null opens" '^/dev/null w ok$' "$OUT"
expect_match "container: its linux.devices node opens" '^/dev/myfuse r ok$' "$OUT"
expect_match "container: mknod of another device is allowed" '^MKNOD-OK$' "$OUT"
expect_match "container: the node it made cannot be opened (EPERM)" "^/tmp/tun r $EPERM\$" "$OUT"

# no cgroup namespace (runc's spec): on a v1 or hybrid host the v1 cgroups are made after the
# clone, on a pure v2 one the device program loaded and attached after it, and the rules are in
# place once the child has its go (create_cgroups_late).
# A createContainer hook is the first thing not libctr's that runs in the container (in its
# cgroups, before pivot_root): it already finds them, as the program does.
b=$(mkc clate '[{"allow": false, "access": "rwm"}]')
cfg "$b" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"]
c.setdefault("hooks", {})["createContainer"] = [{"path": "/bin/sh", "args": ["sh", "-c",
    "mknod %s/hooktun c 10 200 && if (: <%s/hooktun) 2>/dev/null; then echo open; else echo refused; fi >%s/hook.out" % (argv[0], argv[0], argv[0])]}]' "$b/rootfs"
runb "$b" "mknod /tmp/tun c 10 200 && echo MKNOD-OK; $CPROBE"
expect_eq "late cgroups: run exit 0" 0 "$RC"
expect_eq "late cgroups: a createContainer hook finds the rules in place (tun refused)" refused "$(cat "$b/rootfs/hook.out" 2>&1)"
expect_match "late cgroups: its linux.devices node opens" '^/dev/myfuse r ok$' "$OUT"
expect_match "late cgroups: the node it made cannot be opened (EPERM)" "^/tmp/tun r $EPERM\$" "$OUT"

b=$(mkc crules '[{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 10, "minor": 200, "access": "r"},
	{"allow": false, "type": "c", "major": 1, "minor": 3, "access": "w"}, {"allow": false, "type": "c", "major": 10, "minor": 229, "access": "rw"}]')
runb "$b" "mknod /tmp/tun c 10 200; $CPROBE"
expect_match "resources allow: the mknod'ed tun opens for reading" '^/tmp/tun r ok$' "$OUT"
expect_match "resources allow r only: not for writing" "^/tmp/tun w $EPERM\$" "$OUT"
expect_match "resources deny: /dev/null is not writable" "^/dev/null w $EPERM\$" "$OUT"
expect_match "resources deny: /dev/null still reads" '^/dev/null r ok$' "$OUT"
expect_match "resources deny beats linux.devices" "^/dev/myfuse r $EPERM\$" "$OUT"

# update of a running container: the allow takes effect (on v2 the one program is replaced)
b=$(mkc cupd '[{"allow": false, "access": "rwm"}]')
args "$b" 'mknod /tun c 10 200
probe() { if e=$( (: </tun) 2>&1); then echo "tun r ok"; else echo "tun r ${e##*: }"; fi
	if e=$( (: </dev/myfuse) 2>&1); then echo "myfuse r ok"; else echo "myfuse r ${e##*: }"; fi; }
while [ ! -e /go1 ]; do sleep 0.05; done; probe >/out1.tmp; mv /out1.tmp /out1
while [ ! -e /go2 ]; do sleep 0.05; done; probe >/out2.tmp; mv /out2.tmp /out2'
# waitf FILE: up to 10 s
waitf() { for _ in $(seq 200); do [ -e "$1" ] && return 0; sleep 0.05; done; return 1; }
if ctr create -b "$b" cupd >/dev/null 2>&1 </dev/null && ctr start cupd >/dev/null 2>&1; then
	touch "$b/rootfs/go1"
	waitf "$b/rootfs/out1"
	expect_eq "update: before, the mknod'ed tun is refused" "tun r $EPERM
myfuse r ok" "$(cat "$b/rootfs/out1" 2>&1)"
	pid=$(ctr state cupd 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null)
	cg2=$(sed -n 's/^0:://p' "/proc/$pid/cgroup" 2>/dev/null)
	before=$([ -n "$v2_root" ] && "$APPLY" progs "$v2_root$cg2" 2>&1)
	if [ -n "$v2_root" ] && [ -f "$V1/devices.allow" ]; then
		# hybrid: the v1 devices controller enforces the rules (checked above and
		# below); no cgroup2 program repeats them (BPF_PROG_LOAD is the dearest
		# step of a create).  One an older libctr attached must be replaced by
		# an update, or it would go on refusing what the update allows.
		expect_eq "hybrid: no ctr_devices program on the container's cgroup2 dir" 0 \
			"$(printf '%s\n' "$before" | grep -c ctr_devices)"
		check "hybrid: an older libctr's program (the default rules) attached" "$APPLY" v2 "$v2_root$cg2" '[]'
		before=$("$APPLY" progs "$v2_root$cg2" 2>&1)
	fi
	echo '{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 10, "minor": 200, "access": "rw"}]}' >"$TMP/upd.json"
	check "update --resources with devices" ctr update --resources "$TMP/upd.json" cupd
	touch "$b/rootfs/go2"
	waitf "$b/rootfs/out2"
	expect_eq "update: after, the tun opens and linux.devices still does" "tun r ok
myfuse r ok" "$(cat "$b/rootfs/out2" 2>&1)"
	if [ -n "$v2_root" ]; then
		after=$("$APPLY" progs "$v2_root$cg2" 2>&1)
		expect_eq "update: the container's cgroup2 dir holds one ctr_devices program" 1 "$(printf '%s\n' "$after" | grep -c ctr_devices)"
		if [ "$before" != "$after" ] && [ -n "$before" ]; then ok "update: the program was replaced"; else notok "update: the program was replaced" "before: $before" "after: $after"; fi
	fi
	ctr delete -f cupd >/dev/null 2>&1
else
	notok "update: create and start the container" "$(ctr create -b "$b" cupd2 2>&1 </dev/null)"
fi

finish
