#!/bin/bash
# The six hook kinds: order and the state they get on stdin, env and args, a
# failing createRuntime hook, a hook timeout.
. "$(dirname "$0")/lib.sh"

# The hook directory is bind-mounted into the container at the same path, so
# hooks that run inside the container (startContainer) and outside write to
# the same log.
H=$TMP/hookdir
mkdir -p "$H"
chmod 0755 "$H"
cat >"$H/hook.sh" <<'SH'
#!/bin/sh
# hook.sh NAME: append "NAME STATUS" (from the state JSON on stdin) to $HOOKLOG,
# and "NAME PID" to $HOOKLOG.pid where PID is "1" (the pid as the container
# sees it), "host" (as the runtime sees it) or "none"
state=$(tr -d '\n\t ')
st=$(echo "$state" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p')
pid=$(echo "$state" | sed -n 's/.*"pid":\([0-9]*\).*/\1/p')
case "$pid" in 1) pid=1 ;; ""|0) pid=none ;; *) pid=host ;; esac
echo "$1 $st" >>"$HOOKLOG"
echo "$1 $pid" >>"$HOOKLOG.pid"
SH
cat >"$H/env.sh" <<'SH'
#!/bin/sh
# env.sh: record argv and the environment
out=$(dirname "$0")/env.out
for a in "$@"; do echo "arg=$a"; done >"$out"
env | sed 's/^/env=/' >>"$out"
cat >/dev/null
SH
cat >"$H/fail.sh" <<'SH'
#!/bin/sh
echo "hook failing on purpose" >&2
exit 3
SH
chmod 0755 "$H"/*.sh

hookdef() { # hookdef KIND: the JSON for one logging hook
	printf '{"path": "%s/hook.sh", "args": ["hook.sh", "%s"], "env": ["HOOKLOG=%s/log", "PATH=/usr/sbin:/usr/bin:/sbin:/bin"]}' "$H" "$1" "$H"
}

b=$(mkb hooks)
cfg "$b" '
import json as j
H = argv[0]
c["mounts"].append({"destination": H, "type": "bind", "source": H, "options": ["rbind"]})
c["hooks"] = {k: [j.loads(v)] for k, v in zip(["prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop"], argv[1:])}
c["hooks"]["poststop"].append({"path": H + "/env.sh", "args": ["env.sh", "one", "two words"], "env": ["HOOKVAR=x y"]})
' "$H" "$(hookdef prestart)" "$(hookdef createRuntime)" "$(hookdef createContainer)" "$(hookdef startContainer)" "$(hookdef poststart)" "$(hookdef poststop)"
runb "$b" 'echo container-ran'
expect_eq "hooks: run exit 0" 0 "$RC"
expect_match "hooks: container ran" '^container-ran$' "$OUT"
# status "created" for the hooks of create (the state after step 2, as crun sends it)
expect_eq "hooks: order and status on stdin (runtime.md)" "prestart created
createRuntime created
createContainer created
startContainer created
poststart running
poststop stopped" "$(cat "$H/log" 2>/dev/null)"
# runtime.md "State": pid is the container process's ID "as seen by the
# runtime" for hooks run in the runtime namespace and "as seen by the
# container" for hooks run in the container namespace (createContainer,
# startContainer: the init is 1 in its own pid namespace)
expect_eq "hooks: state.pid as each hook's namespace sees it" "prestart host
createRuntime host
createContainer 1
startContainer 1
poststart host" "$(grep -v '^poststop' "$H/log.pid" 2>/dev/null)"
expect_match "hook args: args[0] is argv[0], then the rest" '^arg=one$' "$(cat "$H/env.out" 2>/dev/null)"
expect_match "hook args: an argument with a space stays one" '^arg=two words$' "$(cat "$H/env.out" 2>/dev/null)"
expect_match "hook env: HOOKVAR" '^env=HOOKVAR=x y$' "$(cat "$H/env.out" 2>/dev/null)"
expect_eq "hooks: nothing left in the state root" "" "$(state_left)"

# --- create then start separately: createRuntime runs at create, startContainer at start
rm -f "$H/log"
b=$(mkb hooks2)
cfg "$b" '
import json as j
H = argv[0]
c["mounts"].append({"destination": H, "type": "bind", "source": H, "options": ["rbind"]})
c["hooks"] = {"createRuntime": [j.loads(argv[1])], "startContainer": [j.loads(argv[2])], "poststop": [j.loads(argv[3])]}
c["process"]["args"] = ["sleep", "1000"]
' "$H" "$(hookdef createRuntime)" "$(hookdef startContainer)" "$(hookdef poststop)"
ctr create -b "$b" hooks2 </dev/null >"$TMP/hooks2.out" 2>&1
expect_eq "create runs createRuntime only" "createRuntime created" "$(cat "$H/log" 2>/dev/null)"
ctr start hooks2 >/dev/null 2>&1
expect_eq "start runs startContainer" "createRuntime created
startContainer created" "$(cat "$H/log" 2>/dev/null)"
ctr delete --force hooks2 >/dev/null 2>&1
expect_eq "delete --force runs poststop" "poststop stopped" "$(tail -n 1 "$H/log" 2>/dev/null)"

# --- a failing createRuntime hook makes create fail and leaves nothing
b=$(mkb hookfail)
cfg "$b" 'c["hooks"] = {"createRuntime": [{"path": argv[0] + "/fail.sh"}]}; c["process"]["args"] = ["sleep", "1000"]' "$H"
ctr create -b "$b" hookfail </dev/null >"$TMP/hookfail.out" 2>&1
rc=$?
out=$(cat "$TMP/hookfail.out")
expect_eq "failing createRuntime hook: create exits 1" 1 "$rc"
expect_match "failing createRuntime hook: the error names the hook" 'createRuntime' "$out"
expect_eq "failing createRuntime hook: no state dir" "" "$(state_left)"
expect_eq "failing createRuntime hook: no process left" "" "$(procs_in "$b/rootfs")"
expect_eq "failing createRuntime hook: no mounts left" "" "$(mounts_in "$b")"

# --- a failing poststart hook (runtime-spec 1.3.0 step 9): an error; the container is
# stopped and destroyed (step 12), then the poststop hooks run (step 13)
b=$(mkb poststartfail)
rm -f "$H/log"
cfg "$b" 'import json as j
c["hooks"] = {"poststart": [{"path": argv[0] + "/fail.sh"}], "poststop": [j.loads(argv[1])]}' "$H" "$(hookdef poststop)"
runb "$b" 'sleep 30; echo still-ran'
expect_eq "failing poststart hook: run exits 1" 1 "$RC"
expect_match "failing poststart hook: the error names the hook" 'hooks.poststart\[0\].*exited with status 3' "$OUT"
expect_nomatch "failing poststart hook: the container was stopped, not waited for" '^still-ran$' "$OUT"
expect_eq "failing poststart hook: poststop ran after the destroy" "poststop stopped" "$(cat "$H/log" 2>/dev/null)"
expect_eq "failing poststart hook: nothing left" "" "$(state_left)"
expect_eq "failing poststart hook: no process left" "" "$(procs_in "$b/rootfs")"

# --- a failing startContainer hook (step 7): start fails, the container is stopped and
# destroyed (step 12), then the poststop hooks run (step 13)
b=$(mkb startfail)
rm -f "$H/log"
cfg "$b" 'import json as j
c["hooks"] = {"startContainer": [{"path": argv[0] + "/fail.sh"}], "poststop": [j.loads(argv[1])]}; c["process"]["args"] = ["sh", "-c", "echo ran > /tmp/ran; sleep 1000"]
c["mounts"].append({"destination": argv[0], "type": "bind", "source": argv[0], "options": ["rbind"]})' "$H" "$(hookdef poststop)"
ctr create -b "$b" startfail </dev/null >"$TMP/startfail.out" 2>&1
expect_eq "failing startContainer hook: create exits 0" 0 "$?"
ctr start startfail >"$TMP/startfail2.out" 2>&1
expect_eq "failing startContainer hook: start exits 1" 1 "$?"
expect_match "failing startContainer hook: the error names the hook" 'startContainer' "$(cat "$TMP/startfail2.out")"
check "failing startContainer hook: the user program did not run" test ! -e "$b/rootfs/tmp/ran"
expect_eq "failing startContainer hook: the container is destroyed: no state" "" "$(state_left)"
expect_eq "failing startContainer hook: no process left" "" "$(procs_in "$b/rootfs")"
expect_eq "failing startContainer hook: poststop ran" "poststop stopped" "$(cat "$H/log" 2>/dev/null)"

# --- the same through run, whose create starts the container (CTR_CREATE_START: the init's
# answer comes on the create's socket): run fails, the container is destroyed, poststop runs
b=$(mkb startfailrun)
rm -f "$H/log"
cfg "$b" 'import json as j
c["hooks"] = {"startContainer": [{"path": argv[0] + "/fail.sh"}], "poststop": [j.loads(argv[1])]}; c["process"]["args"] = ["sh", "-c", "echo ran > /tmp/ran; sleep 1000"]
c["mounts"].append({"destination": argv[0], "type": "bind", "source": argv[0], "options": ["rbind"]})' "$H" "$(hookdef poststop)"
runb "$b"
expect_eq "failing startContainer hook, run: exits 1" 1 "$RC"
expect_match "failing startContainer hook, run: the error names the hook" 'startContainer' "$OUT"
check "failing startContainer hook, run: the user program did not run" test ! -e "$b/rootfs/tmp/ran"
expect_eq "failing startContainer hook, run: nothing left" "" "$(state_left)"
expect_eq "failing startContainer hook, run: no process left" "" "$(procs_in "$b/rootfs")"
expect_eq "failing startContainer hook, run: no mounts left" "" "$(mounts_in "$b")"
expect_eq "failing startContainer hook, run: poststop ran once, after the destroy" "poststop stopped" \
	"$(cat "$H/log" 2>/dev/null)"

# --- run of a program that cannot be executed (a startContainer hook defers the lookup to the
# start): the start's error is run's, and nothing is left
b=$(mkb noprogrun)
rm -f "$H/log"
cfg "$b" 'import json as j
c["hooks"] = {"startContainer": [j.loads(argv[1])], "poststop": [j.loads(argv[2])]}; c["process"]["args"] = ["/no/such/program"]
c["mounts"].append({"destination": argv[0], "type": "bind", "source": argv[0], "options": ["rbind"]})' "$H" "$(hookdef startContainer)" "$(hookdef poststop)"
runb "$b"
expect_eq "unexecutable program, run: exits 1" 1 "$RC"
expect_match "unexecutable program, run: the error names the program" '/no/such/program' "$OUT"
expect_eq "unexecutable program, run: nothing left" "" "$(state_left)"
expect_eq "unexecutable program, run: no process left" "" "$(procs_in "$b/rootfs")"
expect_eq "unexecutable program, run: the startContainer hook ran, poststop after" "startContainer created
poststop stopped" "$(cat "$H/log" 2>/dev/null)"

# --- a failing poststop hook (step 13): a warning; the remaining poststop hooks and the
# lifecycle continue as if it had succeeded
b=$(mkb poststopfail)
rm -f "$H/log"
cfg "$b" 'import json as j
c["hooks"] = {"poststop": [{"path": argv[0] + "/fail.sh"}, j.loads(argv[1])]}' "$H" "$(hookdef poststop)"
runb "$b" 'true'
expect_eq "failing poststop hook: run exits 0" 0 "$RC"
expect_match "failing poststop hook: a warning names it" 'hooks.poststop\[0\].*exited with status 3' "$OUT"
expect_eq "failing poststop hook: the next poststop hook ran" "poststop stopped" "$(cat "$H/log" 2>/dev/null)"
expect_eq "failing poststop hook: nothing left" "" "$(state_left)"

# --- a signal while run deletes the container (here during a slow poststop hook) does not stop
# the delete half-way: run's signal handlers stay after the container exited, the delete completes
b=$(mkb sigdelete)
rm -f "$H/log"
cfg "$b" 'import json as j
c["hooks"] = {"poststop": [{"path": "/bin/sh", "args": ["sh", "-c", "sleep 1; echo slow-poststop-done >>" + argv[0] + "/log"]}]}' "$H"
"$CTR_DEMO" --root "$ROOT" run -b "$b" sigdelete </dev/null >"$TMP/sigdelete.out" 2>&1 &
rpid=$!
for _ in $(seq 1 100); do pgrep -f "sleep 1; echo slow-poststop-done" >/dev/null && break; sleep 0.05; done
kill -TERM "$rpid" 2>/dev/null
kill -INT "$rpid" 2>/dev/null
wait "$rpid"
rc=$?
expect_eq "SIGTERM and SIGINT during run's delete: run still exits with the container's status" 0 "$rc"
expect_eq "... the poststop hook finished" "slow-poststop-done" "$(cat "$H/log" 2>/dev/null)"
expect_eq "... nothing left" "" "$(state_left)"

# --- a hook that outlives its timeout
b=$(mkb hooktimeout)
hooksleep=30.$$
cfg "$b" 'c["hooks"] = {"createRuntime": [{"path": "/bin/sleep", "args": ["sleep", argv[0]], "timeout": 1}]}; c["process"]["args"] = ["sleep", "1000"]' "$hooksleep"
start=$(date +%s)
ctr create -b "$b" hooktimeout </dev/null >"$TMP/hooktimeout.out" 2>&1
rc=$?
took=$(($(date +%s) - start))
out=$(cat "$TMP/hooktimeout.out")
expect_eq "hook timeout: create exits 1" 1 "$rc"
check "hook timeout: killed after about 1 s (took ${took}s)" test "$took" -lt 10
expect_match "hook timeout: the error says timeout" 'time' "$out"
expect_eq "hook timeout: no state dir" "" "$(state_left)"
check "hook timeout: the hook's sleep was killed" test -z "$(pgrep -x -f "sleep $hooksleep")"

finish
