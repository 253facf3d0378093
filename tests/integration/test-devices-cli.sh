#!/bin/bash
# Accelerators through the command line: `devices`, `cdi list|validate|
# generate`, `run --device` and CDI annotations, on a fake Intel+AMD DRI host
# (sysfs tree and device nodes made with mknod under a host root given with
# --host-root).  The fake render nodes are /dev/zero and /dev/null's numbers,
# so that the containers can really open them.
. "$(dirname "$0")/lib.sh"

H=$TMP/host
CDI=$TMP/cdi
mkdir -p "$H" "$CDI"

# gpu PCI VENDOR DEVICE DRIVER
gpu() {
	local d=$H/sys/devices/pci0000:00/$1
	mkdir -p "$d" "$H/sys/bus/pci/drivers/$4"
	echo "$2" >"$d/vendor"
	echo "$3" >"$d/device"
	ln -s "../../../bus/pci/drivers/$4" "$d/driver"
}
# drm NAME PCI MAJOR MINOR GID
drm() {
	mkdir -p "$H/sys/class/drm/$1" "$H/dev/dri"
	ln -s "/sys/devices/pci0000:00/$2" "$H/sys/class/drm/$1/device"
	mknod -m 0660 "$H/dev/dri/$1" c "$3" "$4" && chgrp "$5" "$H/dev/dri/$1"
}
gpu 0000:00:02.0 0x8086 0x46a6 i915
gpu 0000:03:00.0 0x1002 0x73bf amdgpu
if ! drm card0 0000:00:02.0 1 7 44 || ! drm renderD128 0000:00:02.0 1 5 993 ||
	! drm card1 0000:03:00.0 1 7 44 || ! drm renderD129 0000:03:00.0 1 3 993; then
	skip "devices-cli: fake host" "mknod not permitted here"
	finish
fi
mkdir -p "$H/dev/dri/by-path"
ln -s ../renderD128 "$H/dev/dri/by-path/pci-0000:00:02.0-render"

# dctr ARGS...: ctr-demo on the fake host, with the test's CDI directory only
dctr() { "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" "$@"; }

# ---- devices
OUT=$(dctr devices 2>&1)
RC=$?
expect_eq "devices: exit 0" 0 "$RC"
expect_match "devices: header" '^NAME +BACKEND +VENDOR +DRIVER +PCI +NODES +CAPABILITIES' "$OUT"
expect_match "devices: Intel render node" "^dri/render=0 +dri +intel +i915 +0000:00:02.0 +$H/dev/dri/renderD128 .*by-path=/dev/dri/by-path/pci-0000:00:02.0-render" "$OUT"
expect_match "devices: AMD render node" "^dri/render=1 +dri +amd +amdgpu +0000:03:00.0 +$H/dev/dri/renderD129 " "$OUT"
expect_match "devices: card nodes listed" "^dri/card=1 +dri +amd +amdgpu +0000:03:00.0 +$H/dev/dri/card1,$H/dev/dri/renderD129 " "$OUT"
expect_nomatch "devices: no NVIDIA device on this host" '^nvidia' "$OUT"
OUT=$(dctr devices --backend dri --format json 2>&1)
RC=$?
expect_eq "devices --backend dri --format json: exit 0" 0 "$RC"
expect_eq "devices --format json: 4 dri devices, AMD render node described" \
	"4 amdgpu 0000:03:00.0 ['$H/dev/dri/renderD129']" \
	"$(jget "$OUT" '"%d %s %s %s" % (len(d), [x for x in d if x["name"] == "dri/render=1"][0]["driver"], [x for x in d if x["name"] == "dri/render=1"][0]["pciAddress"], [x for x in d if x["name"] == "dri/render=1"][0]["nodes"])' 2>&1)"
OUT=$(dctr devices --backend virtio-gpu 2>&1)
expect_nomatch "devices --backend virtio-gpu: no virtio GPU on this host" '^dri/' "$OUT"
OUT=$(dctr devices --backend nosuch 2>&1)
RC=$?
expect_eq "devices --backend nosuch: exit 1" 1 "$RC"
expect_match "devices --backend nosuch: names the registered backends" "unknown backend 'nosuch'.*dri" "$OUT"
OUT=$(CTR_HOST_ROOT=$H "$CTR_DEMO" --root "$ROOT" --cdi-spec-dir "$CDI" devices --backend dri 2>&1)
expect_match "CTR_HOST_ROOT selects the host root like --host-root" "^dri/render=0 +dri +intel" "$OUT"

# ---- cdi generate
OUT=$(dctr cdi generate --backend dri 2>&1)
RC=$?
expect_eq "cdi generate --backend dri: exit 0" 0 "$RC"
printf '%s\n' "$OUT" >"$TMP/generated.json"
expect_match "cdi generate: the render devices, as a CDI spec" '"kind": ?"dri/render"' "$OUT"
OUT=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d = d if isinstance(d, list) else [d]
print(" ".join(sorted(x["kind"] for x in d)))' "$TMP/generated.json" 2>&1)
expect_eq "cdi generate: valid JSON, one document per kind" "dri/card dri/render" "$OUT"

# ---- cdi validate
cat >"$TMP/good.json" <<EOF
{
  "cdiVersion": "0.6.0",
  "kind": "example.com/gpu",
  "devices": [
    {"name": "one", "containerEdits": {"deviceNodes": [{"path": "/dev/ex-one", "hostPath": "$H/dev/dri/renderD128"}]}},
    {"name": "two", "containerEdits": {"env": ["EX_TWO=1"], "deviceNodes": [{"path": "/dev/ex-two", "hostPath": "$H/dev/dri/renderD129"}]}}
  ],
  "containerEdits": {"env": ["EX_VENDOR=example"]}
}
EOF
cat >"$TMP/broken.json" <<'EOF'
{
  "cdiVersion": "0.6.0",
  "kind": "example.com/gpu",
  "devices": [
    {"name": "bad name!", "containerEdits": {"env": ["A=1"]}}
  ]
}
EOF
cat >"$TMP/dup.json" <<EOF
{
  "cdiVersion": "0.6.0",
  "kind": "example.com/gpu",
  "devices": [
    {"name": "two", "containerEdits": {"deviceNodes": [{"path": "/dev/ex-two", "hostPath": "$H/dev/dri/renderD128"}]}}
  ]
}
EOF
OUT=$(dctr cdi validate "$TMP/good.json" 2>&1)
RC=$?
expect_eq "cdi validate good spec: exit 0" 0 "$RC"
expect_eq "cdi validate good spec: prints ok" ok "$OUT"
OUT=$(dctr cdi validate "$TMP/generated.json" 2>&1)
RC=$?
if python3 -c 'import json,sys; sys.exit(isinstance(json.load(open(sys.argv[1])), list))' "$TMP/generated.json"; then
	expect_eq "cdi validate accepts what cdi generate wrote" "0 ok" "$RC $OUT"
fi
OUT=$(dctr cdi validate "$TMP/broken.json" 2>&1)
RC=$?
expect_eq "cdi validate broken spec: exit 1" 1 "$RC"
expect_match "cdi validate broken spec: the error names the file and the field" "broken.json.*devices.*bad name" "$OUT"
OUT=$(dctr cdi validate "$TMP/nonexistent.json" 2>&1)
RC=$?
expect_eq "cdi validate missing file: exit 1" 1 "$RC"
expect_match "cdi validate missing file: names it" "nonexistent.json" "$OUT"

# ---- cdi list: a good spec, a broken one and a conflicting duplicate
cp "$TMP/good.json" "$CDI/a-good.json"
cp "$TMP/broken.json" "$CDI/b-broken.json"
cp "$TMP/dup.json" "$CDI/c-dup.json"
echo "not a spec" >"$CDI/ignored.txt"
OUT=$(dctr cdi list 2>"$TMP/list.err")
RC=$?
ERR=$(cat "$TMP/list.err")
expect_eq "cdi list: exit 0" 0 "$RC"
expect_eq "cdi list: the good device only (the conflicting one is dropped)" "example.com/gpu=one" "$OUT"
expect_match "cdi list: the broken file is reported on stderr" "b-broken.json" "$ERR"
expect_match "cdi list: the conflict is reported on stderr" "conflicting device 'example.com/gpu=two'" "$ERR"
expect_nomatch "cdi list: only *.json and *.yaml files are read" "ignored.txt" "$ERR"
OUT=$(dctr devices 2>/dev/null)
expect_match "devices: the CDI device is listed by the cdi backend" '^example.com/gpu=one +cdi ' "$OUT"

# ---- run --device: exactly the requested nodes
PROBE='for n in renderD128 renderD129 card0 card1; do test -c /dev/dri/$n && echo HAVE-$n; done
for n in /dev/dri/render*; do test -c $n && (echo x >$n) && echo OPEN-$n; done
echo GROUPS $(id -G); echo DONE'
# rund NAME ARGS...: run the bundle NAME with extra run arguments, sets OUT and RC
rund() {
	local b
	b=$(mkb "$1")
	shift
	args "$b" "$PROBE"
	OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" run "$@" -b "$b" \
		"$(basename "$b")" </dev/null 2>&1)
	RC=$?
}
rund amd --device dri/render=amd
expect_eq "run --device dri/render=amd: exit 0" 0 "$RC"
expect_match "run --device dri/render=amd: renderD129 is there" '^HAVE-renderD129$' "$OUT"
expect_nomatch "run --device dri/render=amd: no Intel node, no card node" '^HAVE-(renderD128|card)' "$OUT"
expect_match "run --device dri/render=amd: the node can be opened" '^OPEN-/dev/dri/renderD129$' "$OUT"
expect_match "run --device dri/render=amd: the render group (993) is held" '^GROUPS .*\b993\b' "$OUT"

rund both --device dri/render=0 --device dri/render=0000:03:00.0
expect_eq "run with two --device: exit 0" 0 "$RC"
expect_match "two --device: both render nodes opened" 'OPEN-/dev/dri/renderD128' "$OUT"
expect_match "two --device: both render nodes opened (AMD)" 'OPEN-/dev/dri/renderD129' "$OUT"
expect_nomatch "two --device: no card nodes" '^HAVE-card' "$OUT"

rund none
expect_eq "run without --device: exit 0" 0 "$RC"
expect_nomatch "run without --device: no GPU node" '^HAVE-' "$OUT"
expect_nomatch "run without --device: not in the render group" '^GROUPS .*\b993\b' "$OUT"

rund cdidev --device example.com/gpu=one
expect_eq "run --device example.com/gpu=one (CDI): exit 0" 0 "$RC"
b=$(mkb cdienv)
args "$b" 'test -c /dev/ex-one && echo HAVE-EX-ONE; echo "VENDOR=$EX_VENDOR"'
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" run --device example.com/gpu=one \
	-b "$b" cdienv </dev/null 2>&1)
expect_match "CDI device: its node is in the container" '^HAVE-EX-ONE$' "$OUT"
expect_match "CDI device: the spec-level env is set" '^VENDOR=example$' "$OUT"

# ---- a bad request: clear error, exit 1, nothing left behind
b=$(mkb missing)
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" run --device vendor.com/class=missing \
	-b "$b" missing </dev/null 2>&1)
RC=$?
expect_eq "--device vendor.com/class=missing: exit 1" 1 "$RC"
expect_match "--device vendor.com/class=missing: the error names the request" 'vendor.com/class=missing' "$OUT"
expect_eq "--device vendor.com/class=missing: nothing left in the state root" "" "$(ls -A "$ROOT")"
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" create --device 'not a name' \
	-b "$b" missing2 </dev/null 2>&1)
RC=$?
expect_eq "create --device 'not a name': exit 1" 1 "$RC"
expect_eq "create --device 'not a name': nothing left in the state root" "" "$(ls -A "$ROOT")"
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" create --device dri/render=nouveau \
	-b "$b" missing3 </dev/null 2>&1)
RC=$?
expect_eq "create --device dri/render=nouveau (no such GPU): exit 1" 1 "$RC"
expect_match "create --device dri/render=nouveau: says no GPU matches" "no GPU matches 'nouveau'" "$OUT"
expect_eq "create --device dri/render=nouveau: nothing left in the state root" "" "$(ls -A "$ROOT")"

# ---- create --device, then start
b=$(mkb created)
cfg "$b" 'c["root"]["readonly"] = False'
args "$b" "exec >/result 2>&1; $PROBE"
# the container inherits create's stdio: a file, not a pipe we would wait on
timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" create --device dri/render=intel \
	-b "$b" created </dev/null >"$TMP/created.out" 2>&1
RC=$?
expect_eq "create --device dri/render=intel: exit 0" 0 "$RC"
ctr start created >/dev/null 2>&1
for _ in $(seq 50); do grep -q DONE "$b/rootfs/result" 2>/dev/null && break; sleep 0.1; done
OUT=$(cat "$b/rootfs/result" 2>&1)
expect_match "create --device, start: the Intel render node opens" '^OPEN-/dev/dri/renderD128$' "$OUT"
expect_nomatch "create --device, start: not the AMD one" '^HAVE-renderD129$' "$OUT"
ctr delete --force created >/dev/null 2>&1

# ---- CDI annotations (cdi.k8s.io/...) at create
b=$(mkb annot)
args "$b" "$PROBE"
cfg "$b" 'c.setdefault("annotations", {})["cdi.k8s.io/test"] = "dri/render=1,example.com/gpu=one"'
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" run -b "$b" annot </dev/null 2>&1)
RC=$?
expect_eq "annotation cdi.k8s.io/test: exit 0" 0 "$RC"
expect_match "annotation: the AMD render node is there and opens" '^OPEN-/dev/dri/renderD129$' "$OUT"
expect_nomatch "annotation: not the Intel one" '^HAVE-renderD128$' "$OUT"
b=$(mkb annotbad)
cfg "$b" 'c.setdefault("annotations", {})["cdi.k8s.io/test"] = "vendor.com/class=missing"'
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" --host-root "$H" --cdi-spec-dir "$CDI" run -b "$b" annotbad </dev/null 2>&1)
RC=$?
expect_eq "annotation naming a missing device: exit 1" 1 "$RC"
expect_match "annotation naming a missing device: the error names it" 'vendor.com/class=missing' "$OUT"
expect_eq "annotation naming a missing device: nothing left in the state root" "" "$(ls -A "$ROOT")"

finish
