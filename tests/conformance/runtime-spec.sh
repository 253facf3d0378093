#!/bin/bash
# The OCI runtime-spec 1.3.0, rule by rule, against real containers.
#
# One TAP point per MUST of runtime.md (State, Lifecycle steps 1-13, Errors,
# Warnings, Operations, Hooks), of config.md's hooks, and of the Linux MUSTs
# of config.md / config-linux.md that this host can test.  Each point is named
# "<document> <section>: "<words of the spec sentence>": <what is checked>",
# so a reader can find the sentence in the spec.  Containers run through
# ctr-demo (the runtime's command line); conform-api (argv[1]) reaches the
# library API for the rules the command line keeps runc's behaviour for.
# A point of a MUST that libctr does not meet fails: nothing is skipped
# except what the host lacks (SELinux, NUMA), and then says so.
. "$(dirname "$0")/../integration/lib.sh" || exit 1
# everything below works in $TMP (lib.sh's): never run without it
[ -n "${TMP:-}" ] && [ -d "$TMP" ] || { echo "Bail out! tests/integration/lib.sh did not set up \$TMP"; exit 1; }

# python3 is started a few hundred times: the system's directly, not through a
# version manager's shim on PATH (100 ms a start)
if [ -x /usr/bin/python3 ]; then
	PY=/usr/bin/python3
	python3() { /usr/bin/python3 "$@"; }
else
	PY=$(command -v python3)
fi

API=${1:-}
RECV=$(dirname "$0")/../integration/console-recv.py
[ -n "$API" ] && [ -x "$API" ] || { echo "Bail out! usage: runtime-spec.sh CONFORM-API"; exit 1; }

# N DOC SECTION "WORDS" [DETAIL]: a point's name
N() {
	local s="$1 $2: \"$3\""
	[ $# -ge 4 ] && s="$s: $4"
	printf '%s' "$s"
}
ERRORS_WORDS='generating an error MUST leave the state of the environment as if the operation were never attempted'

# fails NAME CMD...: CMD must exit non-zero
fails() {
	local name=$1 out rc
	shift
	out=$("$@" </dev/null 2>&1)
	rc=$?
	if [ $rc != 0 ]; then ok "$name"; else notok "$name" "exit 0 from: $*" "$out"; fi
}

# procs_under DIR: live pids whose root is DIR or below it (lib.sh's procs_in in
# one process: this test asks it often)
procs_under() {
	python3 - "$1" "$$" <<'EOF'
import os, sys
d, me = sys.argv[1], sys.argv[2]
try:
    want = os.stat(d)
    want = (want.st_dev, want.st_ino)
except OSError:
    want = None
for p in os.listdir("/proc"):
    if not p.isdigit() or p == me:
        continue
    try:
        if open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            continue
        r = os.readlink("/proc/%s/root" % p)
        s = os.stat("/proc/%s/root" % p)
    except OSError:
        continue
    if r == d or r.startswith(d + "/") or (want and (s.st_dev, s.st_ino) == want):
        print(p)
EOF
}

# state_left_: the state root's entries but the seccomp filter cache (not a container's)
state_left_() { ls -A "$ROOT" 2>/dev/null | grep -vx .seccomp-cache; }

# leftovers B ID: what a failed create of bundle B as ID left: its state, cgroups,
# processes and mounts (empty: nothing)
leftovers() {
	local l="" p
	[ -e "$ROOT/$2" ] && l="state: $ROOT/$2"
	[ -n "$(cgroups_left "$2")" ] && l="$l cgroups: $(cgroups_left "$2")"
	p=$(procs_under "$1/rootfs")
	[ -n "$p" ] && l="$l processes: $p"
	[ -n "$(mounts_in "$1")" ] && l="$l mounts: $(mounts_in "$1")"
	printf '%s' "$l"
}

# refuses NAME BUNDLE ERE: `create` of BUNDLE (id = its name) must fail with an
# error matching ERE (first point) and leave nothing behind (second point:
# runtime.md Errors).  The container is removed when create succeeded.
refuses() {
	local name=$1 b=$2 re=$3 id rc err left
	id=$(basename "$b")
	ctr create -b "$b" "$id" </dev/null >"$TMP/$id.out" 2>&1
	rc=$?
	err=$(cat "$TMP/$id.out")
	if [ $rc != 0 ] && printf '%s\n' "$err" | grep -Eq -- "$re"; then
		ok "$name"
	else
		notok "$name" "create exit $rc; want an error matching: $re" "$err"
	fi
	if [ $rc = 0 ]; then
		ctr delete --force "$id" >/dev/null 2>&1
		return
	fi
	left=$(leftovers "$b" "$id")
	if [ -z "$left" ]; then
		ok "$(N runtime.md Errors "$ERRORS_WORDS" "$name")"
	else
		notok "$(N runtime.md Errors "$ERRORS_WORDS" "$name")" "left: $left"
	fi
}

# refuses_cfg NAME ERE BUNDLE-NAME PYTHON [ARGS...]: refuses NAME on a fresh bundle
# edited by PYTHON (see mkbc)
refuses_cfg() {
	local name=$1 re=$2 b
	shift 2
	b=$(mkbc "$@")
	refuses "$name" "$b" "$re"
}

# accepts NAME BUNDLE: `run` of BUNDLE must succeed (exit 0)
accepts() {
	local name=$1 b=$2
	runb "$b"
	if [ "$RC" = 0 ]; then ok "$name"; else notok "$name" "run exit $RC" "$OUT"; fi
}

# val KEY: the value of "KEY=..." in $OUT (the first such line)
val() { printf '%s\n' "$OUT" | sed -n "s/^$1=//p" | head -n 1; }

# mkb NAME (replacing lib.sh's): a fresh bundle at $TMP/NAME whose rootfs is a
# tree of hard links to this test's own copy of the bundle (a copy costs
# 100 ms, and this test makes ~90 bundles); containers here only add files
PRISTINE=$TMP/.pristine
cp -a "$CTR_BUNDLE" "$PRISTINE"
mkb() {
	local b=$TMP/$1
	rm -rf "$b"
	mkdir "$b"
	cp "$PRISTINE/config.json" "$b/"
	cp -al "$PRISTINE/rootfs" "$b/rootfs"
	echo "$b"
}

# mkbc NAME PYTHON: a fresh bundle edited by PYTHON (see cfg); prints its path
mkbc() {
	local b
	b=$(mkb "$1")
	cfg "$b" "$2" "${@:3}"
	echo "$b"
}

# json_ok TEXT: TEXT is a JSON object
json_ok() { python3 -c 'import json,sys; assert isinstance(json.loads(sys.argv[1]), dict)' "$1" 2>/dev/null; }

# state_schema TEXT: the problems of TEXT against schema/state-schema.json of
# runtime-spec 1.3.0 (empty: it adheres).  The schema is small; it is written
# out here so the test needs no JSON Schema package.
state_schema() {
	python3 - "$1" <<'EOF'
import json, re, sys
try:
    d = json.loads(sys.argv[1])
except Exception as e:
    print("not JSON: %s" % e); sys.exit(0)
p = []
if not isinstance(d, dict):
    print("not an object"); sys.exit(0)
for k in ("ociVersion", "id", "status", "bundle"):
    if k not in d: p.append("required %s is missing" % k)
# defs.json ociVersion: a SemVer 2.0.0 string
semver = r'^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$'
if "ociVersion" in d and not (isinstance(d["ociVersion"], str) and re.match(semver, d["ociVersion"])):
    p.append("ociVersion %r is not a SemVer string" % d["ociVersion"])
for k in ("id", "bundle"):
    if k in d and not isinstance(d[k], str): p.append("%s is not a string" % k)
if "status" in d and d["status"] not in ("creating", "created", "running", "stopped"):
    p.append("status %r is not one of creating, created, running, stopped" % d["status"])
if "pid" in d and (not isinstance(d["pid"], int) or isinstance(d["pid"], bool) or d["pid"] < 0):
    p.append("pid %r is not an integer >= 0" % d["pid"])
if "annotations" in d:
    a = d["annotations"]
    if not isinstance(a, dict) or any(not isinstance(v, str) or not k for k, v in a.items()):
        p.append("annotations is not a map of non-empty keys to strings")
print("; ".join(p))
EOF
}

# jf EXPR FILE: evaluate the python EXPR on the JSON document in FILE (`d`); empty when unreadable
jf() { python3 -c 'import json,sys
try: d = json.load(open(sys.argv[2]))
except Exception: sys.exit(0)
print(eval(sys.argv[1]))' "$1" "$2" 2>/dev/null; }

HOSTNS() { readlink "/proc/$$/ns/$1"; }

###############################################################################
# runtime.md: the lifecycle of one container, with every hook kind
###############################################################################
HK=$TMP/hk
mkdir -p "$HK"
# A hook in the runtime namespace (and createContainer's, whose path resolves
# there): records its state (stdin), namespaces and what it saw of the container.
cat >"$TMP/hook.py" <<'EOF'
#!PYTHON
import json, os, sys
kind, label, out = sys.argv[1], sys.argv[2], sys.argv[3]
raw = sys.stdin.read()
rec = {"kind": kind, "raw": raw, "ns": {}}
for n in ("mnt", "net", "uts", "ipc", "pid", "cgroup", "user"):
    try:
        rec["ns"][n] = os.readlink("/proc/self/ns/" + n)
    except OSError as e:
        rec["ns"][n] = "error: %s" % e
try:
    st = json.loads(raw)
except Exception:
    st = {}
rec["state"] = st
pid = st.get("pid")
if kind in ("prestart", "createRuntime", "poststart") and pid:
    for f in ("exe",):
        try:
            rec[f] = os.readlink("/proc/%d/%s" % (pid, f))
        except OSError as e:
            rec[f] = "error: %s" % e
    try:
        rec["mountinfo"] = open("/proc/%d/mountinfo" % pid).read()
    except OSError:
        rec["mountinfo"] = ""
if kind == "createContainer":
    rec["mountinfo"] = open("/proc/self/mountinfo").read()
if kind == "poststop":
    root, cid = sys.argv[4], st.get("id", "")
    rec["state_dir"] = os.path.exists(os.path.join(root, cid))
    rec["cgroups"] = [d for d in ("/sys/fs/cgroup/%s/ctr/%s" % (c, cid) for c in os.listdir("/sys/fs/cgroup")) if os.path.isdir(d)]
    rec["init_alive"] = False
    ip = sys.argv[5] if len(sys.argv) > 5 else ""
    try:
        if ip and open("/proc/%s/stat" % ip).read().split(")")[1].split()[0] not in ("Z", "X"):
            rec["init_alive"] = True
    except OSError:
        pass
with open(os.path.join(out, label + ".json"), "w") as f:
    json.dump(rec, f)
with open(os.path.join(out, "order"), "a") as f:
    f.write(label + "\n")
if os.environ.get("HOOK_FAIL") == label:
    sys.exit(3)
EOF
sed -i "1s|PYTHON|$PY|" "$TMP/hook.py"
chmod 0755 "$TMP/hook.py"
hook() { printf '{"path": "%s", "args": ["hook.py", "%s", "%s", "%s", "%s"%s]}' "$TMP/hook.py" "$1" "$2" "$3" "$ROOT" "${4:+, \"$4\"}"; }

b=$(mkb life)
# startContainer resolves in the container: a script that exists only in the rootfs
cat >"$b/rootfs/conf-start-hook.sh" <<'EOF'
#!/bin/sh
mkdir -p /tmp/hk
cat >/tmp/hk/startContainer.state
for n in mnt net uts ipc pid cgroup user; do echo "$n=$(readlink /proc/self/ns/$n)"; done >/tmp/hk/startContainer.ns
if [ -e /tmp/started ]; then echo after; else echo before; fi >/tmp/hk/startContainer.when
EOF
chmod 0755 "$b/rootfs/conf-start-hook.sh"
cfg "$b" '
c["process"]["args"] = ["/bin/sh", "-c", "echo started >> /tmp/started; exec sleep 1000"]
c["annotations"] = {"org.example.conform": "value", "com.example.unknown-key": ""}
h = lambda s: json.loads(s)
c["hooks"] = {
  "prestart": [h(argv[0]), h(argv[1])],
  "createRuntime": [h(argv[2])],
  "createContainer": [h(argv[3])],
  "startContainer": [{"path": "/conf-start-hook.sh"}],
  "poststart": [h(argv[4])],
  "poststop": [h(argv[5])],
}' "$(hook prestart prestart-1 "$HK")" "$(hook prestart prestart-2 "$HK")" "$(hook createRuntime createRuntime "$HK")" \
	"$(hook createContainer createContainer "$HK")" "$(hook poststart poststart "$HK")" "$(hook poststop poststop "$HK")"
test ! -e /conf-start-hook.sh || echo "# /conf-start-hook.sh exists on the host: the startContainer path check is weaker"

ctr create -b "$b" life </dev/null >"$TMP/life.create" 2>&1
rc=$?
life_ops=$rc
expect_eq "$(N runtime.md Create 'This operation MUST create a new container' 'create exits 0')" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$TMP/life.create"
st=$(ctr state life 2>&1)
pid=$(jget "$st" 'd.get("pid", "")' 2>/dev/null)
track_pid "$pid"
expect_eq "$(N runtime.md State 'MUST adhere to the JSON Schema' 'state of a created container')" "" "$(state_schema "$st")"
expect_eq "$(N runtime.md State 'created: the runtime has finished the create operation' 'status')" created "$(jget "$st" 'd.get("status")' 2>/dev/null)"
expect_match "$(N runtime.md State 'pid (int, REQUIRED when status is created or running on Linux)' 'created')" '^[1-9][0-9]*$' "$pid"
expect_eq "$(N runtime.md State 'id (string, REQUIRED) is the container'"'"'s ID')" life "$(jget "$st" 'd.get("id")' 2>/dev/null)"
expect_eq "$(N runtime.md State 'bundle (string, REQUIRED) is the absolute path to the container'"'"'s bundle directory')" "$b" "$(jget "$st" 'd.get("bundle")' 2>/dev/null)"
expect_eq "$(N runtime.md State 'annotations (map, OPTIONAL) contains the list of annotations associated with the container')" \
	"{'com.example.unknown-key': '', 'org.example.conform': 'value'}" "$(jget "$st" 'dict(sorted(d.get("annotations", {}).items()))' 2>/dev/null)"
expect_eq "$(N runtime.md State 'ociVersion (string, REQUIRED) is version of the Open Container Initiative Runtime Specification with which the state complies' 'the implemented version, 1.3.0')" \
	1.3.0 "$(jget "$st" 'd.get("ociVersion")' 2>/dev/null)"
check "$(N runtime.md 'Lifecycle step 2' 'the user-specified program (from process) MUST NOT be run at this time')" test ! -e "$b/rootfs/tmp/started"
check "$(N runtime.md Create 'process.args MUST NOT be applied until triggered by the start operation' 'the init has not executed process.args')" \
	test "$(readlink "/proc/$pid/exe" 2>/dev/null | grep -c busybox)" = 0
check "$(N runtime.md 'Lifecycle step 3' 'The prestart hooks MUST be invoked by the runtime')" test -s "$HK/prestart-1.json"
check "$(N runtime.md 'Lifecycle step 4' 'The createRuntime hooks MUST be invoked by the runtime')" test -s "$HK/createRuntime.json"
check "$(N runtime.md 'Lifecycle step 5' 'The createContainer hooks MUST be invoked by the runtime')" test -s "$HK/createContainer.json"
expect_eq "$(N config.md Hooks 'Hooks MUST be called in the listed order' 'prestart[0], prestart[1], createRuntime, createContainer')" \
	"prestart-1 prestart-2 createRuntime createContainer" "$(echo $(cat "$HK/order" 2>/dev/null))"
expect_eq "$(N config.md Prestart 'The prestart hooks MUST be called before the createRuntime hooks')" \
	"prestart-1 prestart-2 createRuntime" "$(echo $(grep -E '^(prestart|createRuntime)' "$HK/order" 2>/dev/null))"
expect_eq "$(N config.md CreateContainer 'The createContainer hooks MUST be called after the createRuntime hooks')" \
	"createRuntime createContainer" "$(echo $(grep -E '^create' "$HK/order" 2>/dev/null))"
# the runtime namespace: the namespaces ctr-demo runs in (this shell's)
for k in prestart-1 createRuntime; do
	kind=${k%-1}
	got=$(jf '" ".join(d["ns"][n] for n in ("mnt","net","uts","ipc","pid"))' "$HK/$k.json")
	expect_eq "$(N config.md "$kind" "The $kind hooks MUST be executed in the runtime namespace")" \
		"$(HOSTNS mnt) $(HOSTNS net) $(HOSTNS uts) $(HOSTNS ipc) $(HOSTNS pid)" "$got"
	expect_eq "$(N config.md "$kind" "The $kind hooks' path MUST resolve in the runtime namespace" 'a path that exists only on the host ran')" \
		"$kind" "$(jf 'd["kind"]' "$HK/$k.json")"
	# before pivot_root: the container's mount table still shows the rootfs by its host path
	check "$(N config.md "$kind" "MUST be called as part of the create operation after the runtime environment has been created (according to the configuration in config.json) but before the pivot_root" 'the rootfs is mounted, not yet pivoted into')" \
		grep -q " $b/rootfs " <(jf 'd.get("mountinfo","")' "$HK/$k.json")
	expect_eq "$(N runtime.md State 'For hooks executed in the runtime namespace, it is the pid as seen by the runtime' "$kind")" \
		"$pid" "$(jf 'd["state"].get("pid")' "$HK/$k.json")"
done
expect_eq "$(N config.md CreateContainer 'The createContainer hooks MUST be executed in the container namespace')" \
	"$(for n in mnt net uts ipc pid cgroup; do readlink "/proc/$pid/ns/$n"; done | xargs)" \
	"$(jf '" ".join(d["ns"][n] for n in ("mnt","net","uts","ipc","pid","cgroup"))' "$HK/createContainer.json")"
expect_eq "$(N config.md CreateContainer "The createContainer hooks' path MUST resolve in the runtime namespace" 'a path that exists only on the host ran')" \
	createContainer "$(jf 'd["kind"]' "$HK/createContainer.json")"
check "$(N config.md CreateContainer 'after the runtime environment has been created ... but before the pivot_root' 'the hook sees the rootfs mounted at its host path')" \
	grep -q " $b/rootfs " <(jf 'd.get("mountinfo","")' "$HK/createContainer.json")
expect_eq "$(N runtime.md State 'For hooks executed in the container namespace, it is the pid as seen by the container' 'createContainer')" \
	1 "$(jf 'd["state"].get("pid")' "$HK/createContainer.json")"
for k in prestart-1 prestart-2 createRuntime createContainer; do
	expect_eq "$(N config.md Hooks 'The state of the container MUST be passed to hooks over stdin' "$k")" \
		"life $b" "$(jf 'd["state"].get("id"), d["state"].get("bundle")' "$HK/$k.json" | tr -d "(),'")"
done
check "$(N config.md StartContainer 'MUST be called before the user-specified process is executed as part of the start operation' 'not at create')" \
	test ! -e "$b/rootfs/tmp/hk/startContainer.state"

# runtime.md step 2: later edits of config.json do not reach the container
cfg "$b" 'c["process"]["args"] = ["/bin/sh", "-c", "echo changed > /tmp/changed; exec sleep 1000"]; c["hooks"]["poststart"] = []'

ctr start life </dev/null >"$TMP/life.start" 2>&1
rc=$?
life_ops="$life_ops $rc"
# the poststart hook's record exists the moment start returned
check "$(N config.md Poststart 'MUST be called after the user-specified process is executed but before the start operation returns' 'its record exists when start returns')" \
	test -s "$HK/poststart.json"
expect_eq "$(N runtime.md Start 'This operation MUST run the user-specified program' 'start exits 0')" 0 "$rc"
[ $rc = 0 ] || sed 's/^/#   /' "$TMP/life.start"
for i in $(seq 50); do [ -e "$b/rootfs/tmp/started" ] && break; sleep 0.1; done
check "$(N runtime.md 'Lifecycle step 8' 'The runtime MUST run the user-specified program, as specified by process')" test -e "$b/rootfs/tmp/started"
check "$(N runtime.md 'Lifecycle step 2' 'Any updates to config.json after this step MUST NOT affect the container')" test ! -e "$b/rootfs/tmp/changed"
check "$(N runtime.md 'Lifecycle step 7' 'The startContainer hooks MUST be invoked by the runtime')" test -s "$b/rootfs/tmp/hk/startContainer.state"
expect_eq "$(N config.md StartContainer 'MUST be called before the user-specified process is executed' 'the program had not run yet')" \
	before "$(cat "$b/rootfs/tmp/hk/startContainer.when" 2>/dev/null)"
expect_eq "$(N config.md StartContainer 'The startContainer hooks MUST be executed in the container namespace')" \
	"$(for n in mnt net uts ipc pid cgroup; do echo "$n=$(readlink "/proc/$pid/ns/$n")"; done | xargs)" \
	"$(grep -v '^user=' "$b/rootfs/tmp/hk/startContainer.ns" 2>/dev/null | xargs)"
check "$(N config.md StartContainer "The startContainer hooks' path MUST resolve in the container namespace" 'a path that exists only in the rootfs ran')" \
	test -s "$b/rootfs/tmp/hk/startContainer.ns"
expect_eq "$(N runtime.md State 'For hooks executed in the container namespace, it is the pid as seen by the container' 'startContainer')" \
	1 "$(jf 'd.get("pid")' "$b/rootfs/tmp/hk/startContainer.state")"
expect_eq "$(N config.md Hooks 'The state of the container MUST be passed to hooks over stdin' 'startContainer')" \
	life "$(jf 'd.get("id")' "$b/rootfs/tmp/hk/startContainer.state")"
check "$(N runtime.md 'Lifecycle step 9' 'The poststart hooks MUST be invoked by the runtime')" test -s "$HK/poststart.json"
exe=$(jf 'd.get("exe","")' "$HK/poststart.json")
expect_match "$(N config.md Poststart 'MUST be called after the user-specified process is executed' 'the container process runs the program, not the runtime'"'"'s init')" \
	"^$b/rootfs/bin/busybox\$|^/bin/busybox\$" "$exe"
expect_eq "$(N config.md Poststart 'The poststart hooks MUST be executed in the runtime namespace')" \
	"$(HOSTNS mnt) $(HOSTNS net) $(HOSTNS uts) $(HOSTNS ipc) $(HOSTNS pid)" \
	"$(jf '" ".join(d["ns"][n] for n in ("mnt","net","uts","ipc","pid"))' "$HK/poststart.json")"
expect_eq "$(N config.md Hooks 'The state of the container MUST be passed to hooks over stdin' 'poststart')" \
	"life $pid" "$(jf 'd["state"].get("id"), d["state"].get("pid")' "$HK/poststart.json" | tr -d "(),'")"
st=$(ctr state life 2>&1)
expect_eq "$(N runtime.md State 'MUST adhere to the JSON Schema' 'state of a running container')" "" "$(state_schema "$st")"
expect_eq "$(N runtime.md State 'running: the container process has executed the user-specified program but has not exited' 'status')" \
	running "$(jget "$st" 'd.get("status")' 2>/dev/null)"
expect_eq "$(N runtime.md State 'pid (int, REQUIRED when status is created or running on Linux)' 'running')" "$pid" "$(jget "$st" 'd.get("pid")' 2>/dev/null)"

# start of a container that is not created: no effect, an error
fails "$(N runtime.md Start 'Attempting to start a container that is not created MUST ... generate an error' 'running')" ctr start life
sleep 0.2
expect_eq "$(N runtime.md Start 'Attempting to start a container that is not created MUST have no effect on the container' 'the program did not run again')" \
	"started running $pid" "$(cat "$b/rootfs/tmp/started" 2>/dev/null | xargs) $(jget "$(ctr state life 2>&1)" 'd.get("status"), d.get("pid")' 2>/dev/null | tr -d "(),'")"
# delete of a running container: no effect, an error
fails "$(N runtime.md Delete 'Attempting to delete a container that is not stopped MUST ... generate an error' 'running, through ctr-demo')" ctr delete life
check "$(N runtime.md Delete 'Attempting to delete a container that is not stopped MUST have no effect on the container' 'running')" \
	test "$(jget "$(ctr state life 2>&1)" 'd.get("status")' 2>/dev/null)" = running -a -d "/proc/$pid"
fails "$(N runtime.md Delete 'Attempting to delete a container that is not stopped MUST ... generate an error' 'running, through the library API')" "$API" "$ROOT" delete life
check "$(N runtime.md Delete 'MUST have no effect on the container' 'running, through the library API')" \
	test "$(jget "$(ctr state life 2>&1)" 'd.get("status")' 2>/dev/null)" = running

# kill: the signal reaches the container process
ctr kill life KILL >/dev/null 2>&1
rc=$?
life_ops="$life_ops $rc"
expect_eq "$(N runtime.md Kill 'This operation MUST send the specified signal to the container process' 'kill exits 0')" 0 "$rc"
wait_status life stopped
st=$(ctr state life 2>&1)
expect_eq "$(N runtime.md Kill 'MUST send the specified signal to the container process' 'SIGKILL stopped it')" stopped "$(jget "$st" 'd.get("status")' 2>/dev/null)"
expect_eq "$(N runtime.md State 'stopped: the container process has exited' 'MUST adhere to the JSON Schema')" "" "$(state_schema "$st")"
fails "$(N runtime.md Kill 'Attempting to send a signal to a container that is neither created nor running MUST ... generate an error' 'stopped')" ctr kill life KILL
expect_eq "$(N runtime.md Kill 'MUST have no effect on the container' 'stopped')" stopped "$(jget "$(ctr state life 2>&1)" 'd.get("status")' 2>/dev/null)"
fails "$(N runtime.md Start 'Attempting to start a container that is not created MUST ... generate an error' 'stopped')" ctr start life

cg_before=$(ls -d /sys/fs/cgroup/*/ctr/life 2>/dev/null | wc -l)
ctr delete life </dev/null >"$TMP/life.delete" 2>&1
rc=$?
life_ops="$life_ops $rc"
expect_eq "$(N runtime.md 'Lifecycle step 11/12' 'The container MUST be destroyed by undoing the steps performed during create phase' 'delete exits 0')" 0 "$rc"
expect_eq "$(N runtime.md Delete 'Deleting a container MUST delete the resources that were created during the create step' 'state, cgroups, mounts')" \
	"1 $cg_before:0 " "$(test -e "$ROOT/life"; echo $?) $cg_before:$(ls -d /sys/fs/cgroup/*/ctr/life 2>/dev/null | wc -l) $(mounts_in "$b")"
check "$(N runtime.md 'Lifecycle step 13' 'The poststop hooks MUST be invoked by the runtime')" test -s "$HK/poststop.json"
expect_eq "$(N config.md Poststop 'MUST be called after the container is deleted but before the delete operation returns' 'its cgroups were gone when it ran')" \
	"[]" "$(jf 'd.get("cgroups")' "$HK/poststop.json")"
expect_eq "$(N config.md Poststop 'The poststop hooks MUST be executed in the runtime namespace')" \
	"$(HOSTNS mnt) $(HOSTNS net) $(HOSTNS uts) $(HOSTNS ipc) $(HOSTNS pid)" \
	"$(jf '" ".join(d["ns"][n] for n in ("mnt","net","uts","ipc","pid"))' "$HK/poststop.json")"
expect_eq "$(N config.md Hooks 'The state of the container MUST be passed to hooks over stdin' 'poststop')" \
	life "$(jf 'd["state"].get("id")' "$HK/poststop.json")"
expect_eq "$(N config.md Hooks 'Hooks MUST be called in the listed order' 'the whole lifecycle')" \
	"prestart-1 prestart-2 createRuntime createContainer poststart poststop" "$(echo $(cat "$HK/order" 2>/dev/null))"
fails "$(N runtime.md 'Query State' 'Attempting to query a container that does not exist MUST generate an error' 'a deleted container')" ctr state life
expect_eq "$(N runtime.md 'Scope of a Container' 'The entity using a runtime to create a container MUST be able to use the operations defined in this specification against that same container' 'create, start, kill and delete of the container above')" \
	"0 0 0 0" "$life_ops"

###############################################################################
# runtime.md Operations: missing and bad arguments
###############################################################################
fails "$(N runtime.md 'Query State' 'This operation MUST generate an error if it is not provided the ID of a container')" ctr state
fails "$(N runtime.md 'Query State' 'This operation MUST generate an error if it is not provided the ID of a container' 'library API')" "$API" "$ROOT" load-null
fails "$(N runtime.md 'Query State' 'Attempting to query a container that does not exist MUST generate an error')" ctr state no-such-container
fails "$(N runtime.md Create 'MUST generate an error if it is not provided a path to the bundle and the container ID' 'no ID')" ctr create -b "$(mkb noid)"
b=$(mkb nobundle)
rm -f "$b/config.json"
fails "$(N runtime.md Create 'MUST generate an error if it is not provided a path to the bundle' 'a directory without config.json')" ctr create -b "$b" nobundle
expect_eq "$(N runtime.md Errors "$ERRORS_WORDS" 'create without a bundle')" "" "$(state_left_)"
fails "$(N runtime.md Start 'This operation MUST generate an error if it is not provided the container ID')" ctr start
fails "$(N runtime.md Kill 'This operation MUST generate an error if it is not provided the container ID')" ctr kill
fails "$(N runtime.md Delete 'This operation MUST generate an error if it is not provided the container ID')" ctr delete
for id in '../escape' 'a/b' '.' '..' ' spaced'; do
	b=$(mkb badid)
	fails "$(N runtime.md Create 'If the ID provided is ... not valid in any other way, the implementation MUST generate an error' "id '$id'")" ctr create -b "$b" "$id"
	expect_eq "$(N runtime.md Create 'a new container MUST NOT be created' "id '$id'")" "" "$(state_left_)$(procs_under "$b/rootfs")"
done

# the same ID twice; created-state rules
b=$(mkb dup)
args "$b" 'exec sleep 1000'
ctr create -b "$b" dup </dev/null >/dev/null 2>&1
dpid=$(jget "$(ctr state dup 2>&1)" 'd.get("pid", "")' 2>/dev/null)
track_pid "$dpid"
b2=$(mkb dup2)
args "$b2" 'echo second > /tmp/second; exec sleep 1000'
fails "$(N runtime.md Create 'If the ID provided is not unique across all containers within the scope of the runtime ... MUST generate an error')" ctr create -b "$b2" dup
expect_eq "$(N runtime.md Create 'a new container MUST NOT be created' 'duplicate id: the first one is untouched')" \
	"created $dpid $b none" "$(jget "$(ctr state dup 2>&1)" 'd.get("status"), d.get("pid"), d.get("bundle")' 2>/dev/null | tr -d "(),'") $(procs_under "$b2/rootfs" | head -1)none"
fails "$(N runtime.md Delete 'Attempting to delete a container that is not stopped MUST ... generate an error' 'created, through the library API')" "$API" "$ROOT" delete dup
check "$(N runtime.md Delete 'MUST have no effect on the container' 'created, through the library API')" \
	test "$(jget "$(ctr state dup 2>&1)" 'd.get("status")' 2>/dev/null)" = created -a -d "/proc/$dpid"
# (when the API deleted it, a new one for the kill below)
if [ ! -e "$ROOT/dup" ]; then
	ctr create -b "$b" dup </dev/null >/dev/null 2>&1
	dpid=$(jget "$(ctr state dup 2>&1)" 'd.get("pid", "")' 2>/dev/null)
	track_pid "$dpid"
fi
ctr kill dup KILL >/dev/null 2>&1
expect_eq "$(N runtime.md Kill 'MUST send the specified signal to the container process' 'a created container')" 0 "$?"
wait_status dup stopped
expect_eq "$(N runtime.md Kill 'MUST send the specified signal to the container process' 'SIGKILL stopped the created container')" \
	stopped "$(jget "$(ctr state dup 2>&1)" 'd.get("status")' 2>/dev/null)"
ctr delete dup >/dev/null 2>&1

# start without process
b=$(mkbc noproc 'del c["process"]')
ctr create -b "$b" noproc </dev/null >"$TMP/noproc.out" 2>&1
rc=$?
if [ $rc = 0 ]; then
	fails "$(N runtime.md Start 'This operation MUST generate an error if process was not set')" ctr start noproc
	ctr delete --force noproc >/dev/null 2>&1
else
	expect_match "$(N runtime.md Start 'This operation MUST generate an error if process was not set' 'create refuses it, naming process')" 'process' "$(cat "$TMP/noproc.out")"
fi
expect_eq "$(N runtime.md Errors "$ERRORS_WORDS" 'a config without process')" "" "$(state_left_)"

###############################################################################
# runtime.md Lifecycle: failing hooks
###############################################################################
# hookfail KIND: a container whose KIND hook fails (the poststop hook records)
hookfail() {
	local kind=$1 d=$TMP/hf-$1 b
	mkdir -p "$d"
	b=$(mkb "hf$kind")
	cfg "$b" 'c["process"]["args"] = ["/bin/sh", "-c", "echo ran > /tmp/ran; exec sleep 1000"]
c["hooks"] = {argv[0]: [{"path": "/bin/false"}], "poststop": [json.loads(argv[1])]}' \
		"$kind" "$(hook poststop poststop "$d")"
	echo "$b"
}
for kind in prestart createRuntime createContainer; do
	b=$(hookfail $kind)
	n=$(case $kind in prestart) echo 3 ;; createRuntime) echo 4 ;; *) echo 5 ;; esac)
	refuses "$(N runtime.md "Lifecycle step $n" "If any $kind hook fails, the runtime MUST generate an error")" "$b" "$kind"
	check "$(N runtime.md "Lifecycle step $n" "If any $kind hook fails ... stop the container, and continue the lifecycle at step 12" 'the poststop hook ran (step 13)')" \
		test -s "$TMP/hf-$kind/poststop.json"
	check "$(N runtime.md "Lifecycle step $n" "If any $kind hook fails" 'the program never ran')" test ! -e "$b/rootfs/tmp/ran"
done
# startContainer fails at start
b=$(hookfail startContainer)
ctr create -b "$b" hfstart </dev/null >/dev/null 2>&1
spid=$(jget "$(ctr state hfstart 2>&1)" 'd.get("pid", "")' 2>/dev/null)
track_pid "$spid"
fails "$(N runtime.md 'Lifecycle step 7' 'If any startContainer hook fails, the runtime MUST generate an error')" ctr start hfstart
check "$(N runtime.md 'Lifecycle step 7' 'If any startContainer hook fails ... stop the container' 'the program never ran, the process is gone')" \
	eval "test ! -e '$b/rootfs/tmp/ran' && gone '$spid'"
check "$(N runtime.md 'Lifecycle step 7' 'continue the lifecycle at step 12' 'the container is destroyed: its cgroups are gone')" \
	test -z "$(cgroups_left hfstart)"
check "$(N runtime.md 'Lifecycle step 7' 'continue the lifecycle at step 12' 'then step 13: the poststop hook ran')" \
	test -s "$TMP/hf-startContainer/poststop.json"
ctr delete --force hfstart >/dev/null 2>&1
# poststart fails (runtime-spec 1.3.0: an error, stop, destroy)
b=$(hookfail poststart)
ctr create -b "$b" hfpost </dev/null >/dev/null 2>&1
ppid=$(jget "$(ctr state hfpost 2>&1)" 'd.get("pid", "")' 2>/dev/null)
track_pid "$ppid"
fails "$(N runtime.md 'Lifecycle step 9' 'If any poststart hook fails, the runtime MUST generate an error')" ctr start hfpost
check "$(N runtime.md 'Lifecycle step 9' 'If any poststart hook fails ... stop the container' 'the process is gone')" gone "$ppid"
check "$(N runtime.md 'Lifecycle step 9' 'continue the lifecycle at step 12' 'the container is destroyed: its cgroups are gone')" \
	test -z "$(cgroups_left hfpost)"
check "$(N runtime.md 'Lifecycle step 9' 'continue the lifecycle at step 12' 'then step 13: the poststop hook ran')" \
	test -s "$TMP/hf-poststart/poststop.json"
ctr delete --force hfpost >/dev/null 2>&1
# poststop fails: a warning, the other poststop hooks and delete go on
d=$TMP/hf-poststop
mkdir -p "$d"
b=$(mkb hfstop)
cfg "$b" 'c["process"]["args"] = ["true"]
c["hooks"] = {"poststop": [{"path": "/bin/false"}, json.loads(argv[0])]}' "$(hook poststop poststop "$d")"
# run = create, start, wait and delete: its delete runs the poststop hooks
runb "$b"
printf '%s\n' "$OUT" >"$TMP/hfstop.out"
expect_eq "$(N runtime.md 'Lifecycle step 13' 'If any poststop hook fails, the runtime MUST log a warning, but the remaining hooks and lifecycle continue' 'run (and its delete) exits 0, nothing left')" \
	"0 " "$RC $(state_left_)"
check "$(N runtime.md 'Lifecycle step 13' 'the remaining hooks ... continue as if the hook had succeeded' 'the second poststop hook ran')" test -s "$d/poststop.json"
expect_match "$(N runtime.md Warnings 'logging a warning does not change the flow of the operation; it MUST continue as if the warning had not been logged' 'the warning is there, delete finished')" \
	'poststop' "$(cat "$TMP/hfstop.out")"
ctr delete --force hfstop >/dev/null 2>&1

###############################################################################
# config.md: hooks, root, mounts, process, hostname, annotations, extensibility
###############################################################################
refuses_cfg "$(N config.md Hooks 'This specification extends the IEEE standard in that path MUST be absolute' 'a relative hook path is an error')" 'absolute' hookrel 'c["hooks"] = {"prestart": [{"path": "bin/true"}]}'
refuses_cfg "$(N config.md Hooks 'If set, timeout MUST be greater than zero')" 'timeout' hooktimeout0 'c["hooks"] = {"poststop": [{"path": "/bin/true", "timeout": 0}]}'

refuses_cfg "$(N runtime.md 'Lifecycle step 2' 'If the runtime is unable to create the environment specified in the config.json, it MUST generate an error' 'a mount of a filesystem type the kernel lacks')" 'conformfs|mounts\[[0-9]+\]' badfs 'c["mounts"].append({"destination": "/conf", "type": "conformfs", "source": "none"})'
refuses_cfg "$(N config.md Root 'A directory MUST exist at the path declared by the field')" 'no-such-rootfs' noroot 'c["root"]["path"] = "no-such-rootfs"'
b=$(mkbc roroot 'c["root"]["readonly"] = True')
runb "$b" 'touch /ro-test 2>/dev/null && echo rw=yes || echo rw=no; grep " / / " /proc/self/mountinfo | cut -d" " -f6'
expect_eq "$(N config.md Root 'If true then the root filesystem MUST be read-only inside the container')" "rw=no" "$(printf '%s\n' "$OUT" | head -1)"

# mounts: order, relative destination, options
src=$TMP/msrc
mkdir -p "$src/a" "$src/b" "$src/rec/sub"
echo A >"$src/a/who"
echo B >"$src/b/who"
echo top >"$src/rec/top"
mount -t tmpfs ctrconf-sub "$src/rec/sub" && echo sub >"$src/rec/sub/file"
at_cleanup "umount -l '$src/rec/sub'"
b=$(mkb mounts)
cfg "$b" '
s = argv[0]
m = lambda d, t, src, o: {"destination": d, "type": t, "source": src, "options": o}
c["mounts"] += [
  m("/ord", "none", s + "/a", ["bind"]),
  m("/ord", "none", s + "/b", ["bind"]),
  m("relmnt", "tmpfs", "tmpfs", ["size=1m"]),
  m("/flags1", "tmpfs", "tmpfs", ["ro", "nosuid", "nodev", "noexec", "noatime", "size=1m", "mode=700"]),
  m("/flags2", "tmpfs", "tmpfs", ["sync", "dirsync", "nodiratime", "lazytime", "strictatime"]),
  m("/flags3", "tmpfs", "tmpfs", ["nosuid", "suid", "nodev", "dev", "noexec", "exec", "ro", "rw", "relatime", "async", "iversion", "noiversion", "silent", "loud", "defaults"]),
  m("/bind", "none", s + "/rec", ["bind"]),
  m("/rbind", "none", s + "/rec", ["rbind"]),
  m("/bindro", "none", s + "/a", ["bind", "ro"]),
  m("/pshared", "tmpfs", "tmpfs", ["shared"]),
  m("/pprivate", "tmpfs", "tmpfs", ["private"]),
  m("/punbind", "tmpfs", "tmpfs", ["unbindable"]),
]' "$src"
runb "$b" 'mi() { grep " $1 " /proc/self/mountinfo | tail -1; }
echo ord=$(cat /ord/who)
echo rel=$(mi /relmnt | cut -d" " -f5)
echo f1=$(mi /flags1)
echo f2=$(mi /flags2)
echo f3=$(mi /flags3)
echo bind=$(cat /bind/top):$(cat /bind/sub/file 2>/dev/null)
echo rbind=$(cat /rbind/top):$(cat /rbind/sub/file 2>/dev/null)
touch /bindro/x 2>/dev/null && echo bindro=rw || echo bindro=ro
echo pshared=$(mi /pshared)
echo pprivate=$(mi /pprivate)
echo punbind=$(mi /punbind)'
expect_eq "$(N config.md Mounts 'mounts ... the container exits 0')" 0 "$RC"
[ "$RC" = 0 ] || printf '%s\n' "$OUT" | sed 's/^/#   /'
expect_eq "$(N config.md Mounts 'The runtime MUST mount entries in the listed order' 'the later bind on /ord wins')" B "$(val ord)"
expect_eq "$(N config.md Mounts 'it MAY be a relative path, in which case it MUST be interpreted as relative to /')" /relmnt "$(val rel)"
f1=$(val f1)
for o in ro nosuid nodev noexec noatime; do
	expect_match "$(N config.md 'Linux mount options' "$o | MUST")" "[ ,]$o(,| )" "$f1"
done
expect_match "$(N config.md 'Linux mount options' 'treat unknown options as filesystem-specific ones' 'size=1m, mode=700 reach tmpfs')" 'size=1024k.*mode=700|mode=700.*size=1024k' "$f1"
f2=$(val f2)
for o in sync dirsync nodiratime lazytime; do
	expect_match "$(N config.md 'Linux mount options' "$o | MUST")" "[ ,]$o(,| |$)" "$f2"
done
expect_nomatch "$(N config.md 'Linux mount options' 'strictatime | MUST' 'neither relatime nor noatime')" '[ ,](relatime|noatime)[ ,]' "$f2"
f3=$(val f3)
expect_match "$(N config.md 'Linux mount options' 'suid, dev, exec, rw, relatime, async, iversion, noiversion, silent, loud, defaults | MUST' 'accepted; the clearing ones win')" \
	'^[0-9]+ [0-9]+ [0-9:]+ / /flags3 rw,relatime ' "$f3"
expect_nomatch "$(N config.md 'Linux mount options' 'suid, dev, exec | MUST' 'clear nosuid, nodev, noexec')" '[ ,](nosuid|nodev|noexec)[ ,]' "$f3"
expect_eq "$(N config.md 'Linux mount options' 'bind | MUST' 'the tree without its submounts')" "top:" "$(val bind)"
expect_eq "$(N config.md 'Linux mount options' 'rbind | MUST' 'the tree with its submounts')" "top:sub" "$(val rbind)"
expect_eq "$(N config.md 'Linux mount options' 'ro | MUST' 'a read-only bind mount')" ro "$(val bindro)"
expect_match "$(N config.md 'Linux mount options' 'shared | MUST')" ' shared:[0-9]+' "$(val pshared)"
expect_nomatch "$(N config.md 'Linux mount options' 'private | MUST')" ' (shared|master):[0-9]+' "$(val pprivate)"
expect_match "$(N config.md 'Linux mount options' 'unbindable | MUST')" ' unbindable' "$(val punbind)"

# idmapped mounts
refuses_cfg "$(N config.md 'Linux mount options' 'If there are no uidMappings and gidMappings specified and the container isn'"'"'t using user namespaces, an error MUST be returned')" 'idmap|user namespace|uidMappings' idmapnone 'c["mounts"].append({"destination": "/idm", "type": "none", "source": argv[0], "options": ["bind", "idmap"]})' "$src/a"
refuses_cfg "$(N config.md 'POSIX-platform Mounts' 'uidMappings ... If specified, it MUST be specified along with gidMappings')" 'gidMappings' idmaphalf 'c["mounts"].append({"destination": "/idm", "type": "none", "source": argv[0], "options": ["bind", "idmap"], "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}]})' "$src/a"
b=$(mkbc idmap 'm = [{"containerID": 0, "hostID": 1000, "size": 1}]
c["mounts"].append({"destination": "/idm", "type": "none", "source": argv[0], "options": ["bind", "idmap"], "uidMappings": m, "gidMappings": m})' "$src/a")
runb "$b" 'stat -c idm=%u:%g /idm/who'
expect_eq "$(N config.md 'Linux mount options' 'If uidMappings or gidMappings are specified for the mount, the runtime MUST use those values for the mount'"'"'s mapping' 'a root-owned file shows as 1000')" \
	"1000:1000" "$(val idm)"

# process
b=$(mkb proc)
cfg "$b" '
p = c["process"]
p["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [10, 20], "umask": 23}
p["cwd"] = "/tmp"
p["env"] = ["PATH=/bin:/usr/bin", "CONF_A=1", "CONF_B=two words"]
p["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 1000, "hard": 2000}, {"type": "RLIMIT_CORE", "soft": 4096, "hard": 8192}]
caps = ["CAP_CHOWN", "CAP_KILL"]
p["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted", "inheritable", "ambient")}
p["noNewPrivileges"] = False
p["oomScoreAdj"] = 321
p["consoleSize"] = {"height": 10, "width": 20}
p["terminal"] = False
c["hostname"] = "conformhost"
c["domainname"] = "conform.example"'
runb "$b" 'echo uid=$(id -u) gid=$(id -g); echo groups=$(id -G); echo umask=$(umask); echo cwd=$(pwd)
echo a=$CONF_A; echo b=$CONF_B
echo nofile=$(grep "Max open files" /proc/self/limits | tr -s " " | cut -d" " -f4,5)
echo core=$(grep "Max core file size" /proc/self/limits | tr -s " " | cut -d" " -f5,6)
for s in Bnd Eff Prm Inh Amb; do echo cap$s=$(sed -n "s/^Cap$s:[[:space:]]*//p" /proc/self/status); done
echo nnp=$(sed -n "s/^NoNewPrivs:[[:space:]]*//p" /proc/self/status)
echo oom=$(cat /proc/self/oom_score_adj)
echo hostname=$(hostname); echo domainname=$(cat /proc/sys/kernel/domainname)'
expect_eq "$(N config.md Process 'Runtimes MUST ignore consoleSize if terminal is false or unset' 'the container ran')" 0 "$RC"
[ "$RC" = 0 ] || printf '%s\n' "$OUT" | sed 's/^/#   /'
expect_eq "$(N config.md 'POSIX-platform User' 'uid (int, REQUIRED) specifies the user ID in the container namespace' 'uid, gid')" "1000 gid=1000" "$(val uid)"
expect_match "$(N config.md 'POSIX-platform User' 'additionalGids (array of ints, OPTIONAL) specifies additional group IDs')" '^1000 10 20$|^10 20 1000$|^1000 20 10$' "$(val groups)"
expect_eq "$(N config.md 'POSIX-platform User' 'umask (int, OPTIONAL) specifies the umask of the user')" 0027 "$(val umask)"
expect_eq "$(N config.md Process 'cwd (string, REQUIRED) is the working directory that will be set for the executable')" /tmp "$(val cwd)"
expect_eq "$(N config.md Process 'env (array of strings, OPTIONAL) with the same semantics as IEEE Std 1003.1-2008'"'"'s environ')" "1 two words" "$(val a) $(val b)"
expect_eq "$(N config.md 'POSIX process' 'rlim.rlim_cur MUST match the configured value ... rlim.rlim_max MUST match the configured value' 'RLIMIT_NOFILE 1000/2000')" "1000 2000" "$(val nofile)"
expect_eq "$(N config.md 'POSIX process' 'rlim.rlim_cur MUST match the configured value ... rlim.rlim_max MUST match the configured value' 'RLIMIT_CORE 4096/8192 bytes')" "4096 8192" "$(val core)"
for s in Bnd Eff Prm Inh Amb; do
	expect_eq "$(N config.md 'Linux Process' 'capabilities (object, OPTIONAL) is an object containing arrays that specifies the sets of capabilities for the process' "Cap$s")" \
		0000000000000021 "$(val cap$s)"
done
expect_eq "$(N config.md 'Linux Process' 'noNewPrivileges' 'false: no_new_privs stays 0')" 0 "$(val nnp)"
expect_eq "$(N config.md 'Linux Process' 'If oomScoreAdj is set, the runtime MUST set oom_score_adj to the given value')" 321 "$(val oom)"
expect_eq "$(N config.md Hostname 'hostname (string, OPTIONAL) specifies the container'"'"'s hostname')" conformhost "$(val hostname)"
expect_eq "$(N config.md 'Domainname' 'domainname (string, OPTIONAL) specifies the container'"'"'s domainname')" conform.example "$(val domainname)"
b=$(mkb procdefault)
(echo 77 >/proc/self/oom_score_adj && runb "$b" 'echo oom=$(cat /proc/self/oom_score_adj); echo nnp=$(sed -n "s/^NoNewPrivs:[[:space:]]*//p" /proc/self/status)' && echo "$OUT" >"$TMP/oomdef.out")
OUT=$(cat "$TMP/oomdef.out" 2>/dev/null)
expect_eq "$(N config.md 'Linux Process' 'If oomScoreAdj is not set, the runtime MUST NOT change the value of oom_score_adj' 'the caller'"'"'s 77 is inherited')" 77 "$(val oom)"
expect_eq "$(N config.md 'Linux Process' 'noNewPrivileges' 'true: no_new_privs is 1')" 1 "$(val nnp)"
refuses_cfg "$(N config.md 'POSIX process' 'If rlimits contains duplicated entries with same type, the runtime MUST generate an error')" 'RLIMIT_NOFILE' rlimdup 'c["process"]["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": 100}, {"type": "RLIMIT_NOFILE", "soft": 200, "hard": 200}]'
refuses_cfg "$(N config.md 'POSIX process' 'The runtime MUST generate an error for any values which cannot be mapped to a relevant kernel interface')" 'RLIMIT_NOPE' rlimbad 'c["process"]["rlimits"] = [{"type": "RLIMIT_NOPE", "soft": 1, "hard": 1}]'
refuses_cfg "$(N config.md Process 'cwd ... This value MUST be an absolute path')" 'cwd' cwdrel 'c["process"]["cwd"] = "tmp"'
refuses_cfg "$(N config.md Process 'args ... at least one entry is REQUIRED (non-Windows)')" 'args' noargs 'c["process"]["args"] = []'
b=$(mkbc capunknown 'c["process"]["capabilities"] = {k: ["CAP_KILL", "CAP_CONFORM_NOT_A_CAPABILITY"] for k in ("bounding", "effective", "permitted")}')
runb "$b" 'echo capPrm=$(sed -n "s/^CapPrm:[[:space:]]*//p" /proc/self/status)'
expect_eq "$(N config.md 'Linux Process' 'Any value which cannot be mapped to a relevant kernel interface, or cannot be granted otherwise MUST be logged as a warning by the runtime' 'the container runs with the others')" \
	"0 0000000000000020" "$RC $(val capPrm)"
expect_match "$(N config.md 'Linux Process' 'MUST be logged as a warning' 'the warning names the capability')" 'CAP_CONFORM_NOT_A_CAPABILITY' "$OUT"
b=$(mkbc sched 'c["process"]["scheduler"] = {"policy": "SCHED_BATCH", "nice": 7}; c["process"]["ioPriority"] = {"class": "IOPRIO_CLASS_BE", "priority": 6}')
runb "$b" 'set -- $(sed "s/.*) //" /proc/self/stat); echo nice=${17} policy=${39}; echo io=$(ionice -p $$)'
expect_eq "$(N config.md 'Linux Process' 'scheduler (object, OPTIONAL) is an object describing the scheduler properties for the process' 'SCHED_BATCH, nice 7')" "7 policy=3" "$(val nice)"
expect_match "$(N config.md 'Linux Process' 'ioPriority (object, OPTIONAL) configures the I/O priority settings' 'best-effort 6')" 'best-effort.*6' "$(val io)"

# annotations and unknown properties
refuses_cfg "$(N config.md Annotations 'Keys MUST NOT be an empty string')" 'annotations' annempty 'c["annotations"] = {"": "x"}'
refuses_cfg "$(N config.md Annotations 'Values MUST be strings')" 'annotations' annvalue 'c["annotations"] = {"org.example.n": 1}'
refuses_cfg "$(N config.md Annotations 'Annotations MUST be a key-value map')" 'annotations' annlist 'c["annotations"] = ["a=b"]'
b=$(mkbc unknown 'c["ociVersion"] = "1.3.0"; c["conformUnknown"] = {"x": 1}; c["process"]["conformUnknown"] = True; c["linux"]["conformUnknown"] = [1]; c["mounts"][0]["conformUnknown"] = "x"')
accepts "$(N config.md Extensibility 'Runtimes MAY log unknown properties but MUST otherwise ignore them. That includes not generating errors')" "$b"
refuses_cfg "$(N config.md 'Specification version' 'a config of a newer runtime-spec (1.4.0)' 'a field this runtime does not know is an error naming it (issue 13)')" 'linux\.conformUnknown' newer 'c["ociVersion"] = "1.4.0"; c["linux"]["conformUnknown"] = [1]'
b=$(mkbc newerknown 'c["ociVersion"] = "1.4.0"')
accepts "$(N config.md 'Specification version' 'a config of a newer runtime-spec (1.4.0)' 'that uses only known fields runs (issue 13)')" "$b"
refuses_cfg "$(N config.md 'Specification version' 'ociVersion (string, REQUIRED) MUST be in SemVer v2.0.0 format')" 'ociVersion' badversion 'c["ociVersion"] = "1.3"'
refuses_cfg "$(N config.md 'Valid values' 'Runtimes MUST generate an error when invalid or unsupported values are encountered' 'namespace type conform')" 'conform' badns 'c["linux"]["namespaces"].append({"type": "conform"})'

###############################################################################
# config-linux.md
###############################################################################
# namespaces: all new, none listed (inherited), joined by path, wrong type, duplicates
b=$(mkb nsall)
cfg "$b" 'c["linux"]["namespaces"] = [{"type": t} for t in ("pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time")]
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 200000, "size": 65536}]
c["mounts"] = [x for x in c["mounts"] if x["type"] not in ("sysfs", "mqueue")]'
args "$b" 'exec sleep 1000'
ctr create -b "$b" nsall </dev/null >"$TMP/nsall.out" 2>&1
npid=$(jget "$(ctr state nsall 2>&1)" 'd.get("pid", "")' 2>/dev/null)
track_pid "$npid"
[ -n "$npid" ] || sed 's/^/#   /' "$TMP/nsall.out"
for n in pid net mnt ipc uts user cgroup time; do
	h=$(HOSTNS $n)
	[ $n = pid ] || [ $n = time ] && h=$(readlink "/proc/$$/ns/$n")
	got=$(readlink "/proc/$npid/ns/$n" 2>/dev/null)
	if [ -n "$got" ] && [ "$got" != "$h" ]; then
		ok "$(N config-linux.md Namespaces 'If path is not specified, the runtime MUST create a new container namespace of type type' "$n")"
	else
		notok "$(N config-linux.md Namespaces 'If path is not specified, the runtime MUST create a new container namespace of type type' "$n")" "host: $h" "container: $got"
	fi
done
expect_eq "$(N config-linux.md 'User namespace mappings' 'uidMappings (array of objects, OPTIONAL) describes the user namespace uid mappings from the host to the container')" \
	"0 100000 65536" "$(xargs <"/proc/$npid/uid_map" 2>/dev/null)"
expect_eq "$(N config-linux.md 'User namespace mappings' 'gidMappings (array of objects, OPTIONAL) describes the user namespace gid mappings from the host to the container')" \
	"0 200000 65536" "$(xargs <"/proc/$npid/gid_map" 2>/dev/null)"
# join the created container's namespaces by path
b=$(mkb nsjoin)
cfg "$b" 'c["linux"]["namespaces"] = [{"type": "mount"}, {"type": "pid"}] + [{"type": t, "path": "/proc/%s/ns/%s" % (argv[0], f)} for t, f in (("network", "net"), ("ipc", "ipc"), ("uts", "uts"), ("user", "user"))]
c["linux"].pop("uidMappings", None); c["linux"].pop("gidMappings", None); c.pop("hostname", None)
c["mounts"] = [x for x in c["mounts"] if x["type"] not in ("sysfs", "mqueue")]' "$npid"
args "$b" 'exec sleep 1000'
ctr create -b "$b" nsjoin </dev/null >"$TMP/nsjoin.out" 2>&1
jpid=$(jget "$(ctr state nsjoin 2>&1)" 'd.get("pid", "")' 2>/dev/null)
track_pid "$jpid"
[ -n "$jpid" ] || sed 's/^/#   /' "$TMP/nsjoin.out"
for n in net ipc uts user; do
	expect_eq "$(N config-linux.md Namespaces 'The runtime MUST place the container process in the namespace associated with that path' "$n")" \
		"$(readlink "/proc/$npid/ns/$n")" "$(readlink "/proc/$jpid/ns/$n" 2>/dev/null)"
done
ctr delete --force nsjoin >/dev/null 2>&1
refuses_cfg "$(N config-linux.md Namespaces 'The runtime MUST generate an error if path is not associated with a namespace of type type')" 'network|net' nswrong 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"] + [{"type": "network", "path": "/proc/%s/ns/uts" % argv[0]}]' "$npid"
ctr delete --force nsall >/dev/null 2>&1
refuses_cfg "$(N config-linux.md Namespaces 'If a namespaces field contains duplicated namespaces with same type, the runtime MUST generate an error')" 'ipc' nsdup 'c["linux"]["namespaces"].append({"type": "ipc"})'
# not listed: inherited (each type; the mount namespace alone in its own config, issue 13 item 1)
b=$(mkbc nsnone 'c["linux"]["namespaces"] = [{"type": "mount"}]; c.pop("hostname", None)
c["mounts"] = [x for x in c["mounts"] if x["type"] not in ("sysfs", "mqueue", "proc")]')
args "$b" 'exec sleep 1000'
ctr create -b "$b" nsnone </dev/null >"$TMP/nsnone.out" 2>&1
ipid=$(jget "$(ctr state nsnone 2>&1)" 'd.get("pid", "")' 2>/dev/null)
track_pid "$ipid"
[ -n "$ipid" ] || sed 's/^/#   /' "$TMP/nsnone.out"
for n in pid net ipc uts user cgroup time; do
	expect_eq "$(N config-linux.md Namespaces 'If a namespace type is not specified in the namespaces array, the container MUST inherit the runtime namespace of that type' "$n")" \
		"$(readlink "/proc/$$/ns/$n")" "$(readlink "/proc/$ipid/ns/$n" 2>/dev/null)"
done
ctr delete --force nsnone >/dev/null 2>&1
b=$(mkbc nsnomnt 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "mount"]; c["mounts"] = []')
args "$b" 'exec sleep 1000'
ctr create -b "$b" nsnomnt </dev/null >"$TMP/nsnomnt.out" 2>&1
mpid=$(jget "$(ctr state nsnomnt 2>&1)" 'd.get("pid", "")' 2>/dev/null)
track_pid "$mpid"
expect_eq "$(N config-linux.md Namespaces 'If a namespace type is not specified in the namespaces array, the container MUST inherit the runtime namespace of that type' 'mnt')" \
	"$(HOSTNS mnt)" "$(readlink "/proc/$mpid/ns/mnt" 2>/dev/null || cat "$TMP/nsnomnt.out")"
ctr delete --force nsnomnt >/dev/null 2>&1

# devices
b=$(mkb devices)
echo plain >"$b/rootfs/etc/not-a-device"
cfg "$b" 'c["linux"]["devices"] = [
  {"path": "/dev/conform-full", "type": "c", "major": 1, "minor": 7, "fileMode": 416, "uid": 1, "gid": 2},
  {"path": "/opt/conform-null", "type": "c", "major": 1, "minor": 3},
  {"path": "/dev/conform-fifo", "type": "p"},
  {"path": "/dev/conform-u", "type": "u", "major": 1, "minor": 5}]'
runb "$b" 'for d in /dev/conform-full /opt/conform-null /dev/null /dev/zero /dev/full /dev/random /dev/urandom /dev/tty /dev/conform-u; do
  echo "$(basename $d)=$(stat -c "%F %t:%T" $d 2>&1)"; done
echo mode=$(stat -c "%a %u:%g" /dev/conform-full)
echo fifo=$(stat -c %F /dev/conform-fifo)
echo ptmx=$(readlink /dev/ptmx)=$(stat -c %t:%T /dev/ptmx)=$(stat -c %i /dev/ptmx):$(stat -c %i /dev/pts/ptmx)'
expect_eq "$(N config-linux.md Devices 'devices (array of objects, OPTIONAL) lists devices that MUST be available in the container' '/dev/conform-full c 1:7')" "character special file 1:7" "$(val conform-full)"
expect_eq "$(N config-linux.md Devices 'fileMode ... uid ... gid' '0640, 1:2')" "640 1:2" "$(val mode)"
expect_eq "$(N config-linux.md Devices 'The path MAY be anywhere in the container filesystem, notably outside of /dev')" "character special file 1:3" "$(val conform-null)"
expect_eq "$(N config-linux.md Devices 'type of device: c, b, u or p' 'p: a FIFO')" "fifo" "$(val fifo)"
expect_eq "$(N config-linux.md Devices 'type of device: c, b, u or p' 'u: an unbuffered character device')" "character special file 1:5" "$(val conform-u)"
for d in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
	expect_eq "$(N config-linux.md 'Default Devices' 'the runtime MUST also supply' "/dev/${d%%:*}")" "character special file ${d#*:}" "$(val "${d%%:*}")"
done
ptmx=$(val ptmx)
if [ "${ptmx%%=*}" = pts/ptmx ] || [ "${ptmx%%=*}" = /dev/pts/ptmx ] || [ "$(echo "$ptmx" | cut -d= -f3 | cut -d: -f1)" = "$(echo "$ptmx" | cut -d= -f3 | cut -d: -f2)" ]; then
	ok "$(N config-linux.md 'Default Devices' '/dev/ptmx. A bind-mount or symlink of the container'"'"'s /dev/pts/ptmx')"
else
	notok "$(N config-linux.md 'Default Devices' '/dev/ptmx. A bind-mount or symlink of the container'"'"'s /dev/pts/ptmx')" "readlink=stat: $ptmx"
fi
b=$(mkb devclash)
echo plain >"$b/rootfs/etc/not-a-device"
cfg "$b" 'c["linux"]["devices"] = [{"path": "/etc/not-a-device", "type": "c", "major": 1, "minor": 3}]'
refuses "$(N config-linux.md Devices 'If a file already exists at path that does not match the requested device, the runtime MUST generate an error')" "$b" 'not-a-device'
# /dev/console with a terminal
b=$(mkbc console 'c["process"]["terminal"] = True; c["process"]["args"] = ["/bin/sh", "-c", "echo console=$(stat -c %t:%T /dev/console) tty=$(stat -c %t:%T $(tty))"]')
python3 "$RECV" "$TMP/console.sock" "$TMP/console.tty" >"$TMP/console.recv" 2>&1 &
rp=$!
track_pid $rp
for i in $(seq 50); do grep -q ready "$TMP/console.recv" 2>/dev/null && break; sleep 0.1; done
ctr run -b "$b" --console-socket "$TMP/console.sock" console </dev/null >/dev/null 2>&1
wait $rp 2>/dev/null
OUT=$(tr -d '\r' <"$TMP/console.tty" 2>/dev/null | tr ' ' '\n')
expect_eq "$(N config-linux.md 'Default Devices' '/dev/console is set up if terminal is enabled in the config by bind mounting the pseudoterminal pty to /dev/console')" \
	"$(val tty)" "$(val console)"

# cgroupsPath: absolute, the same place each time, one that exists already is left
CGP=ctrconf-$$
b=$(mkbc cgabs 'c["linux"]["cgroupsPath"] = argv[0]' "/$CGP/abs")
args "$b" 'exec sleep 1000'
ctr create -b "$b" cgabs </dev/null >/dev/null 2>&1
cpid=$(jget "$(ctr state cgabs 2>&1)" 'd.get("pid", "")' 2>/dev/null)
track_pid "$cpid"
at_cleanup "for d in /sys/fs/cgroup/*/$CGP/pre /sys/fs/cgroup/*/$CGP/abs /sys/fs/cgroup/*/$CGP; do rmdir \$d; done"
check "$(N config-linux.md 'Cgroups Path' 'In the case of an absolute path (starting with /), the runtime MUST take the path to be relative to the cgroups mount point' 'memory, pids, unified')" \
	eval "grep -qx '$cpid' /sys/fs/cgroup/memory/$CGP/abs/cgroup.procs && grep -qx '$cpid' /sys/fs/cgroup/pids/$CGP/abs/cgroup.procs && grep -qx '$cpid' /sys/fs/cgroup/unified/$CGP/abs/cgroup.procs"
first=$(grep -E '^[0-9]+:memory:' "/proc/$cpid/cgroup" 2>/dev/null)
ctr delete --force cgabs >/dev/null 2>&1
ctr create -b "$b" cgabs </dev/null >/dev/null 2>&1
cpid=$(jget "$(ctr state cgabs 2>&1)" 'd.get("pid", "")' 2>/dev/null)
track_pid "$cpid"
expect_eq "$(N config-linux.md 'Cgroups Path' 'the runtime MUST consistently attach to the same place in the cgroups hierarchy given the same value of cgroupsPath')" \
	"$first" "$(grep -E '^[0-9]+:memory:' "/proc/$cpid/cgroup" 2>/dev/null)"
ctr delete --force cgabs >/dev/null 2>&1
for d in /sys/fs/cgroup/*/; do
	case $d in */systemd/) continue ;; esac
	mkdir -p "$d$CGP/pre"
done
b=$(mkbc cgpre 'c["linux"]["cgroupsPath"] = argv[0]; c["process"]["args"] = ["true"]' "/$CGP/pre")
runb "$b"
ctr delete cgpre >/dev/null 2>&1
check "$(N runtime.md Delete 'resources associated with the container, but not created by this container, MUST NOT be deleted' 'a cgroup that existed before create')" \
	eval "test -d /sys/fs/cgroup/memory/$CGP/pre && test -d /sys/fs/cgroup/unified/$CGP/pre"
refuses_cfg "$(N config-linux.md 'Cgroups Path' 'Runtimes MAY consider certain cgroupsPath values to be invalid, and MUST generate an error if this is the case' 'a path that leaves the hierarchy')" 'cgroupsPath' cgbad 'c["linux"]["cgroupsPath"] = "/../../conform-escape"'

# linux.resources: device rules in order (c 10:200, /dev/net/tun: no default device, opening it is harmless)
for order in deny-allow allow-deny; do
	b=$(mkbc "devorder-$order" '
rules = [{"allow": False, "access": "rwm"}, {"allow": True, "type": "c", "major": 10, "minor": 200, "access": "rwm"}]
c["linux"]["resources"] = {"devices": rules if argv[0] == "deny-allow" else rules[::-1]}
caps = ["CAP_MKNOD", "CAP_DAC_OVERRIDE"]
c["process"]["capabilities"] = {k: caps for k in ("bounding", "effective", "permitted")}' "$order")
	runb "$b" 'mknod /tmp/tun c 10 200 2>/dev/null; if (exec 3<>/tmp/tun) 2>/dev/null; then echo tun=open; else echo tun=denied; fi'
	eval "tun_${order//-/_}=\$(val tun)"
done
expect_eq "$(N config-linux.md 'Allowed Device list' 'The runtime MUST apply entries in the listed order' 'deny all, allow c 10:200: usable; allow, then deny all: denied')" \
	"open denied" "$tun_deny_allow $tun_allow_deny"
if [ ! -e /sys/fs/cgroup/unified/cgroup.controllers ] || ! grep -qw memory /sys/fs/cgroup/unified/cgroup.controllers; then
	refuses_cfg "$(N config-linux.md Unified 'The runtime MUST generate an error when the configuration refers to a cgroup controller that is not present' 'memory.max, no memory controller in cgroup v2')" 'memory' unifiedmissing 'c["linux"]["resources"] = {"unified": {"memory.max": "100M"}}'
fi

# sysctl, seccomp, rootfsPropagation, masked and read-only paths, personality
b=$(mkbc sysctl 'c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "12345", "kernel.domainname": "sysctl.example"}')
runb "$b" 'echo fwd=$(cat /proc/sys/net/ipv4/ip_forward) msgmax=$(cat /proc/sys/kernel/msgmax) dom=$(cat /proc/sys/kernel/domainname)'
expect_eq "$(N config-linux.md Sysctl 'sysctl (object, OPTIONAL) allows kernel parameters to be modified at runtime for the container')" "1 msgmax=12345 dom=sysctl.example" "$(val fwd)"

b=$(mkbc seccomp 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}, {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO"}]}')
runb "$b" 'mkdir /tmp/x 2>&1; mkdir -p /tmp/y; rmdir /tmp/y 2>&1; true'
expect_match "$(N config-linux.md Seccomp 'syscalls ... errnoRet (uint, OPTIONAL) - the errno return code to use' '13: EACCES')" 'Permission denied' "$OUT"
expect_match "$(N config-linux.md Seccomp 'errnoRet ... The default is EPERM')" 'Operation not permitted' "$OUT"
refuses_cfg "$(N config-linux.md Seccomp 'When the action doesn'"'"'t support an errno, the runtime MUST print and error and fail' 'errnoRet on SCMP_ACT_KILL')" 'errno' scbaderrno 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}'
refuses_cfg "$(N config-linux.md Seccomp 'When the action doesn'"'"'t support an errno, the runtime MUST print and error and fail' 'defaultErrnoRet on SCMP_ACT_ALLOW')" 'rrno' scbaddef 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "defaultErrnoRet": 1}'
refuses_cfg "$(N config-linux.md Seccomp 'listenerMetadata ... This field MUST NOT be set if listenerPath is not set')" 'listenerMetadata|listenerPath' scmeta 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "listenerMetadata": "x"}'
refuses_cfg "$(N config-linux.md Seccomp 'names MUST contain at least one entry')" 'names' scnames 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": [], "action": "SCMP_ACT_ERRNO"}]}'
b=$(mkbc scnotify 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": argv[0], "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}' "$TMP/no-such-agent.sock")
runb "$b" 'echo program-ran'
expect_eq "$(N config-linux.md Seccomp 'listenerPath ... If sending to this socket fails, the runtime MUST generate an error' 'no agent: run fails, the program never runs')" \
	"fail" "$([ "$RC" != 0 ] && ! printf '%s' "$OUT" | grep -q program-ran && echo fail || echo "rc=$RC")"

# SCMP_ACT_NOTIFY: how the container process state reaches the agent (conform-api agent)
"$API" agent "$TMP/agent.sock" "$TMP/agent.state" 52 >"$TMP/agent.out" 2>&1 &
ap=$!
track_pid $ap
for i in $(seq 50); do grep -q ready "$TMP/agent.out" 2>/dev/null && break; sleep 0.1; done
b=$(mkbc scagent 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": argv[0], "listenerMetadata": "conform-meta", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]}' "$TMP/agent.sock")
runb "$b" 'mkdir /tmp/notified 2>&1; echo pid=$$'
wait $ap 2>/dev/null
meta=$(cat "$TMP/agent.state.meta" 2>/dev/null | xargs)
expect_match "$(N config-linux.md Seccomp 'SCMP_ACT_NOTIFY ... the agent'"'"'s answer' 'errno 52 (EBADE) reaches mkdir')" 'Invalid exchange' "$OUT"
expect_match "$(N config-linux.md 'The Container Process State' 'MUST send the container process state over the UNIX socket as regular payload serialized in JSON and file descriptors MUST be sent using SCM_RIGHTS')" \
	'^msg 1 fds 1( |$)' "$meta"
expect_eq "$(N config-linux.md 'Seccomp' 'The runtime MUST send exactly one container process state per connection' 'the payload is one JSON document')" \
	"one" "$(python3 -c 'import json,sys; json.loads(open(sys.argv[1]).read()); print("one")' "$TMP/agent.state" 2>&1 | tail -1)"
expect_match "$(N config-linux.md Seccomp 'The connection MUST NOT be reused and it MUST be closed after sending a seccomp state')" ' eof$' "$meta"
expect_nomatch "$(N config-linux.md 'The Container Process State' 'If more than one sendmsg(2) is used, the file descriptors MUST be sent only in the first call')" \
	'msg ([2-9]|[1-9][0-9]+) fds [1-9]' "$meta"
expect_eq "$(N config-linux.md 'The Container Process State' 'ociVersion (REQUIRED), fds, pid (REQUIRED), metadata, state (REQUIRED)' 'fds is [seccompFd], metadata is listenerMetadata, state names the container')" \
	"['seccompFd'] conform-meta scagent True True" \
	"$(jf '" ".join(map(str, (d.get("fds"), d.get("metadata"), d.get("state", {}).get("id"), "ociVersion" in d, isinstance(d.get("pid"), int))))' "$TMP/agent.state")"

# rootfsPropagation against a shared mount of our own (this host's / is private)
SH=$TMP/shared
mkdir -p "$SH"
mount -t tmpfs ctrconf-shared "$SH" && mount --make-shared "$SH"
at_cleanup "umount -l '$SH'"
# shared and unbindable: the rootfs mount's tag; slave and private: a mount made on the host under
# the rootfs once the container runs (it waits for /tmp/mounted, which the host writes after the mount)
for prop in shared slave private unbindable; do
	rm -rf "$SH/$prop"
	cp -a "$CTR_BUNDLE" "$SH/$prop"
	mkdir -p "$SH/$prop/rootfs/mnt/from-host"
	cfg "$SH/$prop" 'c["linux"]["rootfsPropagation"] = argv[0]' "$prop"
	case $prop in
	shared|unbindable) args "$SH/$prop" 'awk '"'"'$5 == "/" {print "root=" $0}'"'"' /proc/self/mountinfo' ;;
	*) args "$SH/$prop" 'echo ready > /tmp/ready; for i in $(seq 100); do [ -e /tmp/mounted ] && break; sleep 0.05; done
ls /mnt/from-host' ;;
	esac
	if [ $prop = slave ] || [ $prop = private ]; then
		OUT=$(timeout 30 "$CTR_DEMO" --root "$ROOT" run -b "$SH/$prop" "prop-$prop" </dev/null 2>&1 &
			for i in $(seq 100); do [ -e "$SH/$prop/rootfs/tmp/ready" ] && break; sleep 0.05; done
			mount -t tmpfs ctrconf-late "$SH/$prop/rootfs/mnt/from-host" && touch "$SH/$prop/rootfs/mnt/from-host/marker"
			touch "$SH/$prop/rootfs/tmp/mounted"
			wait)
		umount -l "$SH/$prop/rootfs/mnt/from-host" 2>/dev/null
	else
		runb "$SH/$prop"
	fi
	case $prop in
	shared) expect_match "$(N config-linux.md 'Rootfs Mount Propagation' 'shared: the rootfs mount belongs to a new peer group')" ' shared:[0-9]+' "$(val root)" ;;
	unbindable) expect_match "$(N config-linux.md 'Rootfs Mount Propagation' 'unbindable: the rootfs mount is a private mount that cannot be bind-mounted')" ' unbindable' "$(val root)" ;;
	private) expect_eq "$(N config-linux.md 'Rootfs Mount Propagation' 'private: the rootfs mount doesn'"'"'t receive mount propagation events from the host' 'a mount made on the host does not appear inside')" "" "$OUT" ;;
	slave) expect_eq "$(N config-linux.md 'Rootfs Mount Propagation' 'slave: the rootfs mount receives propagation events from the host' 'a mount made on the host appears inside')" marker "$OUT" ;;
	esac
done

b=$(mkb masked)
mkdir -p "$b/rootfs/conf-masked-dir" "$b/rootfs/conf-ro-dir"
echo secret >"$b/rootfs/conf-masked-dir/secret"
echo secret >"$b/rootfs/conf-masked-file"
cfg "$b" 'c["linux"]["maskedPaths"] += ["/conf-masked-dir", "/conf-masked-file"]; c["linux"]["readonlyPaths"] += ["/conf-ro-dir"]'
runb "$b" 'echo mdir=$(ls /conf-masked-dir | wc -l) mfile=$(cat /conf-masked-file 2>/dev/null | wc -c) kcore=$(head -c 16 /proc/kcore 2>/dev/null | wc -c)
touch /conf-ro-dir/x 2>/dev/null && echo ro=no || echo ro=yes
echo 1 > /proc/sys/kernel/domainname 2>/dev/null && echo procsys=rw || echo procsys=ro'
expect_eq "$(N config-linux.md 'Masked Paths' 'maskedPaths (array of strings, OPTIONAL) will mask over the provided paths inside the container so that they cannot be read' 'a directory, a file, /proc/kcore')" \
	"0 mfile=0 kcore=0" "$(val mdir)"
expect_eq "$(N config-linux.md 'Readonly Paths' 'readonlyPaths (array of strings, OPTIONAL) will set the provided paths as readonly inside the container' 'a directory')" yes "$(val ro)"
expect_eq "$(N config-linux.md 'Readonly Paths' 'will set the provided paths as readonly inside the container' '/proc/sys')" ro "$(val procsys)"
refuses_cfg "$(N config-linux.md 'Masked Paths' 'The values MUST be absolute paths in the container namespace')" 'maskedPaths' maskrel 'c["linux"]["maskedPaths"] = ["proc/kcore"]'
refuses_cfg "$(N config-linux.md 'Readonly Paths' 'The values MUST be absolute paths in the container namespace')" 'readonlyPaths' rorel 'c["linux"]["readonlyPaths"] = ["proc/sys"]'

b=$(mkbc pers 'c["linux"]["personality"] = {"domain": "LINUX32"}')
runb "$b" 'echo arch=$(uname -m)'
[ "$(uname -m)" = x86_64 ] && expect_match "$(N config-linux.md Personality 'LINUX32 will set the uname system call to show a 32 bit CPU type, such as i686')" '^i[3-6]86$' "$(val arch)"
refuses_cfg "$(N config-linux.md Personality 'domain (string, REQUIRED) - the execution domain. The valid list of constants is LINUX, LINUX32')" 'personality' persbad 'c["linux"]["personality"] = {"domain": "LINUX64"}'

if [ -e /sys/fs/selinux/enforce ]; then
	skip "$(N config-linux.md 'Mount Label' 'mountLabel (string, OPTIONAL) will set the Selinux context for the mounts in the container')" "SELinux is enabled: the label is not checked here"
else
	refuses_cfg "$(N runtime.md Create 'If the runtime cannot apply a property as specified in the configuration, it MUST generate an error' 'linux.mountLabel without SELinux')" 'mountLabel' mountlabel 'c["linux"]["mountLabel"] = "system_u:object_r:container_file_t:s0:c1,c2"'
fi

###############################################################################
# runtime-spec 1.3.0: netDevices, intelRdt, memoryPolicy; features
###############################################################################
b=$(mkbc rdt 'c["linux"]["intelRdt"] = {"closID": "conform"}')
if grep -qw resctrl /proc/mounts; then
	skip "$(N config-linux.md IntelRdt 'If no mounted resctrl pseudo-filesystem is available in the runtime mount namespace, the runtime MUST generate an error')" "resctrl is mounted"
else
	refuses "$(N config-linux.md IntelRdt 'If no mounted resctrl pseudo-filesystem is available in the runtime mount namespace, the runtime MUST generate an error')" "$b" 'linux\.intelRdt'
fi

if [ -e /proc/self/numa_maps ]; then
	b=$(mkbc mempol 'c["linux"]["memoryPolicy"] = {"mode": "MPOL_BIND", "nodes": "0"}')
	runb "$b" 'echo pol=$(grep -m1 " stack" /proc/self/numa_maps | cut -d" " -f2)'
	expect_eq "$(N config-linux.md 'Memory policy' 'memoryPolicy (object, OPTIONAL) sets the NUMA memory policy for the container' 'MPOL_BIND on node 0')" "bind:0" "$(val pol)"
else
	skip "$(N config-linux.md 'Memory policy' 'memoryPolicy (object, OPTIONAL) sets the NUMA memory policy for the container')" "no NUMA in this kernel"
fi
refuses_cfg "$(N config.md 'Valid values' 'Runtimes MUST generate an error when invalid or unsupported values are encountered' 'memoryPolicy.mode')" 'memoryPolicy\.mode' mempolbad 'c["linux"]["memoryPolicy"] = {"mode": "MPOL_CONFORM"}'
refuses_cfg "$(N config-linux.md 'Memory policy' 'Some modes require that there are no nodes, e.g. MPOL_DEFAULT and MPOL_LOCAL')" 'memoryPolicy\.nodes' mempolnodes 'c["linux"]["memoryPolicy"] = {"mode": "MPOL_DEFAULT", "nodes": "0"}'

# netDevices: in a network namespace of this test's own, never the host's
b=$(mkb netdev)
cfg "$b" 'c["linux"]["netDevices"] = {"cfdev0": {"name": "ctr0"}, "cfdev1": {}, "cfdev2": {"name": "net%d"}, "cfdev3": {"name": "net%d"}}'
cat >"$TMP/netdev.sh" <<'EOF'
D=$1 R=$2 B=$3
ip link set lo up
mk() { ip link add "$1" type veth peer name "$1p" && ip link set "$1" address "$2"; }
mk cfdev0 02:00:00:00:c0:01
ip addr add 192.0.2.10/24 dev cfdev0
ip -6 addr add 2001:db8::10/64 dev cfdev0 nodad
ip addr add 198.51.100.1/24 dev cfdev0 valid_lft 300 preferred_lft 300
mk cfdev1 02:00:00:00:c0:02; mk cfdev2 02:00:00:00:c0:03; mk cfdev3 02:00:00:00:c0:04
mk cfdev4 02:00:00:00:c0:05
mk cfdev5 02:00:00:00:c0:06
ip addr add 203.0.113.5/24 dev cfdev4
echo "== run"
timeout 30 "$D" --root "$R" run -b "$B/netdev" netdev </dev/null 2>&1
echo "== host after run"
ip -o link show | awk -F': ' '{print $2}' | tr '\n' ' '; echo
for id in taken missing nonetns; do
	echo "== $id"
	timeout 30 "$D" --root "$R" create -b "$B/$id" $id </dev/null >"$B/$id.out" 2>&1
	echo "rc=$?"
	cat "$B/$id.out"
	timeout 30 "$D" --root "$R" delete --force $id >/dev/null 2>&1
	if [ $id = taken ]; then
		echo "== host after taken"
		ip -o link show cfdev4 2>&1 | head -1
		ip -o addr show dev cfdev4 | grep -c 203.0.113.5
	fi
done
EOF
args "$b" 'ip -o link show | sed "s/^[0-9]*: //"; ip -o addr show | sed "s/^[0-9]*: //"'
bt=$(mkbc taken 'c["linux"]["netDevices"] = {"cfdev4": {"name": "a"}, "cfdev5": {"name": "lo"}}')
bm=$(mkbc missing 'c["linux"]["netDevices"] = {"cfdev-none": {}}')
bn=$(mkbc nonetns 'c["linux"]["netDevices"] = {"cfdev1": {}}; c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "network"]')
OUT=$(unshare -n /bin/bash "$TMP/netdev.sh" "$CTR_DEMO" "$ROOT" "$TMP" 2>&1)
run_part=$(printf '%s\n' "$OUT" | sed -n '/^== run/,/^== host after run/p')
expect_match "$(N config-linux.md 'Network Devices' 'netDevices (object, OPTIONAL) - A set of network devices that MUST be made available in the container' 'renamed to ctr0')" '^ctr0[:@]' "$run_part"
expect_match "$(N config-linux.md 'Network Devices' 'name (string, OPTIONAL) - ... If not specified, the host name is used')" '^cfdev1[:@]' "$run_part"
expect_match "$(N config-linux.md 'Network Devices' 'unless the user has provided a template by appending %d to the new name. In that case, the runtime MUST allow the move' 'net0 and net1')" \
	'net0[:@].*' "$(printf '%s\n' "$run_part" | grep -E '^net[01][:@]' | sort | xargs)"
expect_match "$(N config-linux.md 'Network Devices' 'The runtime MUST set the network device state to up after moving it' 'ctr0')" '^ctr0[:@].*[<,]UP[,>]' "$run_part"
expect_match "$(N config-linux.md 'Network Devices' 'The runtime MUST preserve existing network interface attributes, including all permanent IP addresses (IFA_F_PERMANENT flag) of any family with global scope' 'IPv4 192.0.2.10/24')" \
	'^ctr0 +inet 192\.0\.2\.10/24' "$run_part"
expect_match "$(N config-linux.md 'Network Devices' 'including all permanent IP addresses ... of any family with global scope' 'IPv6 2001:db8::10/64')" \
	'^ctr0 +inet6 2001:db8::10/64' "$run_part"
expect_match "$(N config-linux.md 'Network Devices' 'The runtime MUST preserve existing network interface attributes' 'the MAC address')" \
	'^ctr0[:@].*02:00:00:00:c0:01' "$run_part"
taken_part=$(printf '%s\n' "$OUT" | sed -n '/^== taken/,/^== missing/p')
expect_match "$(N config-linux.md 'Network Devices' 'If a network device with the specified name already exists in the container namespace, the runtime MUST generate an error' 'lo')" \
	'cfdev5.*lo' "$taken_part"
expect_match "$(N runtime.md Errors "$ERRORS_WORDS" 'netDevices: a device moved before the failure is back on the host, with its address')" \
	'cfdev4.*
1$' "$(printf '%s\n' "$taken_part" | sed -n '/^== host after taken/,$p' | tail -2)"
expect_match "$(N config-linux.md 'Network Devices' 'The runtime MUST check if moving the network interface to the container namespace is possible' 'no such device: an error naming it')" \
	'cfdev-none' "$(printf '%s\n' "$OUT" | sed -n '/^== missing/,/^== nonetns/p')"
expect_match "$(N config-linux.md 'Network Devices' 'The runtime MUST check if moving the network interface to the container namespace is possible' 'no network namespace of its own: an error')" \
	'rc=[1-9].*netDevices' "$(printf '%s\n' "$OUT" | sed -n '/^== nonetns/,$p' | xargs)"
expect_eq "$(N runtime.md Errors "$ERRORS_WORDS" 'netDevices refusals leave no state')" "" "$(state_left_)"

# features (features.md, features-linux.md)
F=$(ctr features 2>&1)
expect_eq "$(N features.md 'Specification version' 'ociVersionMax (string, REQUIRED) The maximum recognized version' '1.3.0')" 1.3.0 "$(jget "$F" 'd.get("ociVersionMax")' 2>/dev/null)"
for k in ociVersionMin ociVersionMax; do
	v=$(jget "$F" "d.get('$k')" 2>/dev/null)
	b=$(mkbc "version-$k" 'c["ociVersion"] = argv[0]' "$v")
	accepts "$(N features.md 'Specification version' "$k ... The runtime MUST accept this value as the ociVersion property of config.json" "$v")" "$b"
done
expect_eq "$(N features.md 'Specification version' 'The Features structure MUST NOT contain properties that are not defined in this version' 'top level and linux')" "" \
	"$(jget "$F" '" ".join(sorted(set(d) - {"ociVersionMin","ociVersionMax","hooks","mountOptions","linux","annotations","potentiallyUnsafeConfigAnnotations"}) + sorted(set(d.get("linux", {})) - {"namespaces","capabilities","cgroup","seccomp","apparmor","selinux","intelRdt","mountExtensions","netDevices","memoryPolicy"}))' 2>/dev/null)"
expect_eq "$(N features-linux.md IntelRdt 'schemata (bool, OPTIONAL) ... monitoring (bool, OPTIONAL)' 'not implemented: false')" "False False False" \
	"$(jget "$F" 'str(d["linux"]["intelRdt"].get("enabled")) + " " + str(d["linux"]["intelRdt"].get("schemata")) + " " + str(d["linux"]["intelRdt"].get("monitoring"))' 2>/dev/null)"
expect_eq "$(N features-linux.md NetDevices 'enabled (bool, OPTIONAL) represents whether the runtime supports the capability to move Linux network devices')" True \
	"$(jget "$F" 'd["linux"]["netDevices"]["enabled"]' 2>/dev/null)"
expect_eq "$(N features-linux.md MemoryPolicy 'modes ... The runtime MUST recognize the elements in this array')" \
	"MPOL_BIND MPOL_DEFAULT MPOL_INTERLEAVE MPOL_LOCAL MPOL_PREFERRED MPOL_PREFERRED_MANY MPOL_WEIGHTED_INTERLEAVE|MPOL_F_NUMA_BALANCING MPOL_F_RELATIVE_NODES MPOL_F_STATIC_NODES" \
	"$(jget "$F" '" ".join(sorted(d["linux"]["memoryPolicy"]["modes"])) + "|" + " ".join(sorted(d["linux"]["memoryPolicy"]["flags"]))' 2>/dev/null)"
# every mount option the features list: recognised (one tmpfs mount each; binds for the bind options)
opts=$(jget "$F" '" ".join(o for o in d["mountOptions"] if o not in ("idmap", "ridmap", "remount"))' 2>/dev/null)
b=$(mkb mountopts)
cfg "$b" 'import shlex
for o in argv[0].split():
    bind = o in ("bind", "rbind") or o.endswith("private") or o.endswith("shared") or o.endswith("slave") or o.endswith("unbindable")
    c["mounts"].append({"destination": "/mo/" + o, "type": "none" if bind else "tmpfs", "source": argv[1] if bind else "tmpfs", "options": ([] if o in ("bind", "rbind") else ["bind"]) + [o] if bind else [o]})' "$opts" "$src/a"
runb "$b" 'ls /mo | wc -l'
expect_eq "$(N features.md 'Mount options' 'mountOptions ... The runtime MUST recognize the elements in this array as the options of mounts objects in config.json' "$(echo "$opts" | wc -w) options")" \
	"0 $(echo "$opts" | wc -w)" "$RC $(printf '%s\n' "$OUT" | tail -1)"

finish
