#!/bin/bash
# process: args, env, cwd, user (uid, gid, additionalGids), umask, rlimits,
# noNewPrivileges, oomScoreAdj; hostname, domainname, sysctl.
. "$(dirname "$0")/lib.sh"

b=$(mkb proc1)
cfg "$b" '
p = c["process"]
p["env"].append("FOO=bar baz")
p["env"].append("EMPTY=")
p["cwd"] = "/home/user"
p["user"] = {"uid": 1000, "gid": 1000, "additionalGids": [65534, 5], "umask": 0o027}
p["rlimits"] = [{"type": "RLIMIT_NOFILE", "soft": 512, "hard": 1000}, {"type": "RLIMIT_CORE", "soft": 0, "hard": 0}]
p["noNewPrivileges"] = True
p["oomScoreAdj"] = 500
c["hostname"] = "proc-host"
c["domainname"] = "example.org"
c["linux"]["sysctl"] = {"net.ipv4.ip_forward": "1", "kernel.msgmax": "4096"}'
cfg "$b" 'c["process"]["args"] = ["/bin/sh", "-c", "echo \"args=$0 $1\"; echo \"FOO=$FOO\"; echo \"EMPTY=[$EMPTY]\"; echo \"PATH=$PATH\"; echo cwd=$(pwd); echo uid=$(id -u) gid=$(id -g) groups=$(id -G); echo umask=$(umask); echo nofile=$(ulimit -n) hard=$(ulimit -Hn) core=$(ulimit -c); grep NoNewPrivs /proc/self/status | tr -d \"\\t \"; echo oom=$(cat /proc/self/oom_score_adj); echo hostname=$(hostname); echo domain=$(cat /proc/sys/kernel/domainname); echo fwd=$(cat /proc/sys/net/ipv4/ip_forward); echo msgmax=$(cat /proc/sys/kernel/msgmax); touch f; echo mode=$(stat -c %a f)", "one", "two"]'
runb "$b"
expect_eq "process: run exit 0" 0 "$RC"
expect_match "args: argv passed unchanged" '^args=one two$' "$OUT"
expect_match "env: value with a space" '^FOO=bar baz$' "$OUT"
expect_match "env: empty value" '^EMPTY=\[\]$' "$OUT"
expect_match "env: PATH" '^PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin$' "$OUT"
expect_match "cwd" '^cwd=/home/user$' "$OUT"
expect_match "user: uid 1000 gid 1000" '^uid=1000 gid=1000 ' "$OUT"
groups=$(printf '%s\n' "$OUT" | sed -n 's/.*groups=//p' | tr ' ' '\n' | sort -n | tr '\n' ' ')
expect_eq "user: additionalGids (and nothing else)" "5 1000 65534 " "$groups"
expect_match "umask 027" '^umask=0027$' "$OUT"
expect_match "umask applied to new files" '^mode=640$' "$OUT"
expect_match "rlimits: RLIMIT_NOFILE soft 512 hard 1000, RLIMIT_CORE 0" '^nofile=512 hard=1000 core=0$' "$OUT"
expect_match "noNewPrivileges: NoNewPrivs 1" '^NoNewPrivs:1$' "$OUT"
expect_match "oomScoreAdj 500" '^oom=500$' "$OUT"
expect_match "hostname" '^hostname=proc-host$' "$OUT"
expect_match "domainname" '^domain=example.org$' "$OUT"
expect_match "sysctl net.ipv4.ip_forward=1 in the container's netns" '^fwd=1$' "$OUT"
expect_match "sysctl kernel.msgmax=4096 in the container's ipc ns" '^msgmax=4096$' "$OUT"
check "sysctl: the host's kernel.msgmax is unchanged" test "$(cat /proc/sys/kernel/msgmax)" != 4096

b=$(mkb proc2)
cfg "$b" 'c["process"]["noNewPrivileges"] = False; c["process"].pop("oomScoreAdj", None)'
runb "$b" 'grep NoNewPrivs /proc/self/status | tr -d "\t "; echo oom=$(cat /proc/self/oom_score_adj); id'
expect_match "noNewPrivileges false: NoNewPrivs 0" '^NoNewPrivs:0$' "$OUT"
expect_match "no oomScoreAdj: inherited from the runtime" "^oom=$(cat /proc/self/oom_score_adj)\$" "$OUT"
expect_match "default user root" '^uid=0\(root\) gid=0\(root\)' "$OUT"

b=$(mkb proc3)
cfg "$b" 'c["process"]["args"] = ["/no/such/program"]'
runb "$b"
expect_eq "missing program: exit code 127 or 1" 1 "$([ "$RC" = 127 ] || [ "$RC" = 1 ] && echo 1)"
expect_match "missing program: the error names it" '/no/such/program' "$OUT"
expect_eq "missing program: nothing left in the state root" "" "$(state_left)"

b=$(mkb proc4)
cfg "$b" 'c["process"]["args"] = ["env"]; c["process"]["env"] = ["A=1", "B=2"]'
runb "$b"
expect_eq "env: exactly the spec's variables (plus none)" "A=1
B=2" "$(printf '%s\n' "$OUT" | grep -v '^HOME=\|^container=' | sort)"

# the network namespace: new and the container's own (libctr unshares it in
# the child after clone3, before anything mounts sysfs or writes a sysctl):
# its sysfs and /proc/net show only its loopback, never the host's devices
b=$(mkb netns1)
cfg "$b" 'c["process"]["args"] = ["/bin/sh", "-c", "echo net=$(readlink /proc/self/ns/net); echo devs=$(ls /sys/class/net | tr \"\\n\" \" \"); echo ifs=$(tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d \" \" | tr \"\\n\" \" \")"]'
runb "$b"
expect_eq "netns: run exit 0" 0 "$RC"
expect_match "netns: the container has a network namespace" '^net=net:\[[0-9]+\]$' "$OUT"
check "netns: not the host's" test "$(printf '%s\n' "$OUT" | sed -n 's/^net=//p')" != "$(readlink /proc/self/ns/net)"
expect_match "netns: /sys/class/net (sysfs mounted in the container's netns) has lo only" '^devs=lo$' "$OUT"
expect_match "netns: /proc/net/dev has lo only" '^ifs=lo$' "$OUT"

finish
