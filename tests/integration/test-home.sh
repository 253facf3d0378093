#!/bin/bash
# HOME, as runc sets it: when process.env has no HOME, the home of the
# process's uid in the container's own /etc/passwd ("/" when the user is not
# there), for the init and for exec; read beneath the container's root, so a
# hostile /etc/passwd (a symlink out of the root, a FIFO) neither reaches the
# host nor stalls the runtime.
. "$(dirname "$0")/lib.sh"

home_of() { # BUNDLE UID [ENV-JSON]: run the bundle as UID, print $HOME
	cfg "$1" 'c["process"]["user"] = {"uid": int(argv[0]), "gid": int(argv[0])}
c["process"]["env"] = json.loads(argv[1])' "$2" "${3:-[\"PATH=/bin:/usr/bin\"]}"
	runb "$1" 'echo "HOME=$HOME"'
}

b=$(mkb h)
home_of "$b" 0
expect_eq "no HOME in process.env, uid 0: root's home from the container's /etc/passwd" "HOME=/root" "$OUT"
home_of "$b" 1000
expect_eq "uid 1000: its home" "HOME=/home/user" "$OUT"
home_of "$b" 4321
expect_eq "a uid /etc/passwd does not list: /" "HOME=/" "$OUT"
home_of "$b" 1000 '["PATH=/bin", "HOME=/given"]'
expect_eq "HOME in process.env is kept" "HOME=/given" "$OUT"
home_of "$b" 0 '["PATH=/bin", "HOME="]'
expect_eq "an empty HOME in process.env is kept" "HOME=" "$OUT"
cfg "$b" 'c["process"]["user"] = {"uid": 0, "gid": 0}; c["process"]["env"] = ["PATH=/bin"]'
ctr create -b "$b" hc </dev/null >/dev/null 2>&1
expect_eq "the container's config.json stays as given (no HOME written into it): exec as another user gets its own" \
	'["PATH=/bin"]' "$(python3 -c 'import json,sys; print(json.dumps(json.load(open(sys.argv[1]))["process"]["env"]))' "$ROOT/hc/config.json" 2>&1)"
ctr delete -f hc >/dev/null 2>&1

# no /etc/passwd at all
rm "$b/rootfs/etc/passwd"
home_of "$b" 0
expect_eq "no /etc/passwd: /" "HOME=/" "$OUT"

# a symlink out of the root: resolved inside it (RESOLVE_IN_ROOT), never the host's file
mkdir -p "$TMP/host/etc"
echo 'root:x:0:0:root:/HOST-FILE:/bin/sh' >"$TMP/host/etc/passwd"
ln -sf "../../../../../../../../../../$TMP/host/etc/passwd" "$b/rootfs/etc/passwd"
home_of "$b" 0
expect_eq "/etc/passwd a symlink out of the root: the host's file is not read" "HOME=/" "$OUT"
ln -sf "/etc/passwd.real" "$b/rootfs/etc/passwd"
echo 'root:x:0:0:root:/in-root:/bin/sh' >"$b/rootfs/etc/passwd.real"
home_of "$b" 0
expect_eq "an absolute symlink resolves in the container's root" "HOME=/in-root" "$OUT"

# a FIFO: a clear error at once, not a runtime blocked in open or read
rm -f "$b/rootfs/etc/passwd"
mkfifo "$b/rootfs/etc/passwd"
t0=$(date +%s)
home_of "$b" 0
expect_eq "/etc/passwd a FIFO: create fails" 1 "$RC"
expect_match "/etc/passwd a FIFO: the error names the file and the fix" \
	'rootfs/etc/passwd is not a regular file: HOME cannot be looked up; set HOME in process.env' "$OUT"
check "/etc/passwd a FIFO: no wait" [ $(($(date +%s) - t0)) -lt 10 ]
expect_eq "/etc/passwd a FIFO: nothing left behind" "" "$(state_left)"
home_of "$b" 0 '["PATH=/bin", "HOME=/x"]'
expect_eq "with HOME given, /etc/passwd is not read at all" "HOME=/x" "$OUT"
rm -f "$b/rootfs/etc/passwd"
cp "$CTR_BUNDLE/rootfs/etc/passwd" "$b/rootfs/etc/passwd"

# exec: HOME of the exec's own uid, from /etc/passwd beneath the init's root
b=$(mkb hx)
cfg "$b" 'c["process"]["env"] = ["PATH=/bin:/usr/bin"]'
args "$b" 'exec sleep 1000'
ctr run -d -b "$b" hx </dev/null >/dev/null 2>&1
wait_status hx running
track_pid "$(jget "$(ctr state hx)" 'd["pid"]')"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec hx sh -c 'echo "$HOME"' </dev/null 2>&1)
expect_eq "exec: root's home" "/root" "$out"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec -u 1000:1000 hx sh -c 'echo "$HOME"' </dev/null 2>&1)
expect_eq "exec -u 1000: that user's home" "/home/user" "$out"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec -e HOME=/mine -u 1000 hx sh -c 'echo "$HOME"' </dev/null 2>&1)
expect_eq "exec -e HOME=...: kept" "/mine" "$out"
# the container changes its own /etc/passwd: exec reads the container's file, as it is now
timeout 30 "$CTR_DEMO" --root "$ROOT" exec hx sh -c 'echo "x:x:777:777::/changed:/bin/sh" >>/etc/passwd' </dev/null
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec -u 777 hx sh -c 'echo "$HOME"' </dev/null 2>&1)
expect_eq "exec: the container's /etc/passwd as it is now" "/changed" "$out"
printf '{"args":["sh","-c","echo $HOME"],"cwd":"/","user":{"uid":1000,"gid":1000},"env":["PATH=/bin"]}' >"$TMP/p.json"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec -p "$TMP/p.json" hx </dev/null 2>&1)
expect_eq "exec -p process.json without HOME: the uid's home" "/home/user" "$out"
ctr delete -f hx >/dev/null 2>&1

finish
