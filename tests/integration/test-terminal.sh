#!/bin/bash
# process.terminal with --console-socket: the pty master arrives over
# SCM_RIGHTS and carries the container's output.
. "$(dirname "$0")/lib.sh"
RECV=$(dirname "$0")/console-recv.py

# start_recv NAME [INPUT]: run the receiver in the background on $TMP/NAME.sock
start_recv() {
	python3 "$RECV" "$TMP/$1.sock" "$TMP/$1.tty" ${2+"$2"} >"$TMP/$1.recv" 2>&1 &
	RECV_PID=$!
	track_pid $RECV_PID
	local i
	for i in $(seq 50); do grep -q ready "$TMP/$1.recv" 2>/dev/null && return 0; sleep 0.1; done
	return 1
}

b=$(mkb tty1)
cfg "$b" 'c["process"]["terminal"] = True; c["process"]["args"] = ["/bin/sh", "-c", "if [ -t 0 ] && [ -t 1 ]; then echo is-a-tty; fi; tty; stty size; echo term=$TERM"]; c["process"]["consoleSize"] = {"height": 33, "width": 111}'
start_recv tty1
ctr run -b "$b" --console-socket "$TMP/tty1.sock" tty1 </dev/null >"$TMP/tty1.out" 2>&1
rc=$?
wait $RECV_PID 2>/dev/null
out=$(tr -d '\r' <"$TMP/tty1.tty" 2>/dev/null)
expect_eq "terminal: run exit 0" 0 "$rc"
[ $rc = 0 ] || cat "$TMP/tty1.out" | sed 's/^/# /'
expect_match "console socket: the fd arrived and is a tty" 'fd-received isatty=1' "$(cat "$TMP/tty1.tty.meta" 2>/dev/null)"
expect_match "terminal: stdin and stdout are a tty" '^is-a-tty$' "$out"
expect_match "terminal: tty is a /dev/pts device" '^/dev/pts/[0-9]+$' "$out"
expect_match "terminal: consoleSize 33x111" '^33 111$' "$out"
expect_match "terminal: TERM from the spec" '^term=xterm$' "$out"

# input through the pty
b=$(mkb tty2)
cfg "$b" 'c["process"]["terminal"] = True; c["process"]["args"] = ["/bin/sh", "-c", "read line; echo got=$line"]'
start_recv tty2 $'hello-input\n'
ctr run -b "$b" --console-socket "$TMP/tty2.sock" tty2 </dev/null >"$TMP/tty2.out" 2>&1
rc=$?
wait $RECV_PID 2>/dev/null
expect_eq "terminal input: run exit 0" 0 "$rc"
expect_match "terminal input: the container read what we wrote" '^got=hello-input' "$(tr -d '\r' <"$TMP/tty2.tty" 2>/dev/null)"

# terminal without a console socket is an error for create (runc says so too)
b=$(mkb tty3)
cfg "$b" 'c["process"]["terminal"] = True'
ctr create -b "$b" tty3 </dev/null >"$TMP/tty3.out" 2>&1
rc=$?
expect_eq "terminal without --console-socket: create exits 1" 1 "$rc"
expect_match "terminal without --console-socket: says so" 'console' "$(cat "$TMP/tty3.out")"
expect_eq "terminal without --console-socket: nothing left" "" "$(state_left)"

# run in the foreground with a terminal but nothing to connect it to (stdio
# redirected, no controlling terminal): fail at once as runc does, instead of
# a shell waiting forever for input (it ignores the TERM a timeout sends)
b=$(mkb tty4)
cfg "$b" 'c["process"]["terminal"] = True; c["process"]["args"] = ["/bin/sh"]'
t0=$(date +%s)
timeout -s KILL 30 setsid -w "$CTR_DEMO" --root "$ROOT" run -b "$b" tty4 </dev/null >"$TMP/tty4.out" 2>&1
rc=$?
expect_eq "terminal, no terminal of ours: run exits 1 (not killed by the timeout)" 1 "$rc"
check "terminal, no terminal of ours: at once" [ $(($(date +%s) - t0)) -lt 10 ]
expect_match "terminal, no terminal of ours: the error says what to do" \
	'process.terminal is true but there is no terminal to connect it to: .*/dev/tty: .*set process.terminal to false in .*/tty4/config.json' \
	"$(cat "$TMP/tty4.out")"
expect_eq "terminal, no terminal of ours: nothing left" "" "$(state_left)"
for id in $(ls -A "$ROOT"); do ctr delete -f "$id" >/dev/null 2>&1; done
# with a controlling terminal (script(1)) and stdio redirected it runs, as runc's does
if command -v script >/dev/null; then
	args "$b" 'tty; echo ran'
	timeout 30 script -qec "$CTR_DEMO --root $ROOT run -b $b tty4 </dev/null >$TMP/tty5.out 2>&1" /dev/null >/dev/null 2>&1
	expect_match "terminal, stdio redirected, a controlling terminal: runs on a pty" '^/dev/pts/[0-9]+' "$(tr -d '\r' <"$TMP/tty5.out")"
else
	skip "terminal, stdio redirected, a controlling terminal" "script(1) is not installed (package bsdutils)"
fi

finish
