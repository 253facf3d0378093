#!/bin/bash
# Issue 12, found item 2 ("no window before execve"), the created init; the class
# of CVE-2019-5736 and CVE-2016-9962 seen while a container waits for start.
#
# The attack: between create and start the container's init is the
# runtime's process: today it is dumpable, runs with the container's
# capabilities already applied, holds host fds and its /proc/PID/exe is the
# runtime's binary.  A process exec'd into the created container (root, the
# default capabilities) reads /proc/1/fd, /proc/1/environ (the runtime's
# environment, from the host) and /proc/1/mem, opens /proc/1/exe, and
# ptrace-attaches to the init.
#
# Checked, with the runtime's environment carrying a canary variable:
#   - default capabilities (podman's), no user namespace: the attacker
#     (attacker.c probe 1) cannot list /proc/1/fd, read environ or mem, open
#     exe for writing or as O_PATH, or PTRACE_SEIZE the init;
#   - CAP_SYS_PTRACE added, with or without a user namespace: the kernel
#     lets the holder of CAP_SYS_PTRACE (over the waiting init's user
#     namespace: the init stub is exec'd in the container's) into any process
#     of its pid namespace, dumpable or not, so what is checked is that there
#     is nothing to gain: its environ has no host variable (canary), its exe
#     is not the runtime's binary, it holds no host fd, and it holds no
#     capability the attacker lacks (libctr applies the process's
#     credentials before the init waits for start);
#   - on the host, /proc/PID/exe of the waiting init is a sealed memfd (or a
#     deleted copy), never the ctr-demo binary.
. "$(dirname "$0")/lib.sh"

rt_copy rt
export CTR_SEC_CANARY=host-env-$$

# created NAME [ATTACKER-CAPS...]: a created container NAME with the attacker
# in its rootfs; extra capabilities for the whole container (the exec'd
# attacker gets the container's process capabilities)
created() {
	local b
	b=$(mkb "$1")
	shift
	put_attacker "$b"
	default_caps "$b" "$@"
	args "$b" 'exit 0'
	[ -n "${USERNS:-}" ] && userns "$b"
	ctr create -b "$b" "$(basename "$b")" </dev/null >"$TMP/$(basename "$b").create" 2>&1
}

# attack ID OUT [EXEC-FLAGS...]: exec the prober into the created container
attack() {
	local id=$1 out=$2
	shift 2
	timeout 30 "$RT" --root "$ROOT" exec "$@" "$id" /attacker probe 1 </dev/null >"$out" 2>&1
}

# nothing_to_gain NAME ID HOSTPID PROBE: what an attacker that may ptrace
# HOSTPID finds there: no host environment, not the runtime's binary, no host
# fd, no capability it lacks itself
nothing_to_gain() {
	local name=$1 id=$2 pid=$3 probe=$4 l p
	expect_eq "$name: its environ holds nothing of the runtime's environment" no "$(probe_val "$probe" canary)"
	l=$(probe_val "$probe" exe-link)
	case "$l" in
	"$RT"|*/ctr-demo|*/ctr-demo" (deleted)") notok "$name: its exe is not the runtime's binary" "exe-link=$l" ;;
	*) ok "$name: its exe is not the runtime's binary ($l)" ;;
	esac
	p=$(host_fd_problems "$pid")
	if [ -z "$p" ]; then ok "$name: no host fd to take"; else notok "$name: no host fd to take" "$p"; fi
	timeout 30 "$RT" --root "$ROOT" exec "$id" cat /proc/self/status </dev/null >"$TMP/$id.ref" 2>&1
	p=$(caps_above "$pid" "$TMP/$id.ref")
	if [ -z "$p" ]; then
		ok "$name: it holds no capability the attacker lacks"
	else
		notok "$name: it holds no capability the attacker lacks" "$p"
	fi
}

# --- default capabilities ---
created wdef
pid=$(initpid wdef)
track_pid "$pid"
if [ -z "$pid" ]; then
	notok "created init, default caps: create" "$(cat "$TMP/wdef.create")"
else
	attack wdef "$TMP/wdef.probe"
	expect_denied "created init, default caps: /proc/1/fd, environ, mem, exe (write, O_PATH), ptrace all refused" \
		"$TMP/wdef.probe" fd environ mem exe-write exe-path ptrace
	p=$(exe_problem "$pid")
	if [ -z "$p" ]; then
		ok "created init: its /proc/PID/exe (host view) is a sealed memfd, not ctr-demo ($(readlink "/proc/$pid/exe"))"
	else
		notok "created init: its /proc/PID/exe (host view) is a sealed memfd, not ctr-demo" "$p"
	fi
fi
ctr delete --force wdef >/dev/null 2>&1

# --- CAP_SYS_PTRACE, in a user namespace ---
USERNS=1 created wuser CAP_SYS_PTRACE
pid=$(initpid wuser)
track_pid "$pid"
if [ -z "$pid" ]; then
	notok "created init, user namespace + CAP_SYS_PTRACE: create" "$(cat "$TMP/wuser.create")"
else
	attack wuser "$TMP/wuser.probe"
	nothing_to_gain "created init, user namespace + CAP_SYS_PTRACE" wuser "$pid" "$TMP/wuser.probe"
fi
ctr delete --force wuser >/dev/null 2>&1

# --- CAP_SYS_PTRACE, no user namespace: nothing of the host to find ---
created wptr CAP_SYS_PTRACE
pid=$(initpid wptr)
track_pid "$pid"
if [ -z "$pid" ]; then
	notok "created init, host CAP_SYS_PTRACE: create" "$(cat "$TMP/wptr.create")"
else
	attack wptr "$TMP/wptr.probe"
	expect_eq "created init, host CAP_SYS_PTRACE: its environ holds nothing of the runtime's environment" \
		no "$(probe_val "$TMP/wptr.probe" canary)"
	l=$(probe_val "$TMP/wptr.probe" exe-link)
	case "$l" in
	"$RT"|*/ctr-demo|*/ctr-demo" (deleted)")
		notok "created init, host CAP_SYS_PTRACE: its exe is not the runtime's binary" "exe-link=$l" ;;
	*) ok "created init, host CAP_SYS_PTRACE: its exe is not the runtime's binary ($l)" ;;
	esac
	p=$(host_fd_problems "$pid")
	if [ -z "$p" ]; then
		ok "created init, host CAP_SYS_PTRACE: no host fd for the attacker to take"
	else
		notok "created init, host CAP_SYS_PTRACE: no host fd for the attacker to take" "$p"
	fi
	timeout 30 "$RT" --root "$ROOT" exec wptr cat /proc/self/status </dev/null >"$TMP/wptr.ref" 2>&1
	p=$(caps_above "$pid" "$TMP/wptr.ref")
	if [ -z "$p" ]; then
		ok "created init, host CAP_SYS_PTRACE: the init holds no capability the attacker lacks"
	else
		notok "created init, host CAP_SYS_PTRACE: the init holds no capability the attacker lacks" "$p"
	fi
fi
ctr delete --force wptr >/dev/null 2>&1

expect_eq "the runtime's copy is unchanged" "$RT_SHA" "$(sha "$RT")"
finish
