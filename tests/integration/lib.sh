# Common helpers for the integration tests (TAP).  Source from a test script:
#   . "$(dirname "$0")/lib.sh"
# Environment (set by meson, or by hand):
#   CTR_DEMO    path of the ctr-demo binary
#   CTR_BUNDLE  the pristine busybox bundle made by tests/make-bundle.sh
#   CTR_TESTS_MUST_RUN=1  turns every skip into a failure (CI)
# Every test gets its own temporary directory with its own state root; the
# EXIT trap deletes every container in it, kills what is left, unmounts what
# references it and removes it, also when the test fails half-way.
set -u

CTR_DEMO=${CTR_DEMO:-}
CTR_BUNDLE=${CTR_BUNDLE:-}
T=0
FAILED=0

if [ "$(id -u)" != 0 ]; then
	echo "1..0 # SKIP integration tests need root"
	[ "${CTR_TESTS_MUST_RUN:-0}" = 1 ] && exit 1
	exit 0
fi
if [ -z "$CTR_DEMO" ] || [ ! -x "$CTR_DEMO" ]; then
	echo "Bail out! CTR_DEMO is not an executable ctr-demo ('$CTR_DEMO')"
	exit 1
fi
if [ -z "$CTR_BUNDLE" ] || [ ! -f "$CTR_BUNDLE/config.json" ]; then
	echo "Bail out! CTR_BUNDLE is not a bundle ('$CTR_BUNDLE'); see tests/make-bundle.sh"
	exit 1
fi

TMP=$(mktemp -d /tmp/ctr-it.XXXXXX)
# containers in a user namespace (mapped root) must be able to reach their bundle
chmod 0755 "$TMP"
ROOT=$TMP/state
mkdir -p "$ROOT"
CLEANUP_CMDS=()
CLEANUP_PIDS=()
# track_pid PID: kill -9 it at exit (container inits the runtime may lose)
track_pid() { case "$1" in ""|0|1|*[!0-9]*) ;; *) CLEANUP_PIDS+=("$1") ;; esac; }

# at_cleanup CMD...: run a command (eval'd) at exit, before the state root is swept
at_cleanup() { CLEANUP_CMDS+=("$*"); }

cleanup() {
	local c id pid
	for c in "${CLEANUP_CMDS[@]+"${CLEANUP_CMDS[@]}"}"; do
		eval "$c" >/dev/null 2>&1 || true
	done
	if [ -d "$ROOT" ]; then
		for id in $(ls -A "$ROOT" 2>/dev/null); do
			timeout 20 "$CTR_DEMO" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
		done
	fi
	# Processes whose root is inside our tree (containers the runtime lost).
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		case "$(readlink "/proc/$pid/root" 2>/dev/null)" in
		"$TMP"/*) kill -9 "$pid" 2>/dev/null || true ;;
		esac
	done
	for pid in "${CLEANUP_PIDS[@]+"${CLEANUP_PIDS[@]}"}"; do
		kill -9 "$pid" 2>/dev/null || true
	done
	# Mounts that reference our tree, deepest first.
	grep -F "$TMP" /proc/self/mountinfo 2>/dev/null | awk '{print $5}' | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf "$TMP" 2>/dev/null || { sleep 1; rm -rf "$TMP" 2>/dev/null || true; }
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ctr ARGS...: ctr-demo on this test's state root
ctr() { "$CTR_DEMO" --root "$ROOT" "$@"; }

ok() { T=$((T + 1)); echo "ok $T - $1"; }
# notok NAME [DIAG...]: a failure with diagnostic lines
notok() {
	T=$((T + 1))
	echo "not ok $T - $1"
	FAILED=1
	shift
	local l
	for l in "$@"; do
		printf '%s\n' "$l" | head -n 40 | sed 's/^/#   /'
	done
}
skip() {
	if [ "${CTR_TESTS_MUST_RUN:-0}" = 1 ]; then
		notok "$1" "skipped but CTR_TESTS_MUST_RUN=1: $2"
	else
		T=$((T + 1))
		echo "ok $T - $1 # SKIP $2"
	fi
}
# check NAME CMD...: ok when CMD succeeds
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else notok "$name" "failed: $*"; fi
}
# expect_eq NAME WANT GOT
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1" "want: $2" "got:  $3"; fi
}
# expect_match NAME ERE TEXT
expect_match() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then ok "$1"; else notok "$1" "want match: $2" "got: $3"; fi
}
expect_nomatch() {
	if printf '%s\n' "$3" | grep -Eq -- "$2"; then notok "$1" "must not match: $2" "got: $3"; else ok "$1"; fi
}
finish() {
	echo "1..$T"
	exit $FAILED
}

# mkb NAME: a fresh copy of the bundle at $TMP/NAME; prints its path
mkb() {
	local b=$TMP/$1
	rm -rf "$b"
	cp -a "$CTR_BUNDLE" "$b"
	echo "$b"
}

# cfg BUNDLE PYTHON-CODE [ARGS...]: edit BUNDLE/config.json; the code sees the
# document as `c` and the extra arguments as `argv`.
cfg() {
	local b=$1 code=$2
	shift 2
	python3 -c 'import json, sys
_path = sys.argv[1]; _code = sys.argv[2]; argv = sys.argv[3:]
with open(_path) as _f: c = json.load(_f)
exec(_code)
with open(_path, "w") as _f: json.dump(c, _f, indent=1)' "$b/config.json" "$code" "$@"
}

# args BUNDLE SCRIPT: make the container run `sh -c SCRIPT`
args() { cfg "$1" 'c["process"]["args"] = ["/bin/sh", "-c", argv[0]]' "$2"; }

# runb BUNDLE [SCRIPT]: `ctr-demo run` it (id = bundle's name); sets OUT (stdout
# and stderr) and RC
runb() {
	local b=$1
	[ $# -ge 2 ] && args "$b" "$2"
	OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" run -b "$b" "$(basename "$b")" </dev/null 2>&1)
	RC=$?
}

# jget JSON PYTHON-EXPR: evaluate EXPR on the parsed document `d`
jget() { python3 -c 'import json, sys; d = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# state_left: lists what a failed create left in the state root (empty = clean)
state_left() { ls -A "$ROOT" 2>/dev/null; }

# procs_in DIR: live pids whose root directory is DIR or lies under it.  After
# pivot_root in another mount namespace /proc/PID/root reads as "/", so the
# root is also compared by device and inode.
procs_in() {
	local pid want
	want=$(stat -L -c %d:%i "$1" 2>/dev/null)
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		[ "$pid" = $$ ] && continue
		alive "$pid" || continue
		case "$(readlink "/proc/$pid/root" 2>/dev/null)" in
		"$1"|"$1"/*) echo "$pid"; continue ;;
		esac
		[ -n "$want" ] && [ "$(stat -L -c %d:%i "/proc/$pid/root" 2>/dev/null)" = "$want" ] && echo "$pid"
	done
}
# alive PID: the process exists and is not a zombie (PID 1 of this VM does not
# reap orphans, so a dead container init may linger as a zombie)
alive() {
	local st
	st=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}
# gone PID: wait up to 5 s for PID to die
gone() {
	local i
	for i in $(seq 50); do alive "$1" || return 0; sleep 0.1; done
	return 1
}
# pidns_procs PID: live pids in the pid namespace of PID (PID included)
pidns_procs() {
	local ns p
	ns=$(readlink "/proc/$1/ns/pid" 2>/dev/null) || return 0
	for p in $(ls /proc | grep -E '^[0-9]+$'); do
		alive "$p" && [ "$(readlink "/proc/$p/ns/pid" 2>/dev/null)" = "$ns" ] && echo "$p"
	done
}
# mounts_in DIR: mount points under DIR in our mount namespace
mounts_in() { awk -v d="$1" '$5 == d || index($5, d "/") == 1 {print $5}' /proc/self/mountinfo; }

# cgroups_left ID: the container's cgroup directories (default cgroupsPath /ctr/ID) still there
cgroups_left() { ls -d /sys/fs/cgroup/*/ctr/"$1" /sys/fs/cgroup/ctr/"$1" 2>/dev/null; }

# refused NAME BUNDLE ERE [ctr args...]: the command (a create or run) must exit 1,
# say ERE on stderr and leave nothing: no state, process, mount or cgroup
refused() {
	local name=$1 b=$2 re=$3 rc err id f=$TMP/refused.$T
	shift 3
	id=${!#}
	ctr "$@" </dev/null >"$f.stdout" 2>"$f.stderr"
	rc=$?
	err=$(cat "$f.stderr")
	expect_eq "$name: exit ${BAD_RC:-1}" "${BAD_RC:-1}" "$rc"
	expect_match "$name: stderr says what is wrong" "$re" "$err"
	expect_eq "$name: nothing on stdout" "" "$(cat "$f.stdout")"
	expect_eq "$name: nothing left in the state root" "" "$(state_left)"
	expect_eq "$name: no cgroup left" "" "$(cgroups_left "$id")"
	[ -n "$b" ] && expect_eq "$name: no process left" "" "$(procs_in "$b/rootfs")"
	[ -n "$b" ] && expect_eq "$name: no mount left" "" "$(mounts_in "$b")"
}

# wait_status ID STATUS: poll `state` until status is STATUS (5 s)
wait_status() {
	local i s
	for i in $(seq 50); do
		s=$(ctr state "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["status"])' 2>/dev/null)
		[ "$s" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
