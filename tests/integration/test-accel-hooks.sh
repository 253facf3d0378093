#!/bin/bash
# NVIDIA containers without nvidia-container-toolkit (issue 6): a fake NVIDIA
# host (two GPUs, nvidiactl, a driver library built here with its soname,
# /proc/driver/nvidia/version) and a CDI spec as `nvidia-ctk cdi generate`
# writes it, whose createContainer hooks call /usr/bin/nvidia-cdi-hook, which
# does not exist here: libctr runs create-symlinks, update-ldcache and chmod
# itself against the container's mount namespace, and the results are seen
# from inside the running container.  Then the device cgroup: a container
# given GPU 0 opens it but cannot open GPU 1's node even after mknod'ing it
# inside, so "cannot open the others" holds through the cgroup, not only
# because the node is absent.
# The fake GPU nodes carry the numbers of real misc devices any root can open
# (fuse 10:229, tun 10:200, loop-control 10:237): opening them tells the
# cgroup's verdict apart from "no such device".
. "$(dirname "$0")/lib.sh"

if [ -x /usr/bin/nvidia-cdi-hook ]; then
	skip "native NVIDIA hook verbs" "/usr/bin/nvidia-cdi-hook is installed: the real tool runs instead"
	finish
fi
if ! command -v cc >/dev/null || ! command -v ldconfig >/dev/null && [ ! -x /sbin/ldconfig ]; then
	skip "native NVIDIA hook verbs" "needs cc and ldconfig (build-essential, libc-bin)"
	finish
fi

H=$TMP/host
CDI=$TMP/cdi
VER=550.54.14
LIB=/usr/lib/x86_64-linux-gnu
mkdir -p "$H/dev" "$H/proc/driver/nvidia" "$H$LIB" "$CDI"
echo "NVRM version: NVIDIA UNIX x86_64 Kernel Module  $VER  Thu Feb 22 01:44:30 UTC 2024" >"$H/proc/driver/nvidia/version"
mknod -m 0666 "$H/dev/nvidia0" c 10 229
mknod -m 0666 "$H/dev/nvidia1" c 10 200
mknod -m 0666 "$H/dev/nvidiactl" c 10 237
echo 'int cuInit(unsigned f) { return (int)f; }' >"$TMP/cuda.c"
if ! cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$H$LIB/libcuda.so.$VER" "$TMP/cuda.c"; then
	notok "build the fake driver library" "cc failed"
	finish
fi

cat >"$CDI/nvidia.json" <<EOF2
{
  "cdiVersion": "0.5.0",
  "kind": "nvidia.com/gpu",
  "devices": [
    {"name": "0", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia0", "hostPath": "$H/dev/nvidia0"}]}},
    {"name": "1", "containerEdits": {"deviceNodes": [{"path": "/dev/nvidia1", "hostPath": "$H/dev/nvidia1"}]}}
  ],
  "containerEdits": {
    "env": ["NVIDIA_VISIBLE_DEVICES=void"],
    "deviceNodes": [{"path": "/dev/nvidiactl", "hostPath": "$H/dev/nvidiactl"}],
    "mounts": [{"hostPath": "$H$LIB/libcuda.so.$VER", "containerPath": "$LIB/libcuda.so.$VER",
                "options": ["ro", "nosuid", "nodev", "bind"]}],
    "hooks": [
      {"hookName": "createContainer", "path": "/usr/bin/nvidia-cdi-hook",
       "args": ["nvidia-cdi-hook", "create-symlinks", "--link", "libcuda.so.$VER::$LIB/libcuda.so.1",
                "--link", "libcuda.so.1::$LIB/libcuda.so"]},
      {"hookName": "createContainer", "path": "/usr/bin/nvidia-cdi-hook",
       "args": ["nvidia-cdi-hook", "update-ldcache", "--folder", "$LIB"]},
      {"hookName": "createContainer", "path": "/usr/bin/nvidia-ctk",
       "args": ["nvidia-ctk", "hook", "chmod", "--mode", "750", "--path", "$LIB"]}
    ]
  }
}
EOF2

# rund NAME SCRIPT ARGS...: run a copy of the bundle with extra run arguments; sets OUT and RC
rund() {
	local b
	b=$(mkb "$1")
	args "$b" "$2"
	shift 2
	OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" run "$@" -b "$b" \
		"$(basename "$b")" </dev/null 2>&1)
	RC=$?
}

rund nvhooks "readlink $LIB/libcuda.so.1; readlink $LIB/libcuda.so
stat -c 'MODE %a' $LIB
test -f /etc/ld.so.cache && grep -c libcuda.so.1 /etc/ld.so.cache >/dev/null && echo CACHE-HAS-libcuda.so.1
cat /etc/ld.so.conf.d/00-nvcr-libctr.conf
test -c /dev/nvidia0 && echo HAVE-nvidia0; test -c /dev/nvidia1 && echo HAVE-nvidia1; true" --device nvidia.com/gpu=0
expect_eq "run with nvidia.com/gpu=0 and absent nvidia-cdi-hook: exit 0" 0 "$RC"
expect_match "create-symlinks: libcuda.so.1 -> libcuda.so.$VER inside" "^libcuda.so.$VER\$" "$OUT"
expect_match "create-symlinks: libcuda.so -> libcuda.so.1 inside" '^libcuda.so.1$' "$OUT"
expect_match "nvidia-ctk hook chmod: $LIB is 750 inside" '^MODE 750$' "$OUT"
expect_match "update-ldcache: the container's ld.so.cache knows libcuda.so.1" '^CACHE-HAS-libcuda.so.1$' "$OUT"
expect_match "update-ldcache: the folder is in ld.so.conf.d" "^$LIB\$" "$OUT"
expect_match "gpu=0: /dev/nvidia0 is there" '^HAVE-nvidia0$' "$OUT"
expect_nomatch "gpu=0: /dev/nvidia1 is not" '^HAVE-nvidia1$' "$OUT"
# the library is bind-mounted in the container's mount namespace only: the host
# sees an empty placeholder there, so ldconfig finding its soname proves the
# verbs ran in the container's view, and the links landed in its rootfs
expect_eq "the links are in the bundle's rootfs" "libcuda.so.$VER" "$(readlink "$TMP/nvhooks/rootfs$LIB/libcuda.so.1")"
expect_eq "the host's placeholder of the bind-mounted library is empty" 0 "$(stat -c %s "$TMP/nvhooks/rootfs$LIB/libcuda.so.$VER")"
expect_nomatch "nothing was created on the host's $LIB" "^libcuda.so.$VER\$" "$(readlink "$LIB/libcuda.so.1" 2>&1)"

# the other hook kinds: createRuntime (runtime namespace, before pivot_root)
# and poststart (after it) reach the container's root too; startContainer
# runs inside the container, where libctr cannot run a verb: a clear error
b=$(mkb kinds)
# poststart runs after start returns: wait for its link (up to 20 s) instead of a fixed sleep
args "$b" 'i=0; while [ ! -L /ps-link ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i+1)); done; readlink /cr-link; readlink /ps-link; true'
cfg "$b" 'c["hooks"] = {
 "createRuntime": [{"path": "/usr/bin/nvidia-cdi-hook", "args": ["nvidia-cdi-hook", "create-symlinks", "--link", "from-createRuntime::/cr-link"]}],
 "poststart": [{"path": "/usr/bin/nvidia-cdi-hook", "args": ["nvidia-cdi-hook", "create-symlinks", "--link", "from-poststart::/ps-link"]}]}'
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" run -b "$b" kinds </dev/null 2>&1)
expect_match "createRuntime: a native verb acts on the container's root" '^from-createRuntime$' "$OUT"
expect_match "poststart: a native verb acts on the running container's root" '^from-poststart$' "$OUT"
b=$(mkb startc)
cfg "$b" 'c["hooks"] = {"startContainer": [{"path": "/usr/bin/nvidia-cdi-hook", "args": ["nvidia-cdi-hook", "chmod", "--mode", "755", "--path", "/bin"]}]}'
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" run -b "$b" startc </dev/null 2>&1)
expect_match "startContainer: a native verb is refused with the fix" \
	'hooks\.startContainer\[0\] \(/usr/bin/nvidia-cdi-hook\): .*install nvidia-container-toolkit' "$OUT"

# a failing native verb fails create with the hook named, and leaves no container behind
cat >"$CDI/bad.json" <<EOF2
{"cdiVersion": "0.5.0", "kind": "example.com/bad",
 "devices": [{"name": "x", "containerEdits": {"hooks": [{"hookName": "createContainer",
   "path": "/usr/bin/nvidia-cdi-hook", "args": ["nvidia-cdi-hook", "chmod", "--mode", "750", "--path", "/no/such"]}]}}]}
EOF2
rund badhook 'echo RAN' --device example.com/bad=x
expect_eq "a failing native verb: run fails" 1 "$RC"
expect_match "a failing native verb: the error names the hook and the path" \
	'hooks\.createContainer\[0\] \(/usr/bin/nvidia-cdi-hook chmod, run by libctr\).*/no/such' "$OUT"
expect_nomatch "a failing native verb: the program did not run" '^RAN$' "$OUT"
expect_eq "a failing native verb: nothing left in the state root" "" "$(state_left)"
rm -f "$CDI/bad.json"

# usage errors name the subcommand once
OUT=$("$CTR_DEMO" --root "$ROOT" --cdi-spec-dir "$CDI" cdi list extra 2>&1)
expect_eq "cdi list with an argument: the subcommand named once" \
	"ctr-demo: 'cdi list' takes no arguments: see 'ctr-demo cdi list --help'" "$OUT"
OUT=$("$CTR_DEMO" --root "$ROOT" --cdi-spec-dir "$CDI" cdi validate 2>&1)
expect_eq "cdi validate without a file: the subcommand named once" \
	"ctr-demo: 'cdi validate' needs exactly one file: see 'ctr-demo cdi validate --help'" "$OUT"

# ---- the device cgroup: GPU 0 opens, GPU 1 cannot, even when mknod'ed inside
PROBE='for n in /dev/nvidia0 /dev/nvidiactl; do if e=$( (: <$n) 2>&1); then echo "OPEN $n"; else echo "FAIL $n ${e##*: }"; fi; done
mknod /tmp/gpu1 c 10 200 && echo MKNOD-OK
if e=$( (: </tmp/gpu1) 2>&1); then echo "OPEN gpu1"; else echo "FAIL gpu1 ${e##*: }"; fi'
b=$(mkb cg)
args "$b" "$PROBE"
cfg "$b" 'c["process"].setdefault("capabilities", {}); [c["process"]["capabilities"].setdefault(k, []).append("CAP_MKNOD") for k in ("bounding", "effective", "permitted")]'
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" run --device nvidia.com/gpu=0 \
	-b "$b" cg </dev/null 2>&1)
RC=$?
expect_eq "cgroup: run with gpu=0: exit 0" 0 "$RC"
expect_match "cgroup: the given GPU node opens" '^OPEN /dev/nvidia0$' "$OUT"
expect_match "cgroup: nvidiactl (spec-level edit) opens" '^OPEN /dev/nvidiactl$' "$OUT"
expect_match "cgroup: mknod of GPU 1's numbers inside is allowed" '^MKNOD-OK$' "$OUT"
expect_match "cgroup: GPU 1's node made inside cannot be opened (EPERM)" '^FAIL gpu1 Operation not permitted$' "$OUT"

finish
