# shellcheck shell=bash
# Helpers for the security regression suite (tests/security).  Source from a
# test script:  . "$(dirname "$0")/lib.sh"
#
# On top of tests/integration/lib.sh (TAP, a temp dir and state root per
# test, cleanup at exit):
#   - every container operation an attacker could reach goes through a COPY
#     of ctr-demo and libctr.so in the test's temp dir ($RT, `ctr`), so a
#     successful attack damages only that copy; the cleanup deletes the
#     containers with the real build's ctr-demo ($CTR_DEMO_REAL), which the
#     containers never see;
#   - ATTACKER: the static hostile program (attacker.c), copied into rootfses
#     with put_attacker.
# Environment (set by meson): CTR_DEMO, CTR_BUNDLE, CTR_SEC_ATTACKER,
# CTR_SEC_AGENT (slow-agent), CTR_SEC_EMBED (embed-pipe).
. "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

CTR_DEMO_REAL=$CTR_DEMO
# meson points LD_LIBRARY_PATH at the build's libctr, which would win over the
# copy's runpath: the build's binaries find it through their own runpath
unset LD_LIBRARY_PATH
ATTACKER=${CTR_SEC_ATTACKER:-}
if [ -z "$ATTACKER" ] || [ ! -x "$ATTACKER" ]; then
	echo "Bail out! CTR_SEC_ATTACKER is not the attacker program ('$ATTACKER'); meson builds it"
	exit 1
fi
# the cleanup of integration/lib.sh deletes with $CTR_DEMO, which may be an
# attacked copy by then: delete with the real one first
# processes running a copy of the runtime (an init that create lost, on a
# runtime that hangs) have their root on the host: kill them by executable
kill_rt_procs() {
	local pid
	for pid in $(ls /proc | grep -E '^[0-9]+$'); do
		[ "$pid" = $$ ] && continue
		case "$(readlink "/proc/$pid/exe" 2>/dev/null)" in "$TMP"/*) kill -9 "$pid" 2>/dev/null ;; esac
	done
}
at_cleanup kill_rt_procs
at_cleanup 'for id in $(ls -A "$ROOT" 2>/dev/null); do timeout 20 "$CTR_DEMO_REAL" --root "$ROOT" delete --force "$id"; done'

# the shared library ctr-demo loads ($ORIGIN/.. in the build tree)
LIBCTR=$(ldd "$CTR_DEMO_REAL" | awk '$1 ~ /^libctr\.so/ {print $3; exit}')

# rt_copy NAME: a private copy of ctr-demo (NAME/bin/ctr-demo) and of libctr
# (NAME/libctr.so.N, which the copy loads through its $ORIGIN/.. runpath);
# makes it the runtime of `ctr` and sets RT to its path, RT_SHA to its sha256
rt_copy() {
	local d=$TMP/$1
	mkdir -p "$d/bin"
	cp "$CTR_DEMO_REAL" "$d/bin/ctr-demo"
	[ -n "$LIBCTR" ] && cp "$LIBCTR" "$d/$(basename "$LIBCTR")"
	RT=$d/bin/ctr-demo
	CTR_DEMO=$RT
	RT_SHA=$(sha "$RT")
	if [ -n "$LIBCTR" ] && [ "$(realpath "$(ldd "$RT" | awk '$1 ~ /^libctr\.so/ {print $3; exit}')")" != "$(realpath "$d/$(basename "$LIBCTR")")" ]; then
		echo "Bail out! the ctr-demo copy does not load its own libctr copy"
		exit 1
	fi
}
sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

# mkb NAME: as in integration/lib.sh, with a cgroup of this test's own
# (/ctr/sec-PID-NAME): container ids are short and the machine is shared
eval "_int_$(declare -f mkb)"
mkb() {
	local b
	b=$(_int_mkb "$1") || return 1
	cfg "$b" 'c["linux"]["cgroupsPath"] = "/ctr/sec-%d-%s" % (int(argv[0]), argv[1])' "$$" "$1"
	echo "$b"
}

# put_attacker BUNDLE: the attacker program at /attacker in the rootfs
put_attacker() { install -m 0755 "$ATTACKER" "$1/rootfs/attacker"; }

# PODMAN_CAPS: the capabilities podman gives a container by default
PODMAN_CAPS='["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"]'
# default_caps BUNDLE [EXTRA-CAP...]: podman's default capabilities (plus the
# extra ones) in bounding, effective and permitted; none inheritable or ambient
default_caps() {
	local b=$1
	shift
	cfg "$b" '
import json as j
caps = j.loads(argv[0]) + argv[1:]
c["process"]["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps}' "$PODMAN_CAPS" "$@"
}

# userns BUNDLE: a new user namespace, container root = host uid/gid 100000
userns() {
	cfg "$1" 'c["linux"]["namespaces"].append({"type": "user"}); c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]; c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
	chown -R 100000:100000 "$1/rootfs"
}

# shared_dir BUNDLE DIR [DEST]: bind DIR (made here, world-writable) into the
# container at DEST (default: the same path)
shared_dir() {
	mkdir -p "$2"
	chmod 0777 "$2"
	cfg "$1" 'c["mounts"].append({"destination": argv[1], "type": "bind", "source": argv[0], "options": ["rbind", "rw"]})' "$2" "${3:-$2}"
}

# initpid ID: the host pid of the container's init (from state)
initpid() { ctr state "$1" 2>/dev/null | python3 -c 'import json,sys; print(json.load(sys.stdin)["pid"])' 2>/dev/null; }

# nspid HOSTPID: the pid as the innermost pid namespace of that process sees it
nspid() { awk '/^NSpid:/ {print $NF}' "/proc/$1/status" 2>/dev/null; }

# host_fd_problems PID: the fds of PID (read on the host) that a container
# process must never hold: directories, regular files of the host, pipes,
# anything but 0-2, the preserved fds named in $KEEP_FDS and sockets; one
# line per problem
host_fd_problems() {
	local pid=$1 fd l
	for fd in $(ls "/proc/$pid/fd" 2>/dev/null); do
		l=$(readlink "/proc/$pid/fd/$fd" 2>/dev/null)
		case " 0 1 2 ${KEEP_FDS:-} " in *" $fd "*) continue ;; esac
		case "$l" in
		socket:*) ;;
		*) echo "fd $fd -> $l" ;;
		esac
	done
}

# put_runtime_libs BUNDLE: the dynamic loader and every library of ctr-demo
# (libctr included) in the rootfs, so that the runtime's binary, if a
# container ever gets to execute it, really runs there (CVE-2019-5736)
put_runtime_libs() {
	local r=$1/rootfs l
	mkdir -p "$r/lib/x86_64-linux-gnu" "$r/lib64"
	for l in $(ldd "$RT" | awk '$2 == "=>" && $3 ~ /^\// {print $3}'); do
		cp -L "$l" "$r/lib/x86_64-linux-gnu/$(basename "$l")"
	done
	l=$(ldd "$RT" | awk '$1 ~ /^\/.*ld-linux/ {print $1; exit}')
	[ -n "$l" ] && cp -L "$l" "$r$l"
}

# probe_val FILE KEY: the value of KEY= in an attacker probe's output
probe_val() { sed -n "s/^$2=//p" "$1" | head -n 1; }

# expect_denied NAME FILE KEY...: each KEY of the probe output in FILE is a
# refusal (EACCES, EPERM, ENOENT or ESRCH), not ok and not ETXTBSY (which
# means the permission check passed).  For "fd", opening /proc/PID/fd may
# succeed when not one entry could be read (fd-listed=0): the directory's
# mode lets its owner list the numbers, and readlink, which would name what
# they are, is the ptrace-checked part.
expect_denied() {
	local name=$1 f=$2 k v bad=""
	shift 2
	for k in "$@"; do
		v=$(probe_val "$f" "$k")
		[ "$k" = fd ] && [ "$v" = ok ] && [ "$(probe_val "$f" fd-listed)" = 0 ] && continue
		case "$v" in EACCES|EPERM|ENOENT|ESRCH) ;; *) bad="$bad $k=${v:-missing}" ;; esac
	done
	if [ -z "$bad" ]; then ok "$name"; else notok "$name" "not refused:$bad" "$(cat "$f")"; fi
}

# caps_above HOSTPID REF: the capability sets (CapPrm, CapEff, CapBnd) of
# HOSTPID, read on the host, with a bit that the /proc/PID/status copy in the
# file REF lacks; one line per set.  A process the attacker can ptrace must
# never hold a capability the attacker has not got.
caps_above() {
	local pid=$1 ref=$2 k a b
	for k in CapPrm CapEff CapBnd; do
		a=$(awk -v k="$k:" '$1 == k {print $2}' "/proc/$pid/status" 2>/dev/null)
		b=$(awk -v k="$k:" '$1 == k {print $2}' "$ref" 2>/dev/null)
		if [ -z "$a" ] || [ -z "$b" ]; then
			echo "$k: unreadable ('$a' '$b')"
		elif (((0x$a & ~0x$b) != 0)); then
			echo "$k: $a has bits that the attacker's $b lacks"
		fi
	done
}

# exe_problem HOSTPID: empty when /proc/HOSTPID/exe (host view) is not the runtime's
# copy nor any other file with a name on the host: a memfd or a deleted copy
exe_problem() {
	local l
	l=$(readlink "/proc/$1/exe" 2>/dev/null) || { echo "cannot read /proc/$1/exe"; return; }
	if [ "$(stat -L -c %d:%i "/proc/$1/exe" 2>/dev/null)" = "$(stat -c %d:%i "$RT")" ]; then
		echo "/proc/$1/exe is the runtime's binary ($l)"
		return
	fi
	case "$l" in
	/memfd:*|*" (deleted)") ;;
	*) echo "/proc/$1/exe is a file of the host: $l" ;;
	esac
}
