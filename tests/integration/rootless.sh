#!/bin/bash
# Rootless: ctr-demo run by an unprivileged user made for this test (removed
# at exit).  Its state root defaults to $XDG_RUNTIME_DIR/ctr; the container
# gets its own user namespace mapping the user's id to root (spec
# --rootless), or a subordinate range through newuidmap/newgidmap; device
# nodes are bind-mounted from the host, sysfs is the host's rbind (no network
# namespace), and what the user cannot do fails with an error that says why.
. "$(dirname "$0")/lib.sh"
RECV=$(dirname "$0")/console-recv.py

for tool in useradd userdel setpriv; do
	if ! command -v $tool >/dev/null; then
		echo "1..0 # SKIP $tool is not installed (package passwd / util-linux)"
		[ "${CTR_TESTS_MUST_RUN:-0}" = 1 ] && exit 1
		exit 77
	fi
done
if [ "$(cat /proc/sys/kernel/unprivileged_userns_clone 2>/dev/null || echo 1)" != 1 ] ||
	[ "$(cat /proc/sys/user/max_user_namespaces)" = 0 ]; then
	echo "1..0 # SKIP unprivileged user namespaces are disabled on this kernel"
	[ "${CTR_TESTS_MUST_RUN:-0}" = 1 ] && exit 1
	exit 77
fi

# the throwaway user: unique per run, its home and runtime dir inside $TMP
U=ctrrl$$
HOME_U=$TMP/home
XDG=$TMP/xdg
mkdir -p "$HOME_U" "$XDG"
# /etc/passwd may be locked for a moment by another test making its user
for i in 1 2 3 4 5; do
	useradd -M -d "$HOME_U" -s /bin/sh "$U" 2>"$TMP/useradd.err" && break
	grep -q 'lock' "$TMP/useradd.err" || break
	sleep 1
done
if ! id "$U" >/dev/null 2>&1; then
	echo "Bail out! useradd $U: $(cat "$TMP/useradd.err")"
	exit 1
fi
# userdel removes the user's /etc/subuid and /etc/subgid lines too (only if
# one is left is the file edited, so as not to race another useradd)
at_cleanup "userdel -f $U; for f in /etc/subuid /etc/subgid; do grep -q '^$U:' \$f && sed -i '/^$U:/d' \$f; done"
UID_U=$(id -u "$U")
GID_U=$(id -g "$U")
chown "$U:" "$HOME_U" "$XDG"
chmod 0700 "$XDG"

# as_user CMD...: run CMD as the user, with a clean environment
as_user() {
	setpriv --reuid "$UID_U" --regid "$GID_U" --init-groups -- \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$HOME_U" USER="$U" XDG_RUNTIME_DIR="$XDG" "$@"
}
# uctr ARGS...: ctr-demo as the user, with the default state root
uctr() { as_user "$CTR_DEMO" "$@"; }
# urun ARGS...: `ctr-demo ARGS` as the user from the bundle directory; sets out and rc
urun() {
	out=$(as_user sh -c 'cd "$1" && shift && exec "$@"' urun "$B" "$CTR_DEMO" "$@" </dev/null 2>&1)
	rc=$?
}

# a bundle owned by the user, config.json from `spec --rootless`
B=$HOME_U/b
cp -a "$CTR_BUNDLE" "$B"
rm -f "$B/config.json"
mkdir -p "$HOME_U/data"
chown -R "$U:" "$B" "$HOME_U/data"
out=$(cd "$B" && uctr spec --rootless 2>&1)
expect_eq "spec --rootless as the user" "" "$out"
cfg "$B" 'c["process"]["terminal"] = False
c["mounts"].append({"destination": "/data", "type": "bind", "source": argv[0], "options": ["rbind", "rw"]})' "$HOME_U/data"

# run: root inside, the user's id outside, state under $XDG_RUNTIME_DIR/ctr
args "$B" 'id; cat /proc/self/uid_map /proc/self/gid_map; cat /proc/self/setgroups; echo dev=$(stat -c %t,%T /dev/null); echo net=$(ls /sys/class/net); touch /data/by-root; mkdir /data/dir; exit 7'
urun run rl-run$$
expect_eq "rootless run: the container's exit code" 7 "$rc"
expect_match "rootless run: uid 0 inside" '^uid=0\(root\) gid=0\(root\)' "$out"
expect_match "rootless run: uid_map maps 0 to the user" "^ +0 +$UID_U +1\$" "$out"
expect_match "rootless run: setgroups denied (own gid mapped without newgidmap)" '^deny$' "$out"
expect_match "rootless run: /dev/null is the host's node, bind-mounted" '^dev=1,3$' "$out"
HOSTNET="net=$(echo $(ls /sys/class/net))"
expect_match "rootless run: /sys is the host's (rbind, no network namespace)" "^$HOSTNET\$" "$out"
expect_eq "rootless run: a file root made in the container belongs to the user on the host" \
	"$U $U" "$(stat -c '%U %G' "$HOME_U/data/by-root" 2>&1)"
expect_eq "rootless run: so does a directory" "$U" "$(stat -c %U "$HOME_U/data/dir" 2>&1)"
expect_eq "rootless run: run deleted its state" "" "$(ls -A "$XDG/ctr" 2>&1)"

# a sysfs mount without a network namespace becomes an rbind of the host's /sys
cfg "$B" 'c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys"] + [{"destination": "/sys", "type": "sysfs", "source": "sysfs", "options": ["nosuid", "noexec", "nodev", "ro"]}]'
args "$B" 'echo net=$(ls /sys/class/net); touch /sys/x 2>&1 || echo sys-ro'
urun run rl-sys$$
expect_match "rootless sysfs mount: the host's /sys" "^$HOSTNET\$" "$out"
expect_match "rootless sysfs mount: read-only" 'sys-ro' "$out"

# a cgroup mount: the container's own cgroups (those of the caller, not
# delegated), with and without a cgroup namespace of its own
for cgns in yes no; do
	cfg "$B" 'c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"] + [{"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup", "options": ["nosuid", "noexec", "nodev", "relatime", "ro"]}]
c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "cgroup"] + ([{"type": "cgroup"}] if argv[0] == "yes" else [])' $cgns
	args "$B" 'ls /sys/fs/cgroup | tr "\n" " "; echo; touch /sys/fs/cgroup/x 2>&1 || true'
	urun run rl-cgmnt$$
	want=$(ls /sys/fs/cgroup | tr '\n' ' ')
	expect_eq "rootless cgroup mount (cgroup namespace: $cgns): the host's hierarchies, read-only" \
		"0 $want
touch: /sys/fs/cgroup/x: Read-only file system" "$rc $out"
done
cfg "$B" 'c["mounts"] = [m for m in c["mounts"] if m["destination"] != "/sys/fs/cgroup"]'

# the lifecycle through the default state root, in separate processes
args "$B" 'echo started >/data/started; trap "echo term >/data/term; exit 0" TERM; while :; do sleep 0.1; done'
id=rl-life$$
# the init keeps create's stdio: a file, not a pipe we would wait on
as_user sh -c "cd $B && exec $CTR_DEMO create $id" </dev/null >"$TMP/create.out" 2>&1
expect_eq "rootless create" "0 " "$? $(cat "$TMP/create.out")"
check "rootless create: state under \$XDG_RUNTIME_DIR/ctr" test -d "$XDG/ctr/$id"
expect_eq "rootless create: the state dir belongs to the user" "$U" "$(stat -c %U "$XDG/ctr/$id" 2>&1)"
st=$(uctr state "$id" 2>&1)
expect_eq "rootless state: created" created "$(jget "$st" 'd["status"]' 2>&1)"
pid=$(jget "$st" 'd["pid"]' 2>/dev/null)
track_pid "$pid"
expect_eq "rootless create: the init runs as the user on the host" "$UID_U" "$(stat -c %u "/proc/$pid" 2>&1)"
uctr start "$id" >"$TMP/start.out" 2>&1
for i in $(seq 50); do [ -f "$HOME_U/data/started" ] && break; sleep 0.1; done
expect_eq "rootless start: running" running "$(jget "$(uctr state "$id" 2>&1)" 'd["status"]' 2>&1)"
out=$(uctr exec "$id" sh -c 'id -u; cat /proc/self/uid_map' 2>&1)
expect_match "rootless exec: uid 0 in the container's user namespace" "^0\$" "$out"
expect_match "rootless exec: same mapping" "^ +0 +$UID_U +1\$" "$out"
uctr exec "$id" sh -c 'exit 5' </dev/null
expect_eq "rootless exec: exit code" 5 "$?"
out=$(uctr list 2>&1)
expect_match "rootless list: shows the container" "^$id +[0-9]+ +running" "$out"
uctr kill "$id" TERM
for i in $(seq 50); do [ -f "$HOME_U/data/term" ] && break; sleep 0.1; done
check "rootless kill: the container got SIGTERM" test -f "$HOME_U/data/term"
for i in $(seq 50); do
	[ "$(jget "$(uctr state "$id" 2>&1)" 'd["status"]' 2>/dev/null)" = stopped ] && break
	sleep 0.1
done
expect_eq "rootless kill: stopped" stopped "$(jget "$(uctr state "$id" 2>&1)" 'd["status"]' 2>&1)"
out=$(uctr delete "$id" 2>&1)
expect_eq "rootless delete" "" "$out"
check "rootless delete: state removed" test ! -e "$XDG/ctr/$id"

# delete --force of a running container
args "$B" 'sleep 100'
id=rl-force$$
as_user sh -c "cd $B && exec $CTR_DEMO run -d $id" </dev/null >"$TMP/force.out" 2>&1
pid=$(jget "$(uctr state "$id" 2>&1)" 'd["pid"]' 2>/dev/null)
track_pid "$pid"
out=$(uctr delete --force "$id" 2>&1)
expect_eq "rootless delete --force" "" "$out"
check "rootless delete --force: the init is gone" gone "$pid"

# a terminal through a console socket the user listens on
args "$B" 'tty; id -u'
cfg "$B" 'c["process"]["terminal"] = True'
as_user python3 "$RECV" "$XDG/tty.sock" "$XDG/tty.out" >"$TMP/recv.log" 2>&1 &
RECV_PID=$!
track_pid $RECV_PID
for i in $(seq 50); do grep -q ready "$TMP/recv.log" 2>/dev/null && break; sleep 0.1; done
urun run --console-socket $XDG/tty.sock rl-tty$$
wait $RECV_PID 2>/dev/null
expect_eq "rootless terminal: run exit 0" 0 "$rc"
expect_match "rootless terminal: the process has a pty" '^/dev/pts/[0-9]+' "$(tr -d '\r' <"$XDG/tty.out" 2>&1)"
cfg "$B" 'c["process"]["terminal"] = False'

# a range of subordinate ids through newuidmap/newgidmap (package uidmap)
SUB_U=$(awk -F: -v u="$U" '$1 == u {print $2; exit}' /etc/subuid)
SUB_G=$(awk -F: -v u="$U" '$1 == u {print $2; exit}' /etc/subgid)
if ! command -v newuidmap >/dev/null || ! command -v newgidmap >/dev/null; then
	skip "rootless subordinate ids" "newuidmap/newgidmap are not installed (package uidmap)"
elif [ -z "$SUB_U" ] || [ -z "$SUB_G" ]; then
	skip "rootless subordinate ids" "useradd gave $U no /etc/subuid or /etc/subgid range"
else
	cfg "$B" 'u, g, su, sg = map(int, argv)
c["linux"]["uidMappings"] = [{"containerID": 0, "hostID": u, "size": 1}, {"containerID": 1, "hostID": su, "size": 65536}]
c["linux"]["gidMappings"] = [{"containerID": 0, "hostID": g, "size": 1}, {"containerID": 1, "hostID": sg, "size": 65536}]' \
		"$UID_U" "$GID_U" "$SUB_U" "$SUB_G"
	# the process runs as 1000:1000, a subordinate id, and makes a file in a world-writable dir
	chmod 1777 "$HOME_U/data"
	args "$B" 'cat /proc/self/uid_map; cat /proc/self/setgroups; id -u; touch /data/by-1000'
	cfg "$B" 'c["process"]["user"] = {"uid": 1000, "gid": 1000}'
	urun run rl-sub$$
	expect_eq "rootless newuidmap: run exit 0" 0 "$rc"
	expect_match "rootless newuidmap: the process runs as uid 1000" '^1000$' "$out"
	expect_match "rootless newuidmap: the subordinate range is mapped" "^ +1 +$SUB_U +65536\$" "$out"
	expect_match "rootless newgidmap: setgroups stays allowed" '^allow$' "$out"
	expect_eq "rootless newuidmap: uid 1000 inside is subuid+999 on the host" \
		"$((SUB_U + 999)):$((SUB_G + 999))" "$(stat -c %u:%g "$HOME_U/data/by-1000" 2>&1)"
	# a range /etc/subuid does not give the user: a clear error, nothing left
	cfg "$B" 'c["linux"]["uidMappings"][1]["hostID"] = 4000000000 - 70000'
	urun run rl-bad$$
	expect_eq "rootless newuidmap refused: exit 1" 1 "$rc"
	expect_match "rootless newuidmap refused: the error names the range, the helper, /etc/subuid and the user" \
		"linux.uidMappings: uid 1 -> $((4000000000 - 70000)) .*newuidmap.*/etc/subuid.*$U" "$out"
	expect_eq "rootless newuidmap refused: nothing left in the state root" "" "$(ls -A "$XDG/ctr" 2>&1)"
fi

# cgroups not delegated to the user: without linux.resources the container
# runs in the caller's cgroups; with them, create fails with an error that
# says so and leaves nothing behind
cfg "$B" 'c["process"]["user"] = {"uid": 0, "gid": 0}
c["linux"]["uidMappings"] = c["linux"]["uidMappings"][:1]; c["linux"]["gidMappings"] = c["linux"]["gidMappings"][:1]
c["linux"].pop("resources", None)'
args "$B" 'sleep 100'
id=rl-cg$$
as_user sh -c "cd $B && exec $CTR_DEMO create $id" </dev/null >"$TMP/cg.out" 2>&1
expect_eq "rootless, cgroups not delegated: create works" "0 " "$? $(cat "$TMP/cg.out")"
pid=$(jget "$(uctr state "$id" 2>&1)" 'd["pid"]' 2>/dev/null)
track_pid "$pid"
expect_eq "rootless, cgroups not delegated: the container stays in the caller's cgroups" \
	"$(sort /proc/self/cgroup)" "$(sort "/proc/$pid/cgroup" 2>&1)"
uctr delete --force "$id" >/dev/null 2>&1
cfg "$B" 'c["linux"]["resources"] = {"pids": {"limit": 100}}'
urun run rl-cg2$$
expect_eq "rootless, cgroups not delegated, linux.resources: run exits 1" 1 "$rc"
expect_match "rootless, cgroups not delegated, linux.resources: the error says why" \
	'linux.resources: cgroups are not delegated to uid' "$out"
expect_eq "rootless, cgroups not delegated, linux.resources: nothing left" "" "$(ls -A "$XDG/ctr" 2>&1)"
cfg "$B" 'c["linux"].pop("resources", None)'

# cgroups delegated to the user, as systemd's Delegate=yes does: a cgroup of
# its own in every hierarchy, chowned, with (on cgroup v2) the controllers
# enabled in its parent; the caller runs in a leaf below it ("sup": cgroup
# v2 gives controllers only to the children of a cgroup without processes)
# and the container's cgroup is made beside it with the controllers
# enabled on the way down, and linux.resources apply
DG=ctrrl-deleg$$
HIER=$(awk '$9 == "cgroup" || $9 == "cgroup2" {print $5}' /proc/self/mountinfo)
CG2=$(awk '$9 == "cgroup2" {print $5; exit}' /proc/self/mountinfo)
v1mnt() { awk -v c="$1" '$9 == "cgroup" && index("," $NF ",", "," c ",") {print $5; exit}' /proc/self/mountinfo; }
for h in $HIER; do
	mkdir -p "$h/$DG/sup" && chown -R "$U:" "$h/$DG"
	at_cleanup "find $h/$DG -depth -type d -exec rmdir {} +"
done
for d in "$DG" "$DG/sup"; do
	[ -f "/sys/fs/cgroup/cpuset/$d/cpuset.cpus" ] &&
		cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$d/cpuset.cpus" &&
		cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$d/cpuset.mems"
done
# where the pids and memory limits live: their v1 hierarchy, else the unified one
PIDS_H=$(v1mnt pids); PIDS_H=${PIDS_H:-$CG2}
MEM_H=$(v1mnt memory); MEM_H=${MEM_H:-$CG2}
MEM_FILE=memory.max; [ "$MEM_H" != "$CG2" ] && MEM_FILE=memory.limit_in_bytes
if [ "$PIDS_H" = "$CG2" ] || [ "$MEM_H" = "$CG2" ]; then
	# the delegating side: the controllers enabled in the delegated cgroup's parent
	for c in pids memory; do
		grep -qw $c "$CG2/cgroup.subtree_control" || echo "+$c" >"$CG2/cgroup.subtree_control"
	done
fi
# in_deleg CMD...: from inside the delegated subtree (its leaf "sup")
in_deleg() {
	sh -c 'for h in $HIER; do echo $$ >"$h/$DG/sup/cgroup.procs" || exit 1; done; exec "$@"' in_deleg "$@"
}
# as_deleg CMD...: as the user, from inside the delegated subtree
as_deleg() {
	in_deleg setpriv --reuid "$UID_U" --regid "$GID_U" --init-groups -- env -i PATH=/usr/bin:/bin \
		XDG_RUNTIME_DIR="$XDG" "$@"
}
export HIER DG
cfg "$B" 'c["linux"]["resources"] = {"pids": {"limit": 7}, "memory": {"limit": 33554432}}; c["linux"]["cgroupsPath"] = argv[0]' "/$DG/inner"
args "$B" 'sleep 100'
id=rl-deleg$$
as_deleg sh -c "cd $B && exec $CTR_DEMO create $id" </dev/null >"$TMP/deleg.out" 2>&1
expect_eq "rootless, delegated cgroups: create with linux.resources works" "0 " "$? $(cat "$TMP/deleg.out")"
pid=$(jget "$(uctr state "$id" 2>&1)" 'd["pid"]' 2>/dev/null)
track_pid "$pid"
if [ "$PIDS_H" = "$CG2" ]; then pidline='$1 == 0'; else pidline='$2 == "pids"'; fi
expect_eq "rootless, delegated cgroups: the container's pids cgroup is the delegated one's child" \
	"/$DG/inner" "$(awk -F: "$pidline {print \$3}" "/proc/$pid/cgroup" 2>&1)"
expect_eq "rootless, delegated cgroups: pids.max applied" 7 "$(cat "$PIDS_H/$DG/inner/pids.max" 2>&1)"
expect_eq "rootless, delegated cgroups: memory limit applied ($MEM_FILE)" 33554432 \
	"$(cat "$MEM_H/$DG/inner/$MEM_FILE" 2>&1)"
if [ -n "$CG2" ]; then
	expect_eq "rootless, delegated cgroups: the caller's own cgroup (it holds processes) is left as it was" \
		"" "$(cat "$CG2/$DG/sup/cgroup.subtree_control" 2>&1)"
fi
# exec from inside the delegated subtree too: cgroup v2 lets a process move
# only below a common ancestor whose cgroup.procs the mover may write.  The
# pids limit last: the shell that cannot fork leaves its children to the
# container's init (sleep, which reaps nothing), so the pids stay taken
out=$(as_deleg "$CTR_DEMO" exec "$id" dd if=/dev/zero of=/dev/null bs=64M count=1 2>&1)
rc=$?; expect_eq "rootless, delegated cgroups: the memory limit is enforced (OOM kill, 137)" "137 " "$rc $out"
out=$(as_deleg "$CTR_DEMO" exec "$id" sh -c 'for i in 1 2 3 4 5 6 7 8; do sleep 1 & done; wait' 2>&1)
expect_match "rootless, delegated cgroups: the pids limit is enforced" "can't fork|Resource temporarily unavailable" "$out"
uctr delete --force "$id" >/dev/null 2>&1
check "rootless, delegated cgroups: delete removes the container's cgroup" test ! -e "$PIDS_H/$DG/inner"
# a relative cgroupsPath is below the caller's own cgroup, which holds processes: on cgroup
# v2 it can have no controller, and linux.resources say so (v1 has no such rule)
if [ "$PIDS_H" = "$CG2" ]; then
	cfg "$B" 'c["linux"]["cgroupsPath"] = "inner"'
	out=$(as_deleg sh -c "cd $B && exec $CTR_DEMO run rl-rel$$" </dev/null 2>&1)
	expect_match "rootless, relative cgroupsPath below the caller's cgroup (v2): the error says what to delegate" \
		"linux.resources.(pids|memory).*$DG/sup holds processes.*no-internal-processes" "$out"
	expect_eq "... and leaves no cgroup" "" "$(ls -d "$CG2/$DG/sup/inner" 2>/dev/null)"
	expect_eq "... and the caller's cgroup unchanged" "" "$(cat "$CG2/$DG/sup/cgroup.subtree_control" 2>&1)"
fi
cfg "$B" 'c["linux"].pop("resources", None); c["linux"].pop("cgroupsPath", None)'

# a configuration without a user namespace cannot work for the user: say what to add
cfg "$B" 'c["linux"]["namespaces"] = [n for n in c["linux"]["namespaces"] if n["type"] != "user"]; del c["linux"]["uidMappings"], c["linux"]["gidMappings"]'
urun run rl-nouserns$$
expect_eq "rootless without a user namespace: run exits 1" 1 "$rc"
expect_match "rootless without a user namespace: the error says what to add" \
	'linux.namespaces: uid [0-9]+ may not create namespaces without a user namespace.*spec --rootless' "$out"
expect_eq "rootless without a user namespace: nothing left" "" "$(ls -A "$XDG/ctr" 2>&1)"

# no state root at all: a clear error
out=$(setpriv --reuid "$UID_U" --regid "$GID_U" --init-groups -- env -i PATH=/usr/bin:/bin "$CTR_DEMO" list 2>&1)
expect_match "rootless without XDG_RUNTIME_DIR: the error says what to set" 'XDG_RUNTIME_DIR.*--root' "$out"

finish
