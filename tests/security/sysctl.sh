#!/bin/bash
# Issue 12, found item 6 ("non-namespaced sysctls are accepted and written as
# host root"); the rule runc validates.
#
# The attack: linux.sysctl is written by the runtime, as root, through
# /proc/sys.  A key that is not namespaced (vm.*, fs.*, most of kernel.*),
# or a namespaced one while the container shares that namespace with the
# host (net.* without a network namespace of its own, the IPC keys without
# an IPC namespace, kernel.hostname/domainname without a UTS namespace),
# changes the host: kernel.core_pattern alone is a way out.  Allowed are the
# IPC keys (kernel.msgmax, msgmnb, msgmni, sem, shmall, shmmax, shmmni,
# shm_rmid_forced, fs.mqueue.*) with a new IPC namespace, net.* with a new
# network namespace, kernel.hostname/domainname with a new UTS namespace.
#
# The host values used here are harmless ones, saved first and restored at
# exit even when the runtime wrote them.  Checked:
#   - refused at create, with an error naming the key, leaving no state
#     directory and no cgroup, the host's value unchanged: fs.lease-break-time
#     (not namespaced), kernel.printk_ratelimit (not namespaced),
#     kernel.shmmax without an IPC namespace, net.core.somaxconn without a
#     network namespace, kernel.domainname without a UTS namespace, a key
#     that does not exist;
#   - taking effect inside only (the host's value unchanged):
#     kernel.shmmax and fs.mqueue.msg_max with an IPC namespace,
#     net.ipv4.ip_unprivileged_port_start with a network namespace in the
#     dotted and in the slash form (net/ipv4/...), kernel.domainname with a
#     UTS namespace.
. "$(dirname "$0")/lib.sh"

rt_copy rt
# the host values this test may touch (if the runtime wrongly writes them)
declare -A SAVED
for k in fs/lease-break-time kernel/printk_ratelimit kernel/shmmax net/core/somaxconn kernel/domainname \
	fs/mqueue/msg_max net/ipv4/ip_unprivileged_port_start; do
	SAVED[$k]=$(cat "/proc/sys/$k")
done
restore() {
	local k
	for k in "${!SAVED[@]}"; do
		[ "$(cat "/proc/sys/$k")" = "${SAVED[$k]}" ] || echo "${SAVED[$k]}" >"/proc/sys/$k"
	done
}
at_cleanup restore
host() { cat "/proc/sys/$1"; }

# bad NAME KEY VALUE NAMESPACE-TO-DROP: create must fail naming KEY
bad() {
	local name=$1 key=$2 val=$3 drop=$4 slash=${2//./\/} b
	b=$(mkb "$name")
	cfg "$b" 'c["linux"]["sysctl"] = {argv[0]: argv[1]}
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != argv[2]]
if argv[2] == "uts":
    c.pop("hostname", None)
    c.pop("domainname", None)' "$key" "$val" "$drop"
	timeout 30 "$RT" --root "$ROOT" create -b "$b" "$name" </dev/null >"$TMP/$name.out" 2>&1
	local rc=$? o
	o=$(cat "$TMP/$name.out")
	if [ "$rc" != 0 ] && printf '%s' "$o" | grep -qF "$key"; then
		ok "sysctl $key ($5): refused at create, naming the key"
	else
		notok "sysctl $key ($5): refused at create, naming the key" "rc=$rc" "$o"
	fi
	if [ "$rc" = 0 ]; then
		track_pid "$(initpid "$name")"
		ctr delete --force "$name" >/dev/null 2>&1
		notok "sysctl $key ($5): leaves nothing behind" "the create succeeded"
	else
		expect_eq "sysctl $key ($5): leaves no state directory and no cgroup" "" \
			"$(state_left)$(ls -d /sys/fs/cgroup/pids/ctr/sec-$$-"$name" 2>/dev/null)"
	fi
	if [ -n "${SAVED[$slash]+x}" ]; then
		expect_eq "sysctl $key ($5): the host's value is unchanged" "${SAVED[$slash]}" "$(host "$slash")"
	fi
	restore # (today's main writes them: each case starts from the saved values)
}

bad nsfs fs.lease-break-time 77 none "not namespaced"
bad nspr kernel.printk_ratelimit 9 none "not namespaced"
bad noipc kernel.shmmax 123456789 ipc "no IPC namespace"
bad nonet net.core.somaxconn 1234 network "the host's network namespace"
bad nouts kernel.domainname ctr-sec-evil uts "no UTS namespace"
bad nokey kernel.ctr_no_such_key 1 none "no such key"

# good NAME KEY VALUE READ-PATH: works, the container sees VALUE, the host not
good() {
	local name=$1 key=$2 val=$3 path=$4 b
	b=$(mkb "$name")
	cfg "$b" 'c["linux"]["sysctl"] = {argv[0]: argv[1]}' "$key" "$val"
	args "$b" "cat /proc/sys/$path"
	timeout 30 "$RT" --root "$ROOT" run -b "$b" "$name" </dev/null >"$TMP/$name.out" 2>&1
	local rc=$?
	expect_eq "sysctl $key with its namespace: applied inside (run exit $rc)" "$val" "$(tr '\t' ' ' <"$TMP/$name.out")"
	expect_eq "sysctl $key with its namespace: the host's value is unchanged" "${SAVED[$path]}" "$(host "$path")"
}
good ipc1 kernel.shmmax 123456790 kernel/shmmax
good ipc2 fs.mqueue.msg_max 17 fs/mqueue/msg_max
good net1 net.ipv4.ip_unprivileged_port_start 1001 net/ipv4/ip_unprivileged_port_start
good net2 net/ipv4/ip_unprivileged_port_start 1002 net/ipv4/ip_unprivileged_port_start
good uts1 kernel.domainname ctr-sec-inside kernel/domainname
finish
