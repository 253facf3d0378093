#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# ctr-demo's command line against runc's: flags, messages, exit codes, output
# formats (state, list, logs), byte for byte where runc defines them.  TAP.
# Usage: test-cli.sh <ctr-demo> [busybox]
# The parts that run containers need root; without it they are skipped.
set -u
X=${1:?usage: test-cli.sh <ctr-demo> [busybox]}
BUSYBOX=${2:-/bin/busybox}
T=0
FAILED=0
TMP=$(mktemp -d /tmp/ctr-cli-test.XXXXXX)
ROOT=$TMP/state
RROOT=$TMP/runc-state

cleanup() {
	local id
	for id in $("$X" --root "$ROOT" list -q 2>/dev/null); do "$X" --root "$ROOT" delete -f "$id" >/dev/null 2>&1; done
	if command -v runc >/dev/null; then
		for id in $(runc --root "$RROOT" list -q 2>/dev/null); do runc --root "$RROOT" delete -f "$id" >/dev/null 2>&1; done
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { T=$((T + 1)); echo "ok $T - $1"; }
nok() { T=$((T + 1)); FAILED=1; echo "not ok $T - $1"; shift; for l in "$@"; do echo "#   $l"; done; }
skip() { T=$((T + 1)); echo "ok $T - $1 # SKIP $2"; }
eq() { if [ "$2" = "$3" ]; then ok "$1"; else nok "$1" "want: $2" "got:  $3"; fi; }
match() { if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else nok "$1" "want match: $2" "got: $3"; fi; }
run() { OUT=$("$@" 2>"$TMP/err"); RC=$?; ERR=$(cat "$TMP/err"); }

# ---- no root needed
run "$X" --version
eq "--version: exit 0" 0 "$RC"
match "--version: first line" '^ctr-demo version [0-9]+\.[0-9]+\.[0-9]+' "$(echo "$OUT" | head -1)"
eq "--version: spec line" "spec: 1.3.0" "$(echo "$OUT" | sed -n 2p)"
run "$X" -v
eq "-v is --version" 0 "$RC"
# what the dynamic loader does at every start: the shared objects looked for nowhere but the
# system's directories (a build-time RUNPATH made it try 20 hwcaps and tls directories of the
# build tree for libc first: libctr is linked in statically, ctr-demo needs nothing there)
if command -v readelf >/dev/null; then
	eq "no RUNPATH or RPATH" "" "$(readelf -d "$X" | grep -E 'RUNPATH|RPATH')"
else
	skip "no RUNPATH or RPATH" "readelf is not installed"
fi

run "$X" create --foo x
eq "unknown flag: exit 1" 1 "$RC"
eq "unknown flag: message" "ctr-demo: unknown flag '--foo' for 'create': see 'ctr-demo create --help'" "$ERR"
run "$X" create -foo=1 x
eq "unknown single-dash flag: message names it as given" \
	"ctr-demo: unknown flag '-foo' for 'create': see 'ctr-demo create --help'" "$ERR"
run "$X" bogus
eq "unknown command: exit 3, as runc" 3 "$RC"
match "unknown command: message" "unknown command 'bogus'" "$ERR"
run "$X" --store "$TMP/store" image ls extra
eq "a subcommand's usage error names the subcommand" \
	"1:ctr-demo: 'image ls' takes no arguments: see 'ctr-demo image ls --help'" "$RC:$ERR"
run "$X" --net-dir "$TMP/nets" network inspect
eq "a network subcommand's usage error names it" \
	"1:ctr-demo: 'network inspect' needs at least one network name: see 'ctr-demo network inspect --help'" "$RC:$ERR"
run "$X" --store "$TMP/store" image ls --format xml
match "image ls --format: table or json" "invalid --format 'xml' for 'image ls': use table or json" "$ERR"
run "$X" --bogus list
eq "unknown global flag: exit 1" 1 "$RC"
run "$X" start
eq "missing container id: exit 1" 1 "$RC"
match "missing container id: message" "'start' requires a container id" "$ERR"
run "$X" state a b
eq "extra argument: exit 1" 1 "$RC"
run "$X" create --bundle
eq "flag without its value: exit 1" 1 "$RC"
match "flag without its value: message" "needs a value" "$ERR"
run "$X" list --format xml
eq "list --format xml: exit 1" 1 "$RC"
run "$X" --log-format yaml list
eq "--log-format yaml: exit 1" 1 "$RC"
run "$X" --rootless maybe list
eq "--rootless maybe: exit 1" 1 "$RC"

for c in create start run state kill delete exec list spec; do
	run "$X" "$c" --help
	if [ "$RC" = 0 ] && echo "$OUT" | grep -q "^USAGE:" && echo "$OUT" | grep -q "ctr-demo $c"; then
		ok "$c --help"
	else
		nok "$c --help" "rc=$RC" "$OUT"
	fi
done
run "$X" help kill
match "help kill" "ctr-demo kill \[command options\] <container-id> \[signal\]" "$OUT"
# the cgroup commands name a missing container; features prints the runtime-spec features document
for c in ps pause resume update events; do
	run "$X" --root "$ROOT" "$c" x
	if [ "$RC" = 1 ] && echo "$ERR" | grep -q "container 'x' does not exist"; then
		ok "$c: a missing container is an error with exit 1"
	else
		nok "$c: a missing container is an error with exit 1" "rc=$RC" "$ERR"
	fi
done
run "$X" features
eq "features: exit 0" 0 "$RC"
match "features: the runtime-spec document" '"ociVersionMax": "1\.[0-9]+\.[0-9]+"' "$OUT"
run "$X" features x
eq "features: an argument is a usage error (exit 1)" 1 "$RC"
for c in checkpoint restore; do
	run "$X" "$c" x
	if [ "$RC" = 1 ] && echo "$ERR" | grep -q "not supported by this build"; then
		ok "$c: refused clearly with exit 1"
	else
		nok "$c: refused clearly with exit 1" "rc=$RC" "$ERR"
	fi
done

mkdir -p "$TMP/spec"
run "$X" spec -b "$TMP/spec"
eq "spec: exit 0" 0 "$RC"
if python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP/spec/config.json" 2>/dev/null; then
	ok "spec: writes a config.json that parses"
else
	nok "spec: writes a config.json that parses"
fi
run "$X" spec -b "$TMP/spec"
eq "spec: refuses to overwrite" "1:ctr-demo: File config.json exists. Remove it first" "$RC:$ERR"
mkdir -p "$TMP/spec-rl"
run "$X" spec --rootless --bundle="$TMP/spec-rl"
eq "spec --rootless: exit 0" 0 "$RC"
eq "spec --rootless: user ns, no network ns, uid map of the caller" "user:False:$(id -u)" \
	"$(python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); t=[n["type"] for n in c["linux"]["namespaces"]]
print("user" if "user" in t else "-", "network" in t, c["linux"]["uidMappings"][0]["hostID"], sep=":")' \
		"$TMP/spec-rl/config.json" 2>&1)"

run "$X" --root "$ROOT" --log "$TMP/log.json" --log-format=json delete nope
eq "delete of a missing container: exit 1" 1 "$RC"
match "delete of a missing container: stderr" "^ctr-demo: .*nope.*does not exist" "$ERR"
eq "--log-format json: one JSON entry with level, msg, time" "error:True:True" \
	"$(python3 -c 'import json,sys; l=open(sys.argv[1]).read().splitlines(); d=json.loads(l[-1])
print(d["level"], "nope" in d["msg"], sorted(d) == ["level","msg","time"], sep=":")' "$TMP/log.json" 2>&1)"
run "$X" -root "$ROOT" -log "$TMP/log.txt" delete nope
match "--log text format, single-dash global flags" '^time="[0-9T:-]+Z" level=error msg=".*nope.*"$' \
	"$(cat "$TMP/log.txt" 2>/dev/null)"
run "$X" --root "$ROOT" delete -f nope
eq "delete --force of a missing container: exit 0 like runc" 0 "$RC"
# --log-format json without --log: JSON on stderr, as runc's logger writes it there; one entry per error
run "$X" --root "$ROOT" --log-format json delete nope
eq "--log-format json without --log: one JSON error entry on stderr" "1 error:True:True" \
	"$RC $(python3 -c 'import json,sys; l=sys.argv[1].splitlines(); d=json.loads(l[0])
print(d["level"], "nope" in d["msg"], len(l) == 1 and sorted(d) == ["level","msg","time"], sep=":")' "$ERR" 2>&1)"
run "$X" --root "$ROOT" --log-format json list --format xml
eq "--log-format json: a usage error is JSON too" "error" \
	"$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["level"])' "$ERR" 2>&1)"
run "$X" --root "$TMP/no-such-root" list -f json
eq "list --format json with no containers prints null" "0:null" "$RC:$OUT"
run "$X" --root "$TMP/no-such-root" list
eq "list with no containers prints the header" \
	"ID          PID         STATUS      BUNDLE      CREATED     OWNER" "$OUT"

# ---- containers (root)
if [ "$(id -u)" != 0 ] || [ ! -x "$BUSYBOX" ]; then
	echo "1..$T"
	echo "# containers skipped: need root and $BUSYBOX"
	exit $FAILED
fi
B=$TMP/bundle
mkdir -p "$B/rootfs/bin" "$B/rootfs/tmp" "$B/rootfs/proc" "$B/rootfs/sys" "$B/rootfs/dev" "$B/rootfs/etc"
cp "$BUSYBOX" "$B/rootfs/bin/busybox"
for a in sh echo cat sleep true false id pwd grep stty; do ln -sf busybox "$B/rootfs/bin/$a"; done
"$X" spec -b "$B"
# cfg PY: edit config.json with a Python statement on c
cfg() { python3 -c 'import json,sys; c=json.load(open(sys.argv[1])); exec(sys.argv[2]); json.dump(c, open(sys.argv[1], "w"), indent=1)' "$B/config.json" "$1"; }
cfg 'c["process"]["terminal"]=False; c["process"]["args"]=["sh","-c","echo hi; exit 7"]'

C="$X --root $ROOT"
run $C run -b "$B" r1
eq "run: output and exit code" "7:hi" "$RC:$OUT"
eq "run: nothing left" "" "$($C list -q)"

# --debug says what ctr-demo does, step by step; into --log as entries of its format
run $C --debug run -b "$B" dbg1
match "--debug: the command and where things are" "^ctr-demo: debug: ctr-demo run \(libctr [0-9.]+, runtime-spec [0-9.]+\): state root $ROOT" "$ERR"
match "--debug: create, from which bundle and config" "^ctr-demo: debug: create 'dbg1' from the bundle $B \(config $B/config.json\)" "$ERR"
# run without a terminal: the create starts it (CTR_CREATE_START), no separate start
match "--debug: the init's pid, started by the create" "^ctr-demo: debug: created 'dbg1': init pid [0-9]+ started, state in" "$ERR"
match "--debug: run: started in the foreground" "^ctr-demo: debug: started 'dbg1' in the foreground" "$ERR"
$C --debug create -b "$B" dbg3 </dev/null >/dev/null 2>"$TMP/dbg3.err"
match "--debug: create: the init waits for start" "^ctr-demo: debug: created 'dbg3': init pid [0-9]+ waits for start" "$(cat "$TMP/dbg3.err")"
$C delete -f dbg3
match "--debug: the exit status and the delete" "^ctr-demo: debug: 'dbg1' exited with status 7; deleting it" "$ERR"
run $C --debug --log "$TMP/debug.json" --log-format json run -b "$B" dbg2
eq "--debug --log F --log-format json: nothing on stderr, debug entries in F" "7::debug:True" \
	"$RC:$ERR:$(python3 -c 'import json,sys; e=[json.loads(l) for l in open(sys.argv[1])]
print(e[0]["level"], any("create '"'"'dbg2'"'"' from the bundle" in x["msg"] for x in e), sep=":")' "$TMP/debug.json" 2>&1)"
# one fault, one line: a broken state file, which the library reads twice for `state`, warns once
# (a state dir of no real container: a created one with its state file broken would be lost to delete)
mkdir -p "$ROOT/broken"
echo garbage >"$ROOT/broken/state.json"
run $C state broken
eq "a broken state file: one warning, in our format" "1 ctr-demo: warning: $ROOT/broken/state.json: not a valid state file" \
	"$(echo "$ERR" | grep -c 'not a valid state file') $(echo "$ERR" | sed 's/: the container loads.*//')"
$C delete -f broken >/dev/null 2>&1
rm -rf "$ROOT/broken"

# script(1) gives us a terminal; it shows a NUL it writes to the pty as "^@"
# (runc's output has it too), so that is dropped before comparing.
if command -v script >/dev/null; then
	cfg 'c["process"]["terminal"]=True; c["process"]["args"]=["sh","-c","test -t 0 && echo isatty; stty size; exit 5"]'
	OUT=$(timeout 20 script -qec "stty rows 30 cols 90; $C run -b $B tty1; echo rc=\$?" /dev/null 2>&1 | tr -d '\r\0' | sed 's/\^@//g')
	eq "run with process.terminal: a pty, our window size, the exit code" "isatty 30 90 rc=5" "$(echo $OUT)"
	cfg 'c["process"]["terminal"]=False'
else
	skip "run with process.terminal" "script(1) is not installed"
fi
cfg 'c["process"]["args"]=["sh","-c","trap \"exit 42\" TERM; sleep 100 & wait"]'
$C run -b "$B" sig1 >/dev/null 2>&1 &
P=$!
for i in $(seq 50); do [ "$($C state sig1 2>/dev/null | grep -c running)" = 1 ] && break; sleep 0.1; done
sleep 0.2
kill -TERM $P
wait $P
eq "run: SIGTERM to ctr-demo reaches the container" 42 "$?"

cfg 'c["process"]["args"]=["sleep","100"]; c["annotations"]={"b":"x<y&\"z","a":"1"}'
# a created container keeps create's stdio: never capture it with $(...)
$C create -b "$B" --pid-file "$TMP/c1.pid" c1 </dev/null >"$TMP/create.out" 2>&1
RC=$?
eq "create: exit 0" 0 "$RC"
$C state c1 >"$TMP/state.out" 2>&1
eq "state: no trailing newline, like runc" "}" "$(tail -c 1 "$TMP/state.out")"
run $C state c1
eq "state: pid file holds the pid" "$(cat "$TMP/c1.pid" 2>/dev/null)" \
	"$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["pid"])' "$OUT" 2>&1)"
if command -v runc >/dev/null && runc --root "$RROOT" create -b "$B" c1 </dev/null >/dev/null 2>&1; then
	norm() { sed -E 's/"pid": ?[0-9]+/"pid":N/g; s/"created": ?"[^"]*"/"created":T/g; s/"ociVersion": ?"[^"]*"/"ociVersion":V/g'; }
	eq "state: same document as runc's (pid, time, version aside)" \
		"$(runc --root "$RROOT" state c1 | norm)" "$($C state c1 | norm)"
	eq "list --format json: same as runc's" \
		"$(runc --root "$RROOT" list -f json | norm)" "$($C list -f json | norm)"
	# the pid and the time differ in length between the two, so do the column widths
	normt() { sed -E 's/[0-9]{2,} /N /; s/2[0-9]{3}-[^ ]*/T/' | tr -s ' '; }
	eq "list: same table as runc's" "$(runc --root "$RROOT" list | normt)" "$($C list | normt)"
	runc --root "$RROOT" delete -f c1 >/dev/null 2>&1
else
	skip "state: same document as runc's" "runc is not installed or cannot run here"
	skip "list --format json: same as runc's" "runc is not installed or cannot run here"
	skip "list: same table as runc's" "runc is not installed or cannot run here"
fi
run $C start c1
eq "start: exit 0" 0 "$RC"
run $C exec --env FOO=bar --cwd /tmp c1 sh -c 'echo $FOO; pwd; exit 3'
eq "exec: output, --env, --cwd and exit code" "3:bar /tmp" "$RC:$(echo $OUT)"
run $C exec c1 -- echo dashdash
eq "exec ID -- cmd" "0:dashdash" "$RC:$OUT"
run $C exec -u 1000:1001 -g 5 c1 id
eq "exec --user and --additional-gids" "uid=1000 gid=1001 groups=5" "$OUT"
echo '{"args":["echo","from-p"],"cwd":"/","env":["PATH=/bin"],"user":{"uid":0,"gid":0}}' >"$TMP/p.json"
run $C exec -p "$TMP/p.json" c1
eq "exec -p process.json" "0:from-p" "$RC:$OUT"
$C exec -d --pid-file "$TMP/e.pid" c1 sleep 100 </dev/null >"$TMP/exec-d.out" 2>&1
eq "exec --detach: prints nothing, exit 0" "0:" "$?:$(cat "$TMP/exec-d.out")"
match "exec --pid-file" '^[1-9][0-9]*$' "$(cat "$TMP/e.pid" 2>/dev/null)"
OUT=$(printf 'partial' | timeout 20 $C exec -t c1 sh -c 'cat; echo; echo done' 2>&1)
eq "exec -t: stdin proxied to the pty, EOF passed on" "0:partialpartial done" "$?:$(echo $OUT | tr -d '\r')"
if command -v script >/dev/null; then
	OUT=$(timeout 20 script -qec "stty rows 33 cols 77; $C exec -t c1 sh -c 'stty size; exit 4'" /dev/null 2>&1)
	eq "exec -t on a terminal: our window size" "33 77" "$(echo "$OUT" | tr -d '\r\0' | sed 's/\^@//g' | grep -o '^33 77')"
else
	skip "exec -t on a terminal: our window size" "script(1) is not installed"
fi
run $C exec c1 sh -c 'kill -9 $$'
eq "exec: killed process gives 128+9" 137 "$RC"
run $C exec c1
eq "exec without a command: exit 1" 1 "$RC"
run $C kill c1 NOSUCH
eq "kill with an unknown signal: exit 1" 1 "$RC"
run $C delete c1
eq "delete of a running container: exit 1, naming --force" \
	"1:ctr-demo: cannot delete container 'c1': it is running: stop it first ('ctr-demo kill c1'), or delete it with --force ('ctr-demo delete --force c1')" \
	"$RC:$ERR"
# exec into a paused container: refused naming --ignore-paused; with it the process runs once resumed
$C pause c1
run $C exec c1 true
eq "exec into a paused container: refused, naming --ignore-paused" \
	"1:ctr-demo: exec failed: container 'c1' is paused: resume it first ('ctr-demo resume c1'), or give --ignore-paused (the process then starts when the container is resumed)" \
	"$RC:$ERR"
timeout 30 $C exec --ignore-paused c1 echo resumed </dev/null >"$TMP/ip.out" 2>&1 &
P=$!
sleep 0.5
eq "exec --ignore-paused: waits while the container is paused" "" "$(cat "$TMP/ip.out")"
$C resume c1
wait $P
eq "exec --ignore-paused: runs once the container is resumed" "0 resumed" "$? $(cat "$TMP/ip.out")"
run $C kill c1 sigkill
eq "kill with a lower-case SIG name: exit 0" 0 "$RC"
for i in $(seq 50); do $C state c1 2>/dev/null | grep -q '"stopped"' && break; sleep 0.1; done
run $C state c1
match "state after kill: stopped, pid 0" '"pid": 0,.*"status": "stopped"' "$(echo $OUT)"
run $C delete c1
eq "delete: exit 0" 0 "$RC"
eq "delete: gone from list" "" "$($C list -q)"

echo "1..$T"
exit $FAILED
