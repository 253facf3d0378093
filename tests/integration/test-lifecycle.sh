#!/bin/bash
# run, create/state/start/kill/delete, state JSON, list, kill, delete --force.
. "$(dirname "$0")/lib.sh"

# --- run: output and exit code
b=$(mkb run1)
runb "$b"
expect_eq "run: exit code 0" 0 "$RC"
expect_eq "run: output of the container reaches our stdout" "hello from libctr" "$OUT"
b=$(mkb run7)
runb "$b" 'echo out; echo err >&2; exit 7'
expect_eq "run: exit 7 gives exit code 7" 7 "$RC"
expect_match "run: stdout and stderr" '^out$' "$OUT"
expect_match "run: stderr" '^err$' "$OUT"
expect_eq "run: nothing left in the state root" "" "$(state_left)"
b=$(mkb runsig)
# without a pid namespace of its own sh is not a pid-1 init that ignores SIGTERM
cfg "$b" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "pid"]'
runb "$b" 'kill -TERM $$'
expect_eq "run: killed by SIGTERM gives 128+15" 143 "$RC"

# --- create / state / start / state / kill / delete
b=$(mkb life)
args "$b" 'echo started > /tmp/started; exec sleep 1000'
cfg "$b" 'c.setdefault("annotations", {})["org.test.key"] = "value"'
ctr create -b "$b" --pid-file "$TMP/life.pid" life >"$TMP/life.out" 2>&1 </dev/null
rc=$?
out=$(cat "$TMP/life.out")
expect_eq "create: exit 0" 0 "$rc"
[ -n "$out" ] && printf "%s\n" "$out" | sed "s/^/# create: /"
st=$(ctr state life 2>&1)
check "state: valid JSON" python3 -c 'import json,sys; json.loads(sys.argv[1])' "$st"
expect_eq "state after create: status created" created "$(jget "$st" 'd["status"]')"
expect_eq "state: id" life "$(jget "$st" 'd["id"]')"
expect_eq "state: bundle is the absolute bundle path" "$b" "$(jget "$st" 'd["bundle"]')"
expect_match "state: ociVersion" '^1\.' "$(jget "$st" 'd["ociVersion"]')"
pid=$(jget "$st" 'd.get("pid", 0)')
expect_match "state: pid is a positive number" '^[1-9][0-9]*$' "$pid"
expect_eq "--pid-file holds the init pid" "$pid" "$(cat "$TMP/life.pid" 2>/dev/null)"
expect_eq "state: annotations" value "$(jget "$st" 'd.get("annotations", {}).get("org.test.key")')"
track_pid "$pid"
check "created container: the process exists" alive "$pid"
check "created container: user program not yet run" test ! -e "$b/rootfs/tmp/started"
out=$(ctr start life 2>&1)
expect_eq "start: exit 0" 0 "$?"
wait_status life running
st=$(ctr state life 2>&1)
expect_eq "state after start: status running" running "$(jget "$st" 'd["status"]')"
for i in $(seq 50); do [ -e "$b/rootfs/tmp/started" ] && break; sleep 0.1; done
check "start: the user program runs" test -e "$b/rootfs/tmp/started"
out=$(ctr start life 2>&1)
rc=$?
expect_eq "start of a running container fails with 1" 1 "$rc"
out=$(ctr delete life 2>&1)
rc=$?
expect_eq "delete of a running container fails" 1 "$rc"
expect_match "delete of a running container: says why" 'running|force' "$out"
check "delete of a running container leaves it running" alive "$pid"

# --- list
b2=$(mkb life2)
args "$b2" 'exec sleep 1000'
ctr create -b "$b2" life2 </dev/null >"$TMP/life2.out" 2>&1
out=$(ctr list 2>&1)
expect_match "list: table header" '^ID +PID +STATUS +BUNDLE' "$out"
expect_match "list: running container" "^life +$pid +running +$b" "$out"
expect_match "list: created container" "^life2 +[0-9]+ +created +$b2" "$out"
out=$(ctr list --format json 2>&1)
expect_eq "list --format json: ids and statuses" "life:running life2:created" \
	"$(jget "$out" '" ".join(x["id"] + ":" + x["status"] for x in sorted(d, key=lambda x: x["id"]))')"
out=$(ctr list -q 2>&1)
expect_eq "list -q: ids" "life life2" "$(echo $out)"

# --- kill with a named signal, then delete
ctr kill life KILL >/dev/null 2>&1
expect_eq "kill KILL: exit 0" 0 "$?"
wait_status life stopped
expect_eq "after kill: status stopped" stopped "$(jget "$(ctr state life 2>&1)" 'd["status"]')"
out=$(ctr kill life TERM 2>&1)
expect_eq "kill of a stopped container fails" 1 "$?"
out=$(ctr delete life 2>&1)
expect_eq "delete of a stopped container: exit 0" 0 "$?"
check "delete: state dir gone" test ! -e "$ROOT/life"
out=$(ctr state life 2>&1)
rc=$?
expect_eq "state of a deleted container fails" 1 "$rc"
expect_match "state of a deleted container: names it" 'life' "$out"

# --- kill with a numbered signal (15) and SIGTERM handled by a trap
ctr start life2 >/dev/null 2>&1
wait_status life2 running
pid2=$(jget "$(ctr state life2)" 'd["pid"]')
ctr kill life2 0 >/dev/null 2>&1
expect_eq "kill 0 (existence check) of a running container: exit 0" 0 "$?"
check "kill 0: the process is still there" alive "$pid2"
ctr kill life2 9 >/dev/null 2>&1
expect_eq "kill 9: exit 0" 0 "$?"
wait_status life2 stopped
check "kill 9: process gone" gone "$pid2"
ctr delete life2 >/dev/null 2>&1
expect_eq "delete life2" 0 "$?"
b3=$(mkb killsig)
args "$b3" 'trap "echo got-usr1 > /tmp/sig; exit 0" USR1; echo ready > /tmp/ready; while :; do sleep 0.1; done'
ctr run -d -b "$b3" killsig </dev/null >/dev/null 2>&1
expect_eq "run -d: exit 0" 0 "$?"
for i in $(seq 50); do [ -e "$b3/rootfs/tmp/ready" ] && break; sleep 0.1; done
ctr kill killsig SIGUSR1 >/dev/null 2>&1
expect_eq "kill SIGUSR1: exit 0" 0 "$?"
for i in $(seq 50); do [ -e "$b3/rootfs/tmp/sig" ] && break; sleep 0.1; done
expect_eq "kill SIGUSR1: the trap ran" got-usr1 "$(cat "$b3/rootfs/tmp/sig" 2>/dev/null)"
ctr delete --force killsig >/dev/null 2>&1

# --- kill --all: two sleeping processes, both die
b4=$(mkb killall)
args "$b4" 'sleep 1000 & sleep 1001 & wait'
# a pid namespace of its own makes --all find them through the init's namespace;
# pids are collected from the host side
ctr run -d -b "$b4" killall </dev/null >/dev/null 2>&1
wait_status killall running
sleep 0.5
ipid=$(jget "$(ctr state killall)" 'd["pid"]')
kids=$(for p in $(pidns_procs "$ipid"); do [ "$p" != "$ipid" ] && echo $p; done)
expect_eq "kill --all: two sleeping processes" 2 "$(echo $kids | wc -w)"
ctr kill --all killall KILL >/dev/null 2>&1
expect_eq "kill --all: exit 0" 0 "$?"
left=""
for p in $kids $ipid; do gone "$p" || left="$left $p"; done
expect_eq "kill --all: every process died" "" "$left"
ctr delete --force killall >/dev/null 2>&1

# --- kill of a created (not started) container
b7=$(mkb killcreated)
args "$b7" 'exec sleep 1000'
ctr create -b "$b7" killcreated </dev/null >"$TMP/killcreated.out" 2>&1
kpid=$(jget "$(ctr state killcreated)" 'd["pid"]')
track_pid "$kpid"
ctr kill killcreated KILL >/dev/null 2>&1
expect_eq "kill of a created container: exit 0" 0 "$?"
check "kill of a created container: its process dies" gone "$kpid"
wait_status killcreated stopped
expect_eq "kill of a created container: stopped" stopped "$(jget "$(ctr state killcreated)" 'd["status"]')"
ctr delete killcreated >/dev/null 2>&1
expect_eq "delete of the killed created container" "0 " "$? $(state_left | grep killcreated)"

# --- delete --force of a running container
b5=$(mkb force)
args "$b5" 'exec sleep 1000'
ctr run -d -b "$b5" force </dev/null >/dev/null 2>&1
wait_status force running
fpid=$(jget "$(ctr state force)" 'd["pid"]')
ctr delete --force force >/dev/null 2>&1
expect_eq "delete --force of a running container: exit 0" 0 "$?"
check "delete --force: process gone" gone "$fpid"
check "delete --force: state gone" test ! -e "$ROOT/force"
expect_eq "delete --force: no mounts left under the bundle" "" "$(mounts_in "$b5")"

# --- ctr-demo spec writes a config.json that runs as it is (with our rootfs)
b6=$(mkb specgen)
rm -f "$b6/config.json"
ctr spec -b "$b6" >"$TMP/spec.out" 2>&1
expect_eq "spec -b: exit 0" 0 "$?"
check "spec -b: writes a valid config.json" python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$b6/config.json"
out=$(ctr spec -b "$b6" 2>&1)
expect_eq "spec: refuses to overwrite an existing config.json" 1 "$?"
args "$b6" 'echo from-default-spec; hostname'
cfg "$b6" 'c["process"]["terminal"] = False'
runb "$b6"
expect_eq "default spec: runs" "0 from-default-spec" "$RC $(printf '%s\n' "$OUT" | head -n 1)"

# --- the creator killed after the init stub said CREATED, before its last go: the stub
# cleared PR_SET_PDEATHSIG before it said so (its creator may return and exit at once),
# and leaves on the sync socket's hangup instead
if command -v strace >/dev/null; then
	b=$(mkb orphan)
	# each sendmsg of the creator's main thread waits a second: the last one is its go after
	# CREATED (a second: with half of one, the creator was gone before the test looked for
	# it once, in the slow pure-v2 guest with a second guest running beside it)
	strace -o /dev/null -e trace=sendmsg -e inject=sendmsg:delay_enter=1000000 \
		"$CTR_DEMO" --root "$ROOT" create -b "$b" orphan </dev/null >/dev/null 2>&1 &
	sp=$!
	stub=
	for i in $(seq 100); do
		p=$(sed -n 's/.*"pid": *\([0-9]*\).*/\1/p' "$ROOT/orphan/state.json" 2>/dev/null)
		if [ -n "$p" ] && [ "$(cat "/proc/$p/comm" 2>/dev/null)" = memfd:ctr-init ]; then
			stub=$p
			break
		fi
		sleep 0.05
	done
	check "creator killed before its last go: the init stub ran" test -n "$stub"
	sleep 0.2 # CREATED is sent: the creator waits in its delayed go
	creator=$(pgrep -P "$sp" -x ctr-demo)
	check "creator killed before its last go: the creator is there" test -n "$creator"
	kill -9 "$creator" 2>/dev/null
	wait "$sp" 2>/dev/null
	check "creator killed before its last go: the init stub leaves" gone "$stub"
	ctr delete --force orphan >/dev/null 2>&1
	expect_eq "creator killed before its last go: delete leaves no state" "" "$(state_left)"
	expect_eq "creator killed before its last go: nor cgroup" "" "$(cgroups_left orphan)"
else
	skip "creator killed before its last go" "strace is not installed"
fi

expect_eq "state root empty at the end" "" "$(state_left)"

finish
