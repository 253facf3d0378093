#!/bin/bash
# exec into a running container: output, exit code, --env, --cwd, --user,
# -p process.json, --tty with a console socket; exec into a stopped one fails.
. "$(dirname "$0")/lib.sh"
RECV=$(dirname "$0")/console-recv.py

b=$(mkb ex)
args "$b" 'exec sleep 1000'
ctr run -d -b "$b" ex </dev/null >"$TMP/ex.out" 2>&1
expect_eq "run -d: exit 0" 0 "$?"
wait_status ex running
ipid=$(jget "$(ctr state ex)" 'd["pid"]')
track_pid "$ipid"

out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec ex echo hi </dev/null 2>&1)
rc=$?
expect_eq "exec: exit 0" 0 "$rc"
expect_eq "exec: output" hi "$out"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec ex sh -c 'echo to-stderr >&2; exit 5' </dev/null 2>&1)
expect_eq "exec: exit code 5 passed through" 5 "$?"
expect_eq "exec: stderr" to-stderr "$out"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec ex sh -c 'for n in pid net mnt ipc uts cgroup; do readlink /proc/self/ns/$n; done' </dev/null 2>&1)
want=$(for n in pid net mnt ipc uts cgroup; do readlink /proc/$ipid/ns/$n; done)
expect_eq "exec: joins every namespace of the container" "$want" "$out"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec ex sh -c 'echo $$; cat /proc/1/cmdline | tr "\0" " "' </dev/null 2>&1)
expect_match "exec: sees the container's init as pid 1" '^sleep 1000 ?$' "$(printf '%s\n' "$out" | tail -n 1)"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec --env FOO=bar -e BAZ=qux ex sh -c 'echo $FOO $BAZ; echo $PATH' </dev/null 2>&1)
expect_eq "exec --env" "bar qux
/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" "$out"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec --cwd /etc ex pwd </dev/null 2>&1)
expect_eq "exec --cwd" /etc "$out"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec --user 1000:1000 ex id </dev/null 2>&1)
expect_match "exec --user 1000:1000" '^uid=1000\(user\) gid=1000\(user\)' "$out"

# --cap as runc since CVE-2022-29162: the bounding, effective and permitted sets,
# never the inheritable or ambient set (where it would survive an execve).  The
# container has runc's default capabilities and CAP_KILL inheritable.
bc=$(mkb excap)
args "$bc" 'exec sleep 1000'
cfg "$bc" 'd = ["CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
c["process"]["capabilities"] = {"bounding": d, "effective": d, "permitted": d, "inheritable": ["CAP_KILL"]}'
ctr run -d -b "$bc" excap </dev/null >"$TMP/excap.out" 2>&1
expect_eq "run -d with runc's default capabilities: exit 0" 0 "$?"
wait_status excap running
track_pid "$(jget "$(ctr state excap)" 'd["pid"]')"
capset() { printf '%s\n' "$1" | awk -v k="Cap$2:" '$1 == k {print $2}'; }
hasbit() { [ $(( (0x$1 >> $2) & 1 )) = 1 ]; }
NET_ADMIN=12
KILL_ONLY=0000000000000020
xc() { timeout 30 "$CTR_DEMO" --root "$ROOT" exec "$@" </dev/null 2>&1; }
out=$(xc excap grep ^Cap /proc/self/status)
check "exec without --cap: no CAP_NET_ADMIN in CapBnd" bash -c "! (( (0x$(capset "$out" Bnd) >> $NET_ADMIN) & 1 ))"
expect_eq "exec without --cap: CapInh is the config's (CAP_KILL)" $KILL_ONLY "$(capset "$out" Inh)"
check "exec without --cap: ip link set lo mtu fails" bash -c "! $(printf '%q ' "$CTR_DEMO") --root $ROOT exec excap ip link set lo mtu 1400 </dev/null >/dev/null 2>&1"
out=$(xc --cap CAP_NET_ADMIN excap grep ^Cap /proc/self/status)
expect_eq "exec --cap CAP_NET_ADMIN: CapInh stays the config's (CAP_KILL only)" $KILL_ONLY "$(capset "$out" Inh)"
expect_eq "exec --cap CAP_NET_ADMIN: CapAmb is 0" 0000000000000000 "$(capset "$out" Amb)"
for set in Bnd Prm Eff; do
	check "exec --cap CAP_NET_ADMIN: CAP_NET_ADMIN in Cap$set" hasbit "$(capset "$out" $set)" $NET_ADMIN
done
expect_eq "exec --cap CAP_NET_ADMIN: the capability works (ip link set lo mtu)" "ok" \
	"$(xc --cap CAP_NET_ADMIN excap sh -c 'ip link set lo mtu 1400 && echo ok')"
# a user other than root loses it at execve, as with runc: it is not inheritable
out=$(xc --cap CAP_NET_ADMIN --user 1000:1000 excap grep ^Cap /proc/self/status)
expect_eq "exec --cap CAP_NET_ADMIN --user 1000: CapInh stays the config's" $KILL_ONLY "$(capset "$out" Inh)"
expect_eq "exec --cap CAP_NET_ADMIN --user 1000: CapAmb is 0" 0000000000000000 "$(capset "$out" Amb)"
expect_eq "exec --cap CAP_NET_ADMIN --user 1000: CapEff is 0 (not kept through execve)" 0000000000000000 \
	"$(capset "$out" Eff)"
check "exec --cap CAP_NET_ADMIN --user 1000: CAP_NET_ADMIN in CapBnd" hasbit "$(capset "$out" Bnd)" $NET_ADMIN
ctr delete -f excap >/dev/null 2>&1
# a config without capabilities: --cap alone makes the sets, CapInh and CapAmb 0
out=$(xc --cap CAP_NET_ADMIN ex grep ^Cap /proc/self/status)
expect_eq "exec --cap CAP_NET_ADMIN, no capabilities in the config: CapInh is 0" 0000000000000000 "$(capset "$out" Inh)"
expect_eq "exec --cap CAP_NET_ADMIN, no capabilities in the config: CapAmb is 0" 0000000000000000 "$(capset "$out" Amb)"
check "exec --cap CAP_NET_ADMIN, no capabilities in the config: CAP_NET_ADMIN in CapEff" \
	hasbit "$(capset "$out" Eff)" $NET_ADMIN
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec --user 65534 ex id -u </dev/null 2>&1)
expect_eq "exec --user 65534" 65534 "$out"

cat >"$TMP/process.json" <<'JSON'
{
  "terminal": false,
  "user": { "uid": 1000, "gid": 1000, "additionalGids": [65534] },
  "args": [ "/bin/sh", "-c", "echo from-json $X; pwd; id -u; id -G" ],
  "env": [ "X=1", "PATH=/bin:/usr/bin" ],
  "cwd": "/home/user"
}
JSON
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec -p "$TMP/process.json" ex </dev/null 2>&1)
rc=$?
expect_eq "exec -p process.json: exit 0" 0 "$rc"
expect_eq "exec -p process.json: args, env, cwd, user, additionalGids" "from-json 1
/home/user
1000
1000 65534" "$out"

# exec --tty with a console socket
python3 "$RECV" "$TMP/exec.sock" "$TMP/exec.tty" >"$TMP/exec.recv" 2>&1 &
rpid=$!
track_pid $rpid
for i in $(seq 50); do grep -q ready "$TMP/exec.recv" 2>/dev/null && break; sleep 0.1; done
timeout 30 "$CTR_DEMO" --root "$ROOT" exec --tty --console-socket "$TMP/exec.sock" ex sh -c 'tty; [ -t 1 ] && echo stdout-is-tty' </dev/null >"$TMP/exec-tty.out" 2>&1
rc=$?
wait $rpid 2>/dev/null
expect_eq "exec --tty: exit 0" 0 "$rc"
[ $rc = 0 ] || sed 's/^/# /' "$TMP/exec-tty.out"
out=$(tr -d '\r' <"$TMP/exec.tty" 2>/dev/null)
expect_match "exec --tty: a /dev/pts tty" '^/dev/pts/[0-9]+$' "$out"
expect_match "exec --tty: stdout is the tty" '^stdout-is-tty$' "$out"

# exec -d: detached, the process runs on
timeout 30 "$CTR_DEMO" --root "$ROOT" exec -d --pid-file "$TMP/exec.pid" ex sleep 999 </dev/null >"$TMP/exec-d.out" 2>&1
expect_eq "exec -d: exit 0" 0 "$?"
epid=$(cat "$TMP/exec.pid" 2>/dev/null)
track_pid "$epid"
check "exec -d --pid-file: the process runs" alive "${epid:-0}"

out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec ex /no/such/binary </dev/null 2>&1)
rc=$?
check "exec of a missing binary fails (exit $rc)" test "$rc" != 0
expect_match "exec of a missing binary: names it" '/no/such/binary' "$out"

# after the container stopped, exec fails
ctr kill ex KILL >/dev/null 2>&1
wait_status ex stopped
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec ex echo hi </dev/null 2>&1)
rc=$?
expect_eq "exec into a stopped container: exit 1" 1 "$rc"
expect_match "exec into a stopped container: says it is stopped" 'stopped|not running' "$out"
out=$(timeout 30 "$CTR_DEMO" --root "$ROOT" exec nosuch echo hi </dev/null 2>&1)
expect_eq "exec into a missing container: exit 1" 1 "$?"
expect_match "exec into a missing container: names it" 'nosuch' "$out"
ctr delete --force ex >/dev/null 2>&1
check "exec -d process killed with its container" gone "${epid:-0}"

finish
