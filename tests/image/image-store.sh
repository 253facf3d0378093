#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The layer store and containers from images: run --image (overlay rootfs),
# whiteouts across layers, Entrypoint/Cmd and User conversion, a second
# import extracts nothing, concurrent imports, a crash half-way, prune, and
# delete leaving no mount and no upper dir.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/image-lib.sh"

# A busybox image with three layers: the second deletes and replaces files of the first.
mk "$TMP/bb" '{"images":[{"tag":"latest","config":{"Entrypoint":["/bin/echo","ep"],"Cmd":["default","cmd"],
  "Env":["FOO=bar","PATH=/bin"],"WorkingDir":"/work","User":"alice","ExposedPorts":{"80/tcp":{}},
  "StopSignal":"SIGQUIT","Labels":{"org.example.l":"v"}},
 "layers":['"$BB"',
  [{"path":"a","type":"dir"},{"path":"a/keep","data":"k\n"},{"path":"a/gone","data":"g\n"},
   {"path":"opq","type":"dir"},{"path":"opq/old","data":"o\n"},{"path":"work","type":"dir","mode":511}],
  [{"path":"a/.wh.gone","data":""},{"path":"opq/.wh..wh..opq","data":""},{"path":"opq/new","data":"n\n"}]]}]}'

OUT=$(img image import --progress plain "oci:$TMP/bb:latest" bb 2>&1)
check "import a three-layer busybox image" [ $? = 0 ]
expect_match "--progress plain: a line per layer" "^layer 3/3 sha256:[0-9a-f]+: .* entries" "$OUT"
N1=$(ls "$STORE/layers/sha256" | wc -l)
expect_eq "three layers extracted" 3 "$N1"

# --- Entrypoint + Cmd, overridable; Env, WorkingDir, User
OUT=$(img run --image bb --name "r1-$$" </dev/null 2>&1)
expect_eq "run --image: Entrypoint + Cmd" "ep default cmd" "$OUT"
OUT=$(img run --image bb --name "r2-$$" -- one two </dev/null 2>&1)
expect_eq "run --image -- args replace Cmd, keep Entrypoint" "ep one two" "$OUT"

# an image whose Cmd is a shell lets the tests look inside
mk "$TMP/sh" '{"images":[{"tag":"latest","config":{"Cmd":["/bin/sh","-c","true"],"Env":["FOO=bar"],"WorkingDir":"/tmp"},
 "layers":['"$BB"',
  [{"path":"a","type":"dir"},{"path":"a/keep","data":"k\n"},{"path":"a/gone","data":"g\n"},
   {"path":"opq","type":"dir"},{"path":"opq/old","data":"o\n"},{"path":"tmp","type":"dir","mode":511}],
  [{"path":"a/.wh.gone","data":""},{"path":"opq/.wh..wh..opq","data":""},{"path":"opq/new","data":"n\n"}]]}]}'
img image import -q "oci:$TMP/sh:latest" sh >/dev/null 2>&1
OUT=$(img run --image sh --name "r3-$$" -- /bin/sh -c 'ls /a /opq | tr "\n" " "; echo "$FOO $(pwd)"; grep " / / " /proc/self/mountinfo | grep -c overlay' </dev/null 2>&1)
expect_eq "whiteouts and an opaque dir across layers, Env, WorkingDir, overlay root" "/a: keep  /opq: new bar /tmp
1" "$OUT"

n=0
for u in "alice:uid=1000 gid=1000 groups=44,50" "1001:uid=1001 gid=1001 groups=" "1000:50:uid=1000 gid=50 groups=" \
	 "alice:video:uid=1000 gid=44 groups=" "4242:uid=4242 gid=0 groups="; do
	user=${u%:uid=*}
	want=${u#"$user":}
	n=$((n + 1))
	mk "$TMP/u-$n" '{"images":[{"tag":"x","config":{"User":"'$user'","Cmd":["/bin/sh","-c","echo uid=$(id -u) gid=$(id -g) groups=$(cat /proc/self/status | sed -n \"s/^Groups:[[:space:]]*//p\" | tr \" \" , | sed \"s/,$//\")"]},"layers":['"$BB"']}]}'
	OUT=$(img run --image "oci:$TMP/u-$n:x" --name "u$$" </dev/null 2>&1)
	expect_eq "User '$user' resolved through the image's /etc/passwd and /etc/group" "$want" "$OUT"
done
# /etc/passwd a symlink (top layer) to a file of a lower layer: resolved in the merged view
mk "$TMP/u-link" '{"images":[{"tag":"x","config":{"User":"carol","Cmd":["/bin/sh","-c","echo $(id -u):$(id -g)"]},
 "layers":['"$BB"',[{"path":"etc/users","data":"carol:x:2000:2001::/:/bin/sh\n"}],[{"path":"etc/passwd","link":"users"}]]}]}'
OUT=$(img run --image "oci:$TMP/u-link:x" --name "u$$" </dev/null 2>&1)
expect_eq "User through an /etc/passwd symlinked into a lower layer" "2000:2001" "$OUT"
# HOME: the image user's home from the image's /etc/passwd, unless the image's Env has one
mk "$TMP/home" '{"images":[{"tag":"x","config":{"User":"alice","Cmd":["/bin/sh","-c","echo $HOME"]},"layers":['"$BB"']},
 {"tag":"env","config":{"User":"alice","Env":["HOME=/from-env"],"Cmd":["/bin/sh","-c","echo $HOME"]},"layers":['"$BB"']}]}'
OUT=$(img run --image "oci:$TMP/home:x" --name "h$$" </dev/null 2>&1)
expect_eq "run --image: HOME of the image's User from the image's /etc/passwd" "/home/alice" "$OUT"
OUT=$(img run --image "oci:$TMP/home:env" --name "h$$" </dev/null 2>&1)
expect_eq "run --image: HOME from the image's Env wins" "/from-env" "$OUT"
mk "$TMP/u-nobody" '{"images":[{"tag":"x","config":{"User":"nobody","Cmd":["/bin/true"]},"layers":['"$BB"']}]}'
OUT=$(img run --image "oci:$TMP/u-nobody:x" --name "u$$" </dev/null 2>&1)
expect_match "missing user: clear error" "config.User 'nobody': no user 'nobody' in the image's /etc/passwd" "$OUT"
mk "$TMP/u-nogroup" '{"images":[{"tag":"x","config":{"User":"alice:wheel","Cmd":["/bin/true"]},"layers":['"$BB"']}]}'
OUT=$(img run --image "oci:$TMP/u-nogroup:x" --name "u$$" </dev/null 2>&1)
expect_match "missing group: clear error" "no group 'wheel' in the image's /etc/group" "$OUT"

OUT=$(img image inspect bb 2>&1)
expect_match "inspect: layers with ChainIDs and the image config" '"chainID": ?"sha256:[0-9a-f]{64}".*"Entrypoint"' "$(echo $OUT)"

CHAINS=$(echo "$OUT" | python3 -c '
import hashlib, json, sys
d = json.load(sys.stdin)
ids = [l["diffID"] for l in d["layers"]]
want = [ids[0]]
for x in ids[1:]:
    want.append("sha256:" + hashlib.sha256((want[-1] + " " + x).encode()).hexdigest())
print("ok" if want == [l["chainID"] for l in d["layers"]] else "want %s got %s" % (want, [l["chainID"] for l in d["layers"]]))' 2>&1)
expect_eq "ChainIDs as config.md defines them, and the layer dirs are named by them" "ok" \
	"$CHAINS$(for c in $(echo "$OUT" | grep -o '"chainID": *"sha256:[0-9a-f]*"' | grep -o '[0-9a-f]\{64\}'); do [ -d "$STORE/layers/sha256/$c" ] || echo " missing $c"; done)"

# --- a second import extracts nothing
STAMP=$(stat -c %i "$STORE"/layers/sha256/* | sort | tr '\n' ' ')
OUT=$(img image import --progress plain "oci:$TMP/bb:latest" bb-again 2>&1)
expect_match "second import: every layer cached" "layer 3/3 .*cached, nothing extracted" "$OUT"
expect_eq "second import: the same layer dirs" "$STAMP" "$(stat -c %i "$STORE"/layers/sha256/* | sort | tr '\n' ' ')"

# progress: quiet when stderr is not a terminal; on one, each layer's phase with its rate and ETA
OUT=$(img image import "oci:$TMP/bb:latest" bb-quiet 2>&1)
expect_eq "import, stderr not a terminal: no progress output" "0:" "$?:$OUT"
img image rm bb-quiet >/dev/null 2>&1
if command -v script >/dev/null; then
	dd if=/dev/urandom of="$TMP/prog" bs=1M count=24 status=none
	mk "$TMP/progimg" '{"images":[{"tag":"v","config":{"Cmd":["/bin/true"]},"compress":"gzip","layers":['"$BB"',[{"path":"p","file":"'$TMP/prog'"}]]}]}'
	OUT=$(timeout 120 script -qec "$CTR_DEMO --store $STORE image import oci:$TMP/progimg:v progimg" /dev/null 2>&1 | tr '\r' '\n')
	# the blob goes into the store as the extraction reads it: no copy phase of its own
	expect_match "import on a terminal: the extraction phase, with entries" \
		'layer 2/2 sha256:[0-9a-f]+ extracting +\[[# ]+\] .* entries' "$OUT"
	expect_match "import on a terminal: what each layer came to" \
		'layer 2/2 sha256:[0-9a-f]+: done: 24\.[0-9] MiB, 24\.0 MiB unpacked, [0-9]+ entries in [0-9]+s' "$OUT"
	expect_match "import on a terminal: a layer in the store already" 'layer 1/2 sha256:[0-9a-f]+: in the store already \(cached\)' "$OUT"
	expect_eq "import: the layer's blob is in the store, as the source has it" "$(cmp "$(find "$TMP/progimg/blobs" -size +20M)" "$(find "$STORE/blobs" -size +20M)" 2>&1; echo $?)" "0"
	# the store has the layer but lost its blob: the blob alone is copied in (and verified)
	rm -f "$(find "$STORE/blobs" -size +20M)"
	OUT=$(timeout 120 script -qec "$CTR_DEMO --store $STORE image import oci:$TMP/progimg:v progimg" /dev/null 2>&1 | tr '\r' '\n')
	expect_match "import on a terminal: the copy phase, with rate and ETA" \
		'layer 2/2 sha256:[0-9a-f]+ copying +\[[# ]+\] [0-9.]+ [KMG]?i?B/[0-9.]+ MiB [0-9.]+ [KMG]?i?B/s( ETA [0-9]+[smh])?' "$OUT"
	expect_match "import on a terminal: a layer whose blob was copied is cached" 'layer 2/2 sha256:[0-9a-f]+: in the store already \(cached\)' "$OUT"
	expect_eq "import: the lost blob is back" "$(cmp "$(find "$TMP/progimg/blobs" -size +20M)" "$(find "$STORE/blobs" -size +20M)" 2>&1; echo $?)" "0"
	img image rm progimg >/dev/null 2>&1
else
	skip "import on a terminal" "script(1) is not installed (package bsdutils)"
fi
# --- create/delete: overlay mounted in the state dir, nothing left after delete
img create --image bb --name "c1-$$" </dev/null >/dev/null 2>&1
SD=$ROOT/c1-$$
MNT=$(mounts_in "$SD")
expect_eq "create --image mounts the rootfs in the state dir" "$SD/image/rootfs" "$MNT"
check "the upper dir is in the state dir" [ -d "$SD/image/upper" ]
OUT=$(img state "c1-$$" 2>&1)
expect_match "ExposedPorts, StopSignal, labels, os as annotations" \
	'"org.example.l": ?"v".*"org.opencontainers.image.exposedPorts": ?"80/tcp".*"org.opencontainers.image.os": ?"linux".*"org.opencontainers.image.stopSignal": ?"SIGQUIT"' \
	"$(echo "$OUT" | python3 -c 'import json,sys; print(json.dumps(json.load(sys.stdin).get("annotations"), sort_keys=True))' 2>&1)"
img delete "c1-$$" >/dev/null 2>&1
expect_eq "delete: no mount left (mountinfo)" "" "$(grep -F "$SD" /proc/self/mountinfo)"
check "delete: no upper dir and no state dir left" [ ! -e "$SD" ]
expect_eq "delete: the lease is gone" "" "$(ls -A "$STORE/leases")"

# --- a store path longer than fsconfig's 256-byte strings: the layers go to the overlay as fds
# (6.13 and later), else by mount(2) with /proc/self/fd paths (a string over 256 bytes is refused)
LONG=$TMP/$(printf 'l%.0s' $(seq 220))/store
OUT=$("$CTR_DEMO" --root "$ROOT" --store "$LONG" run --image "oci:$TMP/sh:latest" --name "lp$$" -- /bin/sh -c 'grep " / / " /proc/self/mountinfo | grep -c overlay' </dev/null 2>&1)
expect_eq "a store path over 256 bytes still gets an overlay (no fallback)" "1" "$OUT"

# --- no overlay possible (the state root is itself on an overlayfs, which cannot be an upper
# dir): the layers are unpacked flat into the state dir instead, and delete removes them
mkdir -p "$TMP/ovl/l" "$TMP/ovl/u" "$TMP/ovl/w" "$TMP/ovl/m"
if mount -t overlay overlay -o "lowerdir=$TMP/ovl/l,upperdir=$TMP/ovl/u,workdir=$TMP/ovl/w" "$TMP/ovl/m" 2>/dev/null; then
	mkdir "$TMP/ovl/m/state"
	OUT=$("$CTR_DEMO" --root "$TMP/ovl/m/state" --store "$STORE" run --image sh --name "fb$$" -- /bin/sh -c 'ls /a /opq | tr "\n" " "' </dev/null 2>&1)
	# the runtime's stderr is the container's here: nothing but the container's output on it
	expect_eq "copy fallback without overlayfs: same view, and only the container's output" "/a: keep  /opq: new " "$OUT"
	"$CTR_DEMO" --debug --log "$TMP/fb.log" --root "$TMP/ovl/m/state" --store "$STORE" run --image sh --name "fb$$" -- /bin/sh -c true </dev/null
	expect_match "copy fallback: said in the runtime's log (--debug --log)" "overlayfs mount failed.*unpacking the layers" "$(cat "$TMP/fb.log")"
	expect_eq "copy fallback: delete leaves nothing" "" "$(ls -A "$TMP/ovl/m/state")"
	umount "$TMP/ovl/m"
else
	skip "copy fallback without overlayfs" "cannot mount an overlayfs to put the state root on"
fi

# --- a create that fails half-way leaves nothing (bad cwd: fails in the container process)
mk "$TMP/badcwd" '{"images":[{"tag":"x","config":{"Cmd":["/bin/true"],"WorkingDir":"/bin/busybox"},"layers":['"$BB"']}]}'
OUT=$(img run --image "oci:$TMP/badcwd:x" --name "c2-$$" </dev/null 2>&1)
check "a failing create reports an error" [ -n "$OUT" ]
expect_eq "a failing create leaves no mount, state or lease" "" "$(grep -F "$ROOT/c2-$$" /proc/self/mountinfo; ls -A "$ROOT"; ls -A "$STORE/leases")"

# --- create killed (-9) once the image rootfs is mounted, then delete cleans up
# (background jobs run ctr-demo itself, not the img function: $! must be its pid)
HIT=0
for attempt in 1 2 3 4 5; do
	id="k$attempt-$$"
	"$CTR_DEMO" --root "$ROOT" --store "$STORE" create --image bb --name "$id" </dev/null >/dev/null 2>&1 &
	P=$!
	for i in $(seq 400); do grep -qF "$ROOT/$id/image/rootfs" /proc/self/mountinfo && break; sleep 0.002; done
	kill -9 $P 2>/dev/null && HIT=$((HIT + 1))
	wait $P 2>/dev/null
	# A creator killed after its container process left the setup (PDEATHSIG
	# cleared) leaves that process holding the state dir's flock (it inherited
	# the locked fd), and delete would wait for it forever: a lifecycle bug
	# outside the image code, reported.  Kill such an orphan here.
	for pid in $(pgrep -f -- "--name $id\$"); do kill -9 "$pid" 2>/dev/null; done
	timeout 20 "$CTR_DEMO" --root "$ROOT" --store "$STORE" delete --force "$id" >/dev/null 2>&1
	LEFT=$(grep -F "$ROOT/$id" /proc/self/mountinfo; ls -A "$ROOT")
	[ -n "$LEFT" ] && break
done
if [ -z "$LEFT" ]; then ok "create killed half-way ($HIT of $attempt kills landed before create finished): delete leaves no mount or state"
else notok "create killed half-way: delete leaves no mount or state" "$LEFT"; fi

# --- prune: layers in use by a container survive, the rest go
img create --image sh --name "c3-$$" </dev/null >/dev/null 2>&1
img image rm sh >/dev/null 2>&1
OUT=$(img image prune 2>&1)
check "prune keeps the layers of a live container" [ -d "$(ls -d "$STORE"/layers/sha256/* | head -1)" ]
OUT=$(img start "c3-$$" 2>&1; sleep 0.2; img delete --force "c3-$$" 2>&1)
for n in bb bb-again; do img image rm $n >/dev/null 2>&1; done
for n in $(img image ls -q); do img image rm "$n" >/dev/null 2>&1; done
OUT=$(img image prune 2>&1)
expect_match "prune reports what it removed" "^removed [1-9][0-9]*$" "$OUT"
expect_eq "prune: no layer, blob or lease left" "" "$(for d in layers/sha256 blobs/sha256 leases tmp; do ls -A "$STORE/$d"; done)"

# --- two imports of the same image at once
mk "$TMP/big" '{"images":[{"tag":"v","layers":['"$BB"',[{"path":"big1","file":"'$BUSYBOX'"},{"path":"big2","file":"'$BUSYBOX'"}]]}]}'
img image import -q "oci:$TMP/big:v" p1 >"$TMP/p1.out" 2>&1 &
P1=$!
img image import -q "oci:$TMP/big:v" p2 >"$TMP/p2.out" 2>&1 &
P2=$!
wait $P1; R1=$?
wait $P2; R2=$?
if [ "$R1 $R2" = "0 0" ]; then ok "two concurrent imports both succeed"
else notok "two concurrent imports both succeed" "exit codes $R1 $R2" "$(cat "$TMP/p1.out" "$TMP/p2.out")"; fi
expect_eq "concurrent imports: each layer once, both names, no temp left" "2 p1 p2 " \
	"$(ls "$STORE/layers/sha256" | wc -l) $(img image ls -q | tr '\n' ' ')$(ls -A "$STORE/tmp")"

# --- a crash half-way (kill -9 during the import), then import and run again
dd if=/dev/urandom of="$TMP/rand" bs=1M count=48 status=none
mk "$TMP/crash" '{"images":[{"tag":"v","config":{"Cmd":["/bin/cat","/marker"]},"compress":"gzip","layers":['"$BB"',[{"path":"marker","data":"survived\n"},{"path":"rand","file":"'$TMP/rand'"}]]}]}'
img image rm p1 >/dev/null 2>&1; img image rm p2 >/dev/null 2>&1; img image prune >/dev/null 2>&1
# Ctrl-C (SIGINT) cancels an import cleanly
"$CTR_DEMO" --store "$STORE" image import "oci:$TMP/crash:v" cancelled >"$TMP/cancel.out" 2>&1 &
P=$!
for i in $(seq 400); do [ -n "$(ls -A "$STORE/tmp" 2>/dev/null)" ] && break; sleep 0.005; done
kill -INT $P 2>/dev/null
wait $P
RC=$?
expect_match "SIGINT cancels the import: exit 1, no record, no temp left" "^1 cancelled  $" \
	"$RC $(grep -o cancelled "$TMP/cancel.out" | head -1) $(img image ls -q | grep cancelled) $(ls -A "$STORE/tmp")"
"$CTR_DEMO" --store "$STORE" image import -q "oci:$TMP/crash:v" crash >/dev/null 2>&1 &
P=$!
for i in $(seq 200); do [ -n "$(ls -A "$STORE/tmp" 2>/dev/null)" ] && break; sleep 0.01; done
kill -9 $P 2>/dev/null
wait $P 2>/dev/null
LEFT=$(ls -A "$STORE/tmp" | wc -l)
check "kill -9 half-way left work in tmp/ and no image record" [ "$LEFT" -gt 0 ] && ! img image ls -q | grep -q crash
OUT=$(img image import -q "oci:$TMP/crash:v" crash 2>&1 && img run --image crash --name "k$$" </dev/null 2>&1)
expect_eq "import again after the crash, and run" "survived" "$OUT"
expect_eq "the crashed import's temp files were cleaned" "" "$(ls -A "$STORE/tmp")"

# --- a full store: ENOSPC reported as such, never a stale errno of an earlier call (a short write
# sets no errno: on a full file system it comes first, and only the next write says ENOSPC), and the
# store as it was.  Each case on a fresh 3 MiB tmpfs with a 5 KiB file in it, so that the 1 MiB writes
# of the blob copy end in a short one.
dd if=/dev/urandom of="$TMP/rand4" bs=1M count=4 status=none
head -c 1800k "$TMP/rand4" >"$TMP/rand18"
mk "$TMP/big" '{"images":[{"tag":"v","config":{"Cmd":["/bin/true"]},"compress":"none","layers":[[{"path":"rand","file":"'$TMP/rand4'"}]]}]}'
mk "$TMP/big2" '{"images":[{"tag":"v","config":{"Cmd":["/bin/true"]},"compress":"gzip","layers":[[{"path":"rand","file":"'$TMP/rand18'"}]]}]}'
n=0
for c in "blob copy:big" "layer extraction:big2"; do
	n=$((n + 1))
	what=${c%%:*}
	FULL=$TMP/full$n
	mkdir -p "$FULL"
	if ! mount -t tmpfs -o size=3m "ctr-full-$$" "$FULL"; then
		skip "full store ($what)" "cannot mount a tmpfs"
		continue
	fi
	at_cleanup "umount -l '$FULL'"
	head -c 5000 /dev/zero >"$FULL/filler"
	"$CTR_DEMO" --store "$FULL/s" image ls >/dev/null 2>&1
	BEFORE=$(cd "$FULL/s" && find . -path ./locks -prune -o -print | sort)
	OUT=$("$CTR_DEMO" --store "$FULL/s" image import -q "oci:$TMP/${c#*:}:v" big 2>&1)
	expect_match "full store, $what: the error is ENOSPC" "No space left on device" "$OUT"
	expect_nomatch "full store, $what: no stale errno" "File exists|No such file or directory|Success" "$OUT"
	expect_eq "full store, $what: the store as it was" "$BEFORE" "$(cd "$FULL/s" && find . -path ./locks -prune -o -print | sort)"
done

# the state writers: a state root on a tmpfs with no room left for the container's files
mkdir -p "$TMP/fullroot"
if mount -t tmpfs -o size=8k "ctr-fullroot-$$" "$TMP/fullroot"; then
	at_cleanup "umount -l '$TMP/fullroot'"
	head -c 7000 /dev/zero >"$TMP/fullroot/filler"
	OUT=$("$CTR_DEMO" --root "$TMP/fullroot/state" --store "$STORE" create --image crash --name "full$$" </dev/null 2>&1)
	expect_match "state root full: ENOSPC reported" "No space left on device" "$OUT"
	expect_nomatch "state root full: no stale errno" "File exists|No such file or directory|Success" "$OUT"
	expect_eq "state root full: no container left" "" "$(ls -A "$TMP/fullroot/state" 2>/dev/null)"
	expect_eq "state root full: no mount left" "" "$(grep -F "$TMP/fullroot/" /proc/self/mountinfo)"
else
	skip "state root full" "cannot mount a tmpfs"
fi

finish
