#!/bin/bash
# delete after a crash half-way through create leaves nothing behind.
. "$(dirname "$0")/lib.sh"

b=$(mkb crash)
H=$TMP/crashhook
mkdir -p "$H"
cat >"$H/hook.sh" <<SH
#!/bin/sh
cat >"$H/state.json"
echo \$\$ >"$H/hook.pid"
exec sleep 60
SH
chmod 0755 "$H/hook.sh"
cfg "$b" 'c["hooks"] = {"createRuntime": [{"path": argv[0] + "/hook.sh"}]}; c["process"]["args"] = ["sleep", "1000"]
c["mounts"].append({"destination": "/mnt/bound", "type": "bind", "source": argv[0], "options": ["rbind"]})' "$H"

"$CTR_DEMO" --root "$ROOT" create -b "$b" crash </dev/null >"$TMP/crash.out" 2>&1 &
cpid=$!
track_pid $cpid
for i in $(seq 100); do [ -s "$H/hook.pid" ] && break; sleep 0.1; done
check "the createRuntime hook runs (create is half-way)" test -s "$H/hook.pid"
hookpid=$(cat "$H/hook.pid" 2>/dev/null)
track_pid "$hookpid"
initpid=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("pid", 0))' "$H/state.json" 2>/dev/null)
track_pid "$initpid"
expect_match "the hook got the container's pid" '^[1-9][0-9]*$' "$initpid"
nspids=$(pidns_procs "$initpid")
kill -9 $cpid
wait $cpid 2>/dev/null
kill -9 "$hookpid" 2>/dev/null
st=$(ctr state crash 2>/dev/null)
expect_match "state after the crash: creating or stopped" '"status": *"(creating|stopped)"' "$st"
out=$(ctr delete --force crash 2>&1)
rc=$?
expect_eq "delete --force after the crash: exit 0" 0 "$rc"
[ $rc = 0 ] || printf '%s\n' "$out" | sed 's/^/# /'
check "after delete: no state dir" test ! -e "$ROOT/crash"
expect_eq "after delete: state root empty" "" "$(state_left)"
left=""
for p in $initpid $nspids; do gone "$p" || left="$left $p"; done
expect_eq "after delete: the container's processes are gone" "" "$left"
expect_eq "after delete: no process has its root in the bundle" "" "$(procs_in "$b/rootfs")"
expect_eq "after delete: no mount references the bundle" "" "$(grep -F "$b" /proc/self/mountinfo)"
out=$(ctr list -q 2>&1)
expect_eq "after delete: list is empty" "" "$out"

# the same id can be used again
args "$b" 'echo again'
cfg "$b" 'c.pop("hooks", None)'
runb "$b"
expect_eq "the id can be reused after the cleanup" "0 again" "$RC $OUT"

# a creator killed (-9) at random moments of create, cgroup creation included:
# delete --force must leave no cgroup directory in any hierarchy
b2=$(mkb killed)
leftcg=""
for i in $(seq 1 25); do
	id=kill$i-$$
	"$CTR_DEMO" --root "$ROOT" create -b "$b2" "$id" </dev/null >/dev/null 2>&1 &
	p=$!
	sleep "0.00$((i % 9))"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	timeout 20 "$CTR_DEMO" --root "$ROOT" delete --force "$id" >/dev/null 2>&1
	for d in /sys/fs/cgroup/*/ctr/"$id" /sys/fs/cgroup/ctr/"$id"; do [ -d "$d" ] && leftcg="$leftcg $d"; done
done
expect_eq "25 creates killed at random moments, then delete --force: no cgroup left" "" "$leftcg"
expect_eq "... and no state left" "" "$(state_left)"
for d in $leftcg; do rmdir "$d" 2>/dev/null; done

finish
