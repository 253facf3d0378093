#!/bin/bash
# What libctr does in the embedding process: every fd it makes there is
# close-on-exec (else it leaks into whatever another thread of the embedder
# runs), and every thread it starts blocks every signal (else the host's
# handlers run on it).  ctr-demo runs an image unpack with an opaque
# directory (the layer prune step, writer threads), an import and a
# container from the image (overlay), a bundle run with its own network
# namespace (a thread enters it), a detached container with an exec, kill
# and delete, all with hostcheck.so preloaded (FDCHECK_OBJECT: libctr.so, or
# ctr-demo itself, which links libctr's public object in), which logs every
# fd that object creates without FD_CLOEXEC and every thread it starts that
# can take a signal.  A control program shows that hostcheck.so catches a
# dup() and a thread with signals open (and a dup() added to
# ctr_container_create was caught in the static ctr-demo).
#
# The same checks run on HOST_PROGRAM (tests/embed/netns-spare.c: five
# containers in one context, pipes, the network namespace thread), which
# links libctr.so and json-c as shared objects: hostcheck.so's json-c
# wrappers see libctr's calls there (ctr-demo may take json-c from its static
# archive, where no preloaded wrapper sees them).
#
# Usage: host-hygiene.sh HOSTCHECK_SO HOSTCHECK_CONTROL HOST_PROGRAM   (integration environment)
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/../image/image-lib.sh"
mk() { python3 "$(dirname "$0")/../image/mkimage.py" "$1" "$2"; }
SHIM=$1
CONTROL=$2
HOSTPROG=$3
LOG=$TMP/fdcheck.log

# A sanitizer build preloads its runtime first (see test-examples.sh)
asan=$(ldd "$CTR_DEMO" 2>/dev/null | sed -n 's/.*libasan[^ ]* => \([^ ]*\).*/\1/p')
pre=${asan:+$asan:}$SHIM

: >"$LOG"
FDCHECK_LOG=$LOG FDCHECK_OBJECT=$(basename "$CONTROL") LD_PRELOAD=$pre "$CONTROL"
expect_match "control: hostcheck.so reports a dup() without close-on-exec" "^dup fd [0-9]+ from .*$(basename "$CONTROL")\+0x" "$(cat "$LOG")"
if [ -n "$asan" ]; then
	# ASan's own pthread_create interceptor comes first and calls libc's directly: the shim never
	# sees threads in a sanitizer build (the plain build checks them)
	expect_eq "control: and only that (F_DUPFD_CLOEXEC is fine)" 1 "$(wc -l <"$LOG")"
else
	expect_match "control: and a thread that can take signals" "^pthread_create fd [0-9]+ from .*$(basename "$CONTROL")\+0x" "$(cat "$LOG")"
	expect_eq "control: and only those (F_DUPFD_CLOEXEC, a thread with every signal blocked are fine)" 2 "$(wc -l <"$LOG")"
fi

# the object whose calls are checked: libctr.so, or ctr-demo itself where it links libctr in
# (tools/meson.build: its public object, statically; the command line's own code is checked too)
if ldd "$CTR_DEMO" 2>/dev/null | grep -q 'libctr\.so'; then
	RUNTIME_OBJECT=libctr.so
else
	RUNTIME_OBJECT=$(basename "$CTR_DEMO")
fi
echo "# checking the calls made from $RUNTIME_OBJECT"

# chk NAME CMD...: run CMD with fdcheck.so preloaded, expect exit 0 and no report
: >"$LOG"
chk() {
	local name=$1 out rc
	shift
	# output to a file: a detached container keeps its stdout open
	FDCHECK_LOG=$LOG FDCHECK_OBJECT=$RUNTIME_OBJECT LD_PRELOAD=$pre timeout 60 "$@" </dev/null >"$TMP/out" 2>&1
	rc=$?
	if [ $rc = 0 ]; then ok "$name"; else notok "$name" "exit $rc" "$(cat "$TMP/out")"; fi
}

mk "$TMP/img" '{"images":[{"tag":"latest","config":{"Cmd":["/bin/sh","-c","ls /opq"]},
 "layers":['"$BB"',
  [{"path":"opq","type":"dir"},{"path":"opq/old","data":"o\n"},{"path":"opq/sub","type":"dir"},{"path":"opq/sub/f","data":"f\n"}],
  [{"path":"opq/.wh..wh..opq","data":""},{"path":"opq/new","data":"n\n"}]]}]}'
chk "image unpack with an opaque directory" "$CTR_DEMO" --root "$ROOT" image unpack -q "oci:$TMP/img:latest" "$TMP/unpacked"
expect_eq "the opaque directory hides the lower layer's entries" "new" "$(ls "$TMP/unpacked/opq" 2>&1)"
chk "image import" "$CTR_DEMO" --root "$ROOT" --store "$STORE" image import -q "oci:$TMP/img:latest" img
chk "run --image (overlay rootfs)" "$CTR_DEMO" --root "$ROOT" --store "$STORE" run --image img --name fdc-img --rm

b=$(mkb bundle)
args "$b" 'echo hi'
chk "run a bundle" "$CTR_DEMO" --root "$ROOT" run -b "$b" fdc-run
chk "run a bundle with --network none (lo brought up from a thread in its namespace)" \
	"$CTR_DEMO" --root "$ROOT" run --network none -b "$b" fdc-net
args "$b" 'sleep 60'
chk "run -d" "$CTR_DEMO" --root "$ROOT" run -d -b "$b" fdc-d
chk "exec" "$CTR_DEMO" --root "$ROOT" exec fdc-d true
chk "state" "$CTR_DEMO" --root "$ROOT" state fdc-d
chk "kill" "$CTR_DEMO" --root "$ROOT" kill fdc-d KILL
chk "delete --force" "$CTR_DEMO" --root "$ROOT" delete --force fdc-d

# a program linking libctr.so and json-c shared: the json-c rule below is checked there
expect_match "the host program loads libctr.so and json-c as shared objects" 'libctr\.so.*libjson-c|libjson-c.*libctr\.so' \
	"$(ldd "$HOSTPROG" 2>&1 | tr '\n' ' ')"
b2=$(mkb bundle2)
runtime_object=$RUNTIME_OBJECT
RUNTIME_OBJECT=libctr.so
chk "a program linking libctr.so: five containers in one context" "$HOSTPROG" "$ROOT" "$b2"
RUNTIME_OBJECT=$runtime_object

# json-c in a process libctr cloned (between clone and exec): never
expect_eq "no call into json-c between libctr's clone() and execve() (it may deadlock on glibc's locale lock)" "" \
	"$(grep '^json-c:' "$LOG" | sort -u)"
report=$(grep -v '^json-c:' "$LOG")
if [ -z "$report" ]; then
	ok "$RUNTIME_OBJECT and libctr.so made no fd without close-on-exec and started no thread that takes signals"
else
	# name the functions: OBJECT+0xOFF -> addr2line
	diag=$(sort -u "$LOG" | while read -r fn _ fd _ where; do
		obj=${where%+*}
		off=${where##*+}
		case $fn in
		pthread_create) what="a thread that can take signal $fd" ;;
		*) what="$fn fd $fd" ;;
		esac
		printf '%s in %s\n' "$what" "$(addr2line -f -e "$obj" "$off" 2>/dev/null | tr '\n' ' ')"
	done)
	notok "$RUNTIME_OBJECT and libctr.so made no fd without close-on-exec and started no thread that takes signals" "$diag"
fi
expect_eq "nothing left in the state root" "" "$(state_left)"
finish
