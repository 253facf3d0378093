#!/bin/bash
# linux.seccomp with real containers: errno rules, argument filters with
# every operator kind, defaultErrnoRet, unknown syscall names, clear errors
# naming the field, the filter loaded after the start wait and without
# noNewPrivileges for a non-root user, SCMP_ACT_NOTIFY answered by a real
# agent (create+start and exec), and the compiled-filter cache (hit, miss,
# corrupted / foreign-owned / world-writable entries refused).
# Usage: seccomp.sh SECCOMP_AGENT (meson passes the helper's path)
. "$(dirname "$0")/lib.sh"

AGENT=${1:-${CTR_SECCOMP_AGENT:-}}
CACHE=$ROOT/.seccomp-cache

# seccomp BUNDLE PYTHON [SCRIPT]: set c["linux"]["seccomp"] to the expression's
# value and, with SCRIPT, the args to `sh -c SCRIPT` (one python run: they are slow)
seccomp() {
	if [ $# -ge 3 ]; then
		cfg "$1" "c['linux']['seccomp'] = $2; c['process']['args'] = ['/bin/sh', '-c', argv[0]]" "$3"
	else
		cfg "$1" "c['linux']['seccomp'] = $2"
	fi
}
# every syscall name of this architecture (for allow-lists)
ALL=$(sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' /usr/include/x86_64-linux-gnu/asm/unistd_64.h 2>/dev/null |
	python3 -c 'import json,sys; print(json.dumps(sys.stdin.read().split()))')

# --- errno rule, unknown name skipped, cache miss then hit ---
b=$(mkb errno)
seccomp "$b" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat", "no_such_syscall_ctr"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30}]}' \
	'mkdir /tmp/x 2>&1; echo rc=$?'
OUT=$(timeout 60 "$CTR_DEMO" --debug --root "$ROOT" run -b "$b" errno1 </dev/null 2>&1)
expect_match "errnoRet 30 on mkdir gives EROFS" "Read-only file system" "$OUT"
expect_match "an unknown syscall name is skipped with a debug message" "unknown system call 'no_such_syscall_ctr' skipped" "$OUT"
expect_match "first create compiles and stores the filter" "seccomp cache: stored [0-9a-f]{64}" "$OUT"
entry=$(ls "$CACHE" 2>/dev/null | grep -E '^[0-9a-f]{64}$')
expect_eq "one cache entry, mode 0600, owned by root" "1 600 0" \
	"$(echo "$entry" | grep -c .) $(stat -c '%a %u' "$CACHE/$entry" 2>/dev/null)"
expect_eq "cache directory mode 0700" "700" "$(stat -c %a "$CACHE" 2>/dev/null)"
OUT=$(timeout 60 "$CTR_DEMO" --debug --root "$ROOT" run -b "$b" errno2 </dev/null 2>&1)
expect_match "second create is a cache hit" "seccomp cache: hit $entry" "$OUT"
expect_nomatch "second create does not compile" "stored|unknown system call" "$OUT"
expect_match "the cached filter is enforced" "Read-only file system" "$OUT"

# --- tampered entries are not used: recompiled and replaced ---
tamper() { # NAME CMD: apply CMD to the entry, run, expect a warning + recompile + the rule still enforced
	local name=$1 cmd=$2 want=$3
	eval "$cmd"
	OUT=$(timeout 60 "$CTR_DEMO" --debug --root "$ROOT" run -b "$b" "t-$RANDOM$$" </dev/null 2>&1)
	if printf '%s' "$OUT" | grep -Eq "($want): not used" && printf '%s' "$OUT" | grep -q "seccomp cache: stored" &&
		printf '%s' "$OUT" | grep -q "Read-only file system" &&
		[ "$(stat -c '%a %u %h' "$CACHE/$entry")" = "600 0 1" ]; then
		ok "$name: refused, recompiled, replaced"
	else
		notok "$name: refused, recompiled, replaced" "$OUT" "$(ls -l "$CACHE")"
	fi
}
tamper "corrupted program" 'printf "\x06\x00\x00\x00\x00\x00\xff\x7f" | dd of="$CACHE/$entry" bs=1 seek=$(( $(stat -c %s "$CACHE/$entry") - 8 )) conv=notrunc 2>/dev/null' "checksum mismatch"
tamper "foreign-owned entry" 'chown 65534 "$CACHE/$entry"' "owned by another user"
tamper "world-writable entry" 'chmod 0666 "$CACHE/$entry"' "mode is not 0600"
tamper "hard-linked entry" 'ln "$CACHE/$entry" "$TMP/link"' "has other hard links"
tamper "truncated entry" 'truncate -s 100 "$CACHE/$entry"' "short header|size does not match the header"
rm -f "$TMP/link"
chmod 0777 "$CACHE"
OUT=$(timeout 60 "$CTR_DEMO" --debug --root "$ROOT" run -b "$b" errno3 </dev/null 2>&1)
expect_eq "a loosened cache directory is tightened back to 0700" "700" "$(stat -c %a "$CACHE")"
fdir=$TMP/foreign-root
mkdir -p "$fdir/.seccomp-cache" && chown 65534 "$fdir/.seccomp-cache"
OUT=$(timeout 60 "$CTR_DEMO" --debug --root "$fdir" run -b "$b" errno4 </dev/null 2>&1)
expect_match "a foreign-owned cache directory is not used" "seccomp cache: .* is not owned by uid 0: not used" "$OUT"
expect_match "... and the filter still applies" "Read-only file system" "$OUT"
expect_eq "nothing written into a foreign-owned cache directory" "" "$(ls -A "$fdir/.seccomp-cache")"

b2=$(mkb errno-other)
seccomp "$b2" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13}]}' \
	'mkdir /tmp/x 2>&1; echo rc=$?'
OUT=$(timeout 60 "$CTR_DEMO" --debug --root "$ROOT" run -b "$b2" other1 </dev/null 2>&1)
expect_match "a different profile is a miss with its own entry" "seccomp cache: stored" "$OUT"
expect_match "... and its own rule (EACCES)" "Permission denied" "$OUT"
expect_eq "two profiles, two entries" "2" "$(ls "$CACHE" | grep -cE '^[0-9a-f]{64}$')"

# --- defaultErrnoRet: an allow-list without mkdir ---
b=$(mkb deferr)
cfg "$b" 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 95, "syscalls": [{"names": [n for n in json.loads(argv[0]) if n not in ("mkdir", "mkdirat")], "action": "SCMP_ACT_ALLOW"}]}' "$ALL"
runb "$b" 'mkdir /tmp/x 2>&1; echo rc=$?'
expect_match "defaultErrnoRet 95 for a syscall not allowed" "Not supported|Operation not supported" "$OUT"

# --- argument filters: EQ, MASKED_EQ, GT ---
b=$(mkb args)
seccomp "$b" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
 {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]},
 {"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 1, "value": 3584, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]},
 {"names": ["fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 2, "value": 3584, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]},
 {"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1, "args": [{"index": 1, "value": 14, "op": "SCMP_CMP_GT"}]}]}'
runb "$b" 'trap "" USR1 USR2 TERM; kill -USR1 $$ 2>/dev/null; echo usr1=$?; kill -USR2 $$; echo usr2=$?
kill -TERM $$ 2>/dev/null; echo term=$?
touch /tmp/f; chmod 4755 /tmp/f 2>/dev/null; echo suid=$?; chmod 755 /tmp/f; echo plain=$?'
expect_eq "SCMP_CMP_EQ: kill with SIGUSR1 (10) denied, SIGUSR2 allowed" "usr1=1 usr2=0" \
	"$(printf '%s\n' "$OUT" | grep -E '^usr' | tr '\n' ' ' | sed 's/ $//')"
expect_eq "SCMP_CMP_GT: kill with a signal above 14 (SIGTERM) denied" "term=1" "$(printf '%s\n' "$OUT" | grep -E '^term=')"
expect_eq "SCMP_CMP_MASKED_EQ: setuid chmod denied, plain chmod allowed" "suid=1 plain=0" \
	"$(printf '%s\n' "$OUT" | grep -E '^(suid|plain)=' | tr '\n' ' ' | sed 's/ $//')"

# --- the filter comes after the start wait: a profile denying what the init waits with ---
b=$(mkb latewait)
# without noNewPrivileges, where runc loads the filter before its start wait
cfg "$b" 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["accept4", "accept", "recvfrom", "recvmsg", "sendmsg", "sendto"], "action": "SCMP_ACT_ERRNO"}]}
c["process"]["args"] = ["/bin/sh", "-c", "echo started"]; c["process"]["noNewPrivileges"] = False'
ctr create -b "$b" latewait >/dev/null 2>&1 </dev/null
OUT=$(ctr start latewait 2>&1)
RC=$?
expect_eq "accept4/recvmsg denied by the profile: create+start still work" "0" "$RC"
ctr delete --force latewait >/dev/null 2>&1

# --- a non-root user without noNewPrivileges: loaded with a kept CAP_SYS_ADMIN that is dropped ---
b=$(mkb nonroot)
# capset denied too: the drop of the kept capability after the load may fail, execve drops it anyway
cfg "$b" 'c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir", "mkdirat", "capset"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30}]}
c["process"]["user"] = {"uid": 1000, "gid": 1000}; c["process"]["noNewPrivileges"] = False
c["process"]["capabilities"] = {k: ["CAP_KILL"] for k in ("bounding", "effective", "permitted", "inheritable", "ambient")}'
runb "$b" 'mkdir /tmp/x 2>&1; grep -E "^(CapEff|CapPrm|Seccomp):" /proc/self/status | tr -s "\t " " "'
expect_match "uid 1000 without noNewPrivileges: the filter applies" "Read-only file system" "$OUT"
expect_match "... and the capabilities are the configured ones (CAP_KILL only), capset denied or not" \
	"CapEff: 0000000000000020" "$OUT"
expect_match "... permitted too" "CapPrm: 0000000000000020" "$OUT"
expect_match "... in filter mode" "Seccomp: 2" "$OUT"

# --- clear errors naming the field, nothing left behind ---
badb=$(mkb bad)
args "$badb" 'true'
bad() { # NAME SECCOMP-EXPR ERE
	local b=$badb
	seccomp "$b" "$2"
	runb "$b"
	if [ "$RC" != 0 ] && printf '%s' "$OUT" | grep -Eq -- "$3" && [ -z "$(state_left | grep -v '^\.seccomp-cache$')" ]; then
		ok "$1"
	else
		notok "$1" "rc=$RC" "$OUT" "left: $(state_left)"
	fi
}
bad "unknown action names the field" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]}' \
	"linux.seccomp.syscalls\[0\].action.*SCMP_ACT_BOGUS"
bad "unknown architecture names the field" '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_VAX"]}' \
	"linux.seccomp.architectures\[0\].*SCMP_ARCH_VAX"
bad "unknown operator names the field" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_LIKE"}]}]}' \
	"linux.seccomp.syscalls\[0\].args\[0\].op.*SCMP_CMP_LIKE"
bad "unknown flag names the field" '{"defaultAction": "SCMP_ACT_ALLOW", "flags": ["SECCOMP_FILTER_FLAG_BOGUS"]}' \
	"linux.seccomp.flags\[0\].*SECCOMP_FILTER_FLAG_BOGUS"
bad "errnoRet on an action without errno" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["kill"], "action": "SCMP_ACT_KILL", "errnoRet": 1}]}' \
	"linux.seccomp.syscalls\[0\].errnoRet: SCMP_ACT_KILL does not return an errno"
bad "NOTIFY without listenerPath" '{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]}' \
	"listenerPath"
bad "NOTIFY on sendmsg is refused" '{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/nonexistent.sock", "syscalls": [{"names": ["sendmsg"], "action": "SCMP_ACT_NOTIFY"}]}' \
	"syscalls\[0\].names\[0\]: sendmsg cannot be SCMP_ACT_NOTIFY"

# --- flags the kernel has are accepted ---
b=$(mkb flags)
seccomp "$b" '{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"], "flags": ["SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW"], "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_LOG"}, {"names": ["getppid"], "action": "SCMP_ACT_TRACE", "errnoRet": 3}, {"names": ["rmdir"], "action": "SCMP_ACT_ERRNO", "errnoRet": 30}]}' \
	'mkdir /tmp/y && echo made; rmdir /tmp/y 2>&1; grep Seccomp: /proc/self/status'
runb "$b"
expect_match "TSYNC, LOG, SPEC_ALLOW flags and LOG/TRACE actions load" "made" "$OUT"
expect_match "... with three architectures, an errno rule still applies" "Read-only file system" "$OUT"

# --- SCMP_ACT_NOTIFY: a real agent answers ---
if [ -z "$AGENT" ] || [ ! -x "$AGENT" ]; then
	skip "SCMP_ACT_NOTIFY round trip" "no seccomp-agent helper (meson builds it)"
else
	notify_profile() { # BUNDLE SOCKET SCRIPT
		seccomp "$1" "{'defaultAction': 'SCMP_ACT_ALLOW', 'listenerPath': '$2', 'listenerMetadata': 'test-meta-$$', 'flags': ['SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV'], 'syscalls': [{'names': ['mkdir', 'mkdirat'], 'action': 'SCMP_ACT_NOTIFY'}]}" "$3"
	}
	stop_agent() { # [now]: give the agent 5 s to finish on its own (it exits when its filter has no users)
		[ "${1:-}" = now ] || for i in $(seq 50); do kill -0 $APID 2>/dev/null || break; sleep 0.1; done
		kill $APID 2>/dev/null
		wait $APID 2>/dev/null
	}
	start_agent() { # SOCKET STATEFILE ERRNO
		rm -f "$1"
		"$AGENT" "$1" "$2" "$3" 2>"$2.err" &
		APID=$!
		track_pid $APID
		for i in $(seq 50); do [ -S "$1" ] && break; sleep 0.05; done
	}
	b=$(mkb notify)
	sock=$TMP/agent.sock
	notify_profile "$b" "$sock" 'mkdir /tmp/n 2>&1; echo rc=$?; ls -d /tmp/n 2>&1'
	start_agent "$sock" "$TMP/agent.state" 52
	runb "$b"
	expect_match "NOTIFY: the agent's errno (52, EBADE) reaches mkdir" "Invalid exchange" "$OUT"
	stop_agent
	st=$(cat "$TMP/agent.state" 2>/dev/null)
	if [ -n "$st" ] && [ "$(jget "$st" 'd["fds"] == ["seccompFd"] and d["metadata"] == "test-meta-'$$'" and d["state"]["id"] == "notify" and d["pid"] == d["state"]["pid"] > 0 and d["state"]["status"] == "created"')" = True ]; then
		ok "NOTIFY: the container process state (fds, metadata, pid, state) reached listenerPath"
	else
		notok "NOTIFY: the container process state (fds, metadata, pid, state) reached listenerPath" "$st" "$(cat "$TMP/agent.state.err" 2>/dev/null)"
	fi
	expect_match "NOTIFY: the agent saw mkdir (nr 83)" "^nr 83$" "$(cat "$TMP/agent.state.log" 2>/dev/null)"

	# success answered by the agent without running the call: mkdir "works", nothing is made
	start_agent "$sock" "$TMP/agent2.state" 0
	notify_profile "$b" "$sock" 'mkdir /tmp/n && echo mkdir-ok; ls -d /tmp/n 2>&1'
	runb "$b"
	expect_match "NOTIFY: the agent answers success" "mkdir-ok" "$OUT"
	expect_match "... without running the call" "No such file or directory" "$OUT"
	stop_agent

	# exec into a container with a NOTIFY profile: its own listener goes to the agent
	notify_profile "$b" "$sock" 'sleep 30'
	start_agent "$sock" "$TMP/agent3.state" 0
	ctr run -d -b "$b" notify3 </dev/null >/dev/null 2>&1
	wait_status notify3 running
	stop_agent now
	start_agent "$sock" "$TMP/agent4.state" 52
	OUT=$(timeout 20 "$CTR_DEMO" --root "$ROOT" exec notify3 /bin/sh -c 'mkdir /tmp/e 2>&1' </dev/null 2>&1)
	expect_match "NOTIFY on exec: the agent answers the exec'd process" "Invalid exchange" "$OUT"
	expect_eq "NOTIFY on exec: the state names the container" "notify3" \
		"$(jget "$(cat "$TMP/agent4.state" 2>/dev/null || echo '{}')" 'd.get("state", {}).get("id")')"
	ctr delete --force notify3 >/dev/null 2>&1
	stop_agent

	# no agent listening: start fails with a clear error, the container is gone
	notify_profile "$b" "$TMP/nobody.sock" 'echo ran > /mark/ran'
	mkdir -p "$TMP/mark"
	cfg "$b" 'c["mounts"].append({"destination": "/mark", "type": "bind", "source": argv[0], "options": ["rbind", "rw"]})' "$TMP/mark"
	ctr create -b "$b" notify4 </dev/null >/dev/null 2>&1
	OUT=$(ctr start notify4 2>&1)
	RC=$?
	if [ "$RC" != 0 ] && printf '%s' "$OUT" | grep -q "linux.seccomp.listenerPath: connect to $TMP/nobody.sock"; then
		ok "NOTIFY without an agent: start fails naming listenerPath"
	else
		notok "NOTIFY without an agent: start fails naming listenerPath" "rc=$RC" "$OUT"
	fi
	sleep 0.2
	check "NOTIFY without an agent: the program never ran" test ! -e "$TMP/mark/ran"
	ctr delete --force notify4 >/dev/null 2>&1

	# the same through run, whose create starts the container (CTR_CREATE_START): the listener
	# comes on the create's socket; run fails the same way and nothing is left of it
	OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" run -b "$b" notify5 </dev/null 2>&1)
	RC=$?
	if [ "$RC" != 0 ] && printf '%s' "$OUT" | grep -q "linux.seccomp.listenerPath: connect to $TMP/nobody.sock"; then
		ok "NOTIFY without an agent, run: fails naming listenerPath"
	else
		notok "NOTIFY without an agent, run: fails naming listenerPath" "rc=$RC" "$OUT"
	fi
	sleep 0.2
	check "NOTIFY without an agent, run: the program never ran" test ! -e "$TMP/mark/ran"
	expect_eq "NOTIFY without an agent, run: nothing left of it" "" "$(ctr list -q | grep -x notify5)"
	expect_eq "NOTIFY without an agent, run: no process left" "" "$(procs_in "$b/rootfs")"
fi

finish
