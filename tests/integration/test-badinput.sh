#!/bin/bash
# Bad input: each exits 1 with a clear message on stderr and leaves nothing
# in the state root.
. "$(dirname "$0")/lib.sh"

# bad NAME BUNDLE ERE [ctr args...]: create must exit 1, say ERE on stderr, leave nothing
# BAD_RC: the exit status bad() expects (1; an unknown command exits 3, as runc's)
BAD_RC=1
bad() { refused "$@"; }

b=$(mkb brokenjson)
printf '{"ociVersion": "1.2.0", "process": {"args": ["sh"' >"$b/config.json"
bad "broken JSON" "$b" "^ctr-demo: $b/config\\.json: " create -b "$b" brokenjson

b=$(mkb badns)
cfg "$b" 'c["linux"]["namespaces"][2]["type"] = "foo"'
bad "bad namespace type" "$b" "$b/config\\.json: linux\\.namespaces\\[2\\]\\.type: .*'foo'" create -b "$b" badns

b=$(mkb badrlimit)
cfg "$b" 'c["process"]["rlimits"] = [{"type": "RLIMIT_FOO", "soft": 1, "hard": 1}]'
bad "bad rlimit" "$b" 'process\.rlimits\[0\]\.type' create -b "$b" badrlimit

b=$(mkb nocwd)
cfg "$b" 'c["process"]["cwd"] = "relative/dir"'
bad "relative cwd" "$b" 'process\.cwd' create -b "$b" nocwd

b=$(mkb norootfs)
rm -rf "$b/rootfs"
bad "missing rootfs" "$b" 'rootfs' create -b "$b" norootfs

# the program is looked up at create, as runc does, in the wording engines map
# to exit codes 127 and 126
b=$(mkb noprog)
cfg "$b" 'c["process"]["args"] = ["no-such-program", "x"]'
bad "program not on PATH" "$b" 'process\.args\[0\]: exec: "no-such-program": executable file not found in \$PATH' create -b "$b" noprog

b=$(mkb noprogpath)
cfg "$b" 'c["process"]["args"] = ["/no/such/program"]'
bad "program path missing" "$b" 'exec: "/no/such/program": stat /no/such/program: no such file or directory' create -b "$b" noprogpath

b=$(mkb noexecbit)
printf 'plain text\n' >"$b/rootfs/notexec"
chmod 0644 "$b/rootfs/notexec"
cfg "$b" 'c["process"]["args"] = ["/notexec"]'
bad "program not executable" "$b" 'exec: "/notexec": permission denied' create -b "$b" noexecbit

b=$(mkb noconfig)
rm -f "$b/config.json"
bad "bundle without config.json" "" 'config\.json' create -b "$b" noconfig

bad "missing bundle directory" "" "$TMP/does-not-exist" create -b "$TMP/does-not-exist" nobundle
bad "unknown flag" "" 'bogus-flag' create --bogus-flag -b "$TMP" unknownflag
BAD_RC=3 bad "unknown command" "" 'frobnicate' frobnicate x
b=$(mkb badid)
bad "invalid container id" "$b" 'id' create -b "$b" '../escape'
bad "state of a missing container" "" 'nosuch' state nosuch
bad "start of a missing container" "" 'nosuch' start nosuch
bad "kill of a missing container" "" 'nosuch' kill nosuch
bad "delete of a missing container" "" 'nosuch' delete nosuch
bad "kill with an unknown signal" "" 'SIGFOO|FOO' kill nosuch FOO

# duplicate id: the second create fails, the first container is untouched
b=$(mkb dup)
args "$b" 'exec sleep 1000'
ctr create -b "$b" dup </dev/null >"$TMP/dup1.out" 2>&1
expect_eq "first create: exit 0" 0 "$?"
dpid=$(jget "$(ctr state dup)" 'd["pid"]')
track_pid "$dpid"
b2=$(mkb dup2)
ctr create -b "$b2" dup </dev/null >"$TMP/dup2.out" 2>"$TMP/dup2.err"
expect_eq "duplicate id: exit 1" 1 "$?"
expect_match "duplicate id: says it exists" 'dup.*exist|exist.*dup' "$(cat "$TMP/dup2.err")"
expect_eq "duplicate id: the first container is still created" created "$(jget "$(ctr state dup)" 'd["status"]')"
expect_eq "duplicate id: the first container keeps its bundle" "$b" "$(jget "$(ctr state dup)" 'd["bundle"]')"
check "duplicate id: the first container's process lives" alive "$dpid"
expect_eq "duplicate id: no process from the second bundle" "" "$(procs_in "$b2/rootfs")"
ctr delete --force dup >/dev/null 2>&1
expect_eq "state root empty at the end" "" "$(state_left)"

finish
