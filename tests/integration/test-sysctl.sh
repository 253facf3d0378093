#!/bin/bash
# linux.sysctl: only namespaced keys (the list runc validates), and only when the
# container has its own namespace of that kind: IPC keys with an IPC namespace,
# net.* with a network namespace that is not the runtime's, kernel.hostname and
# kernel.domainname with a UTS namespace.  Everything else is refused at create
# with an error naming the key, and the refusal leaves nothing behind.  The
# host's values never change.  The refused keys carry the host's current value,
# so that a regression shows as a create that succeeds, not as a changed host.
. "$(dirname "$0")/lib.sh"

host() { cat "/proc/sys/$1"; }
H_FWD=$(host net/ipv4/ip_forward)
H_TTL=$(host net/ipv4/ip_default_ttl)
H_MSGMAX=$(host kernel/msgmax)
H_MQ=$(host fs/mqueue/msg_max)
H_SWAP=$(host vm/swappiness)
H_CORE=$(host kernel/core_pattern)
H_DOMAIN=$(host kernel/domainname)
# values that differ from the host's
W_FWD=$((1 - H_FWD))
W_TTL=$((H_TTL == 42 ? 43 : 42))
W_MSGMAX=$((H_MSGMAX == 4096 ? 4097 : 4096))
W_MQ=$((H_MQ == 20 ? 21 : 20))
hosts_unchanged() {
	expect_eq "$1: the host's values are unchanged" \
		"$H_FWD $H_TTL $H_MSGMAX $H_MQ $H_SWAP $H_CORE $H_DOMAIN" \
		"$(host net/ipv4/ip_forward) $(host net/ipv4/ip_default_ttl) $(host kernel/msgmax) $(host fs/mqueue/msg_max) $(host vm/swappiness) $(host kernel/core_pattern) $(host kernel/domainname)"
}
# sysctls BUNDLE JSON-OBJECT
sysctls() { cfg "$1" 'c["linux"]["sysctl"] = json.loads(argv[0])' "$2"; }
# nons BUNDLE TYPE: drop the namespace of that type
nons() { cfg "$1" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != argv[0]]' "$2"; }
# joinns BUNDLE TYPE PATH: join that namespace by path
joinns() { cfg "$1" '
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != argv[0]]
c["linux"]["namespaces"].append({"type": argv[0], "path": argv[1]})' "$2" "$3"; }

# ---- accepted: each in the container's own namespace, dotted and slash forms ----
b=$(mkb ok1)
sysctls "$b" "{\"net.ipv4.ip_forward\": \"$W_FWD\", \"net/ipv4/ip_default_ttl\": \"$W_TTL\",
	\"kernel.msgmax\": \"$W_MSGMAX\", \"fs/mqueue/msg_max\": \"$W_MQ\", \"kernel.shm_rmid_forced\": \"1\",
	\"kernel.domainname\": \"sysctl.example\"}"
runb "$b" 'for k in net/ipv4/ip_forward net/ipv4/ip_default_ttl kernel/msgmax fs/mqueue/msg_max kernel/shm_rmid_forced kernel/domainname; do echo "$k=$(cat /proc/sys/$k)"; done'
expect_eq "namespaced keys: run exit 0" 0 "$RC"
expect_match "net.ipv4.ip_forward (dotted) in the container's netns" "^net/ipv4/ip_forward=$W_FWD\$" "$OUT"
expect_match "net/ipv4/ip_default_ttl (slash form)" "^net/ipv4/ip_default_ttl=$W_TTL\$" "$OUT"
expect_match "kernel.msgmax in the container's IPC ns" "^kernel/msgmax=$W_MSGMAX\$" "$OUT"
expect_match "fs/mqueue/msg_max (slash form) in the container's IPC ns" "^fs/mqueue/msg_max=$W_MQ\$" "$OUT"
expect_match "kernel.shm_rmid_forced" "^kernel/shm_rmid_forced=1\$" "$OUT"
expect_match "kernel.domainname in the container's UTS ns" "^kernel/domainname=sysctl.example\$" "$OUT"
hosts_unchanged "namespaced keys"

# a network namespace joined by path that is not the runtime's
NS=ctrt$$-sysctl
at_cleanup "ip netns del $NS"
if ip netns add "$NS"; then
	b=$(mkb ok2)
	joinns "$b" network "/var/run/netns/$NS"
	sysctls "$b" "{\"net.ipv4.ip_default_ttl\": \"$W_TTL\"}"
	runb "$b" 'cat /proc/sys/net/ipv4/ip_default_ttl'
	expect_eq "net.* in a joined network namespace: run exit 0" 0 "$RC"
	expect_eq "... the value is set in that namespace" "$W_TTL" \
		"$(ip netns exec "$NS" cat /proc/sys/net/ipv4/ip_default_ttl)"
	hosts_unchanged "joined network namespace"
else
	skip "net.* in a joined network namespace" "ip netns add failed"
fi

# --network adds the network namespace before the keys are checked
b=$(mkb ok3)
nons "$b" network
sysctls "$b" "{\"net.ipv4.ip_default_ttl\": \"$W_TTL\"}"
args "$b" 'cat /proc/sys/net/ipv4/ip_default_ttl'
OUT=$(timeout 60 "$CTR_DEMO" --root "$ROOT" run --network none -b "$b" ok3 </dev/null 2>&1)
expect_eq "net.* with --network none (the option adds the netns): run exit 0" 0 "$?"
expect_eq "... the value is set in the container" "$W_TTL" "$OUT"
hosts_unchanged "--network none"

# ---- refused: not namespaced ----
b=$(mkb swap)
sysctls "$b" "{\"vm.swappiness\": \"$H_SWAP\"}"
refused "vm.swappiness" "$b" \
	'config\.json: linux\.sysctl: "vm\.swappiness" is not namespaced: the container would change the host.s value; remove it' \
	create -b "$b" swap
b=$(mkb core)
sysctls "$b" "$(python3 -c 'import json, sys; print(json.dumps({"kernel/core_pattern": sys.argv[1]}))' "$H_CORE")"
refused "kernel/core_pattern (slash form)" "$b" '"kernel/core_pattern" is not namespaced' create -b "$b" core
b=$(mkb filemax)
sysctls "$b" "{\"fs.file-max\": \"$(host fs/file-max)\"}"
refused "fs.file-max (fs.* but not fs.mqueue.*)" "$b" '"fs\.file-max" is not namespaced' create -b "$b" filemax
b=$(mkb mqdir)
sysctls "$b" '{"fs.mqueue": "1"}'
refused "fs.mqueue itself" "$b" '"fs\.mqueue" is not namespaced' create -b "$b" mqdir
b=$(mkb shmx)
sysctls "$b" '{"kernel.shmmax.x": "1"}'
refused "kernel.shmmax.x (not an IPC key)" "$b" '"kernel\.shmmax\.x" is not namespaced' create -b "$b" shmx
# the first bad key stops create even after good ones
b=$(mkb mixed)
sysctls "$b" "{\"net.ipv4.ip_forward\": \"$W_FWD\", \"vm.swappiness\": \"$H_SWAP\"}"
refused "a good key and a bad one" "$b" '"vm\.swappiness" is not namespaced' create -b "$b" mixed

# ---- refused: the container shares the namespace with the host ----
b=$(mkb nonet)
nons "$b" network
sysctls "$b" "{\"net.ipv4.ip_forward\": \"$H_FWD\"}"
refused "net.* without a network namespace" "$b" \
	'"net\.ipv4\.ip_forward" is in the network namespace, which the container shares with the host: .*add \{"type": "network"\} to linux\.namespaces' \
	create -b "$b" nonet
b=$(mkb hostnet)
joinns "$b" network "/proc/$$/ns/net"
sysctls "$b" "{\"net/ipv4/ip_forward\": \"$H_FWD\"}"
refused "net.* in the runtime's own network namespace joined by path" "$b" \
	"\"net/ipv4/ip_forward\" is in the network namespace, and the one linux\\.namespaces\\[[0-9]+\\] joins \\(/proc/$$/ns/net\\) is the runtime's own" \
	create -b "$b" hostnet
b=$(mkb noipc)
nons "$b" ipc
sysctls "$b" "{\"kernel.msgmax\": \"$H_MSGMAX\"}"
refused "kernel.msgmax without an IPC namespace" "$b" '"kernel\.msgmax" is in the IPC namespace, which the container shares with the host' \
	create -b "$b" noipc
b=$(mkb noipcmq)
nons "$b" ipc
sysctls "$b" "{\"fs.mqueue.msg_max\": \"$H_MQ\"}"
refused "fs.mqueue.* without an IPC namespace" "$b" '"fs\.mqueue\.msg_max" is in the IPC namespace' create -b "$b" noipcmq
b=$(mkb hostipc)
joinns "$b" ipc "/proc/$$/ns/ipc"
sysctls "$b" "{\"kernel.shmmax\": \"$(host kernel/shmmax)\"}"
refused "kernel.shmmax in the runtime's own IPC namespace joined by path" "$b" \
	'"kernel\.shmmax" is in the IPC namespace, and the one .* is the runtime.s own' create -b "$b" hostipc
b=$(mkb nouts)
nons "$b" uts
cfg "$b" 'c.pop("hostname", None)'
sysctls "$b" "{\"kernel.domainname\": \"$H_DOMAIN\"}"
refused "kernel.domainname without a UTS namespace" "$b" '"kernel\.domainname" is in the UTS namespace, which the container shares with the host' \
	create -b "$b" nouts
b=$(mkb twohost)
cfg "$b" 'c["hostname"] = "a"'
sysctls "$b" '{"kernel.hostname": "b"}'
refused "kernel.hostname with the hostname field" "$b" '"kernel\.hostname" sets what the hostname field sets' create -b "$b" twohost

# ---- refused: names that would leave /proc/sys ----
n=0
for k in 'net/../kernel/core_pattern' 'net..ipv4.ip_forward' '/net/ipv4/ip_forward' '../../etc/passwd' \
	'net.ipv4.conf.all.forwarding ' 'net/ipv4//ip_forward' 'net.ipv4.' '.net.ipv4.ip_forward' \
	'net/./ipv4/ip_forward' 'net.ipv4.ip_forward\n' 'net.ipv4.conf.*.forwarding'; do
	n=$((n + 1))
	b=$(mkb badkey$n)
	sysctls "$b" "$(python3 -c 'import json, sys; print(json.dumps({sys.argv[1]: "1"}))' "$k")"
	refused "bad key '$k'" "$b" 'linux\.sysctl: ".*" is not a sysctl name: use the dotted form' create -b "$b" "badkey$n"
done
hosts_unchanged "after the refusals"
finish
