#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Containers from images as podman users expect them: a WorkingDir the image
# lacks is made (owned by the image user), image names from an archive's
# ref.name annotation, podman's defaults (loopback, /etc/hosts, resolv.conf,
# hostname, ping_group_range) and the run/create flags people use.
. "$(dirname "$0")/../integration/lib.sh"
. "$(dirname "$0")/image-lib.sh"

# --- WorkingDir that the image does not have: made, owned by the image user (as podman and docker do)
mk "$TMP/wd" '{"images":[
 {"tag":"user","config":{"User":"alice","WorkingDir":"/srv/app/data","Cmd":["/bin/sh","-c","pwd; stat -c \"%u:%g %a\" /srv/app/data /srv/app /srv; touch mine && echo writable"]},"layers":['"$BB"']},
 {"tag":"root","config":{"WorkingDir":"/work","Cmd":["/bin/sh","-c","pwd; stat -c \"%u:%g %a\" /work"]},"layers":['"$BB"']},
 {"tag":"link","config":{"WorkingDir":"/w/sub","Cmd":["/bin/sh","-c","pwd; ls -d /data/sub"]},"layers":['"$BB"',[{"path":"data","type":"dir"},{"path":"w","link":"/data"}]]},
 {"tag":"escape","config":{"WorkingDir":"/out/made","Cmd":["/bin/sh","-c","pwd"]},"layers":['"$BB"',[{"path":"out","link":"../../../../../../../../..'"$TMP"'/host"}]]},
 {"tag":"file","config":{"WorkingDir":"/etc/passwd/x","Cmd":["/bin/true"]},"layers":['"$BB"']}]}'
img image import -q "oci:$TMP/wd:user" wd-user >/dev/null 2>&1
OUT=$(img run --image wd-user --name "wd$$" </dev/null 2>&1)
expect_eq "WorkingDir missing: made, owned by the image user (0755), parents root's" "/srv/app/data
1000:1000 755
0:0 755
0:0 755
writable" "$OUT"
OUT=$(img run --image "oci:$TMP/wd:root" --name "wd$$" </dev/null 2>&1)
expect_eq "WorkingDir missing, no User: made, root's" "/work
0:0 755" "$OUT"
OUT=$(img run --image "oci:$TMP/wd:link" --name "wd$$" </dev/null 2>&1)
expect_eq "WorkingDir through an absolute symlink of the image: made where it points, in the rootfs" "/data/sub
/data/sub" "$OUT"
mkdir -p "$TMP/host"
OUT=$(img run --image "oci:$TMP/wd:escape" --name "wd$$" </dev/null 2>&1)
expect_match "WorkingDir through a symlink out of the root (to nowhere in the image): a clear error" \
	"cannot make '/out': it is a symbolic link to a path the image does not have" "$OUT"
expect_eq "WorkingDir through a symlink out of the root: nothing made on the host" "" "$(ls -A "$TMP/host")"
OUT=$(img run --image "oci:$TMP/wd:file" --name "wd$$" </dev/null 2>&1)
expect_match "WorkingDir under a file: a clear error" "process.cwd '/etc/passwd/x' \\(the image's WorkingDir\\).*not a directory" "$OUT"
expect_eq "WorkingDir under a file: nothing left" "" "$(state_left)$(ls -A "$STORE/leases")"

# --- image names: an oci-archive without a name is stored under its org.opencontainers.image.ref.name
# (as podman load and ctr images import name it); run --image <source> stores it under that name too
mk "$TMP/named" '{"images":[{"tag":"example.com/demo:1.0","config":{"Cmd":["/bin/echo","named"]},"layers":['"$BB"']}]}'
tar -C "$TMP/named" -cf "$TMP/named.tar" .
mk "$TMP/bare" '{"images":[{"tag":"2.0","config":{"Cmd":["/bin/echo","bare"]},"layers":['"$BB"']}]}'
tar -C "$TMP/bare" -cf "$TMP/bare.tar" .
img image import -q "oci-archive:$TMP/named.tar" >/dev/null 2>&1
expect_match "import oci-archive without a name: the ref.name annotation" "^example.com/demo:1.0$" "$(img image ls -q)"
img image import -q "oci-archive:$TMP/bare.tar" >/dev/null 2>&1
expect_match "import oci-archive whose ref.name is a bare tag: <file>:<tag>" "^bare.tar:2.0$" "$(img image ls -q)"
img image rm example.com/demo:1.0 >/dev/null 2>&1
OUT=$(img run --image "oci-archive:$TMP/named.tar" --name "n$$" </dev/null 2>&1)
expect_eq "run --image oci-archive: runs" "named" "$OUT"
expect_match "run --image oci-archive: stored under the annotation's name" "^example.com/demo:1.0$" "$(img image ls -q)"
expect_nomatch "run --image <source>: never stored under the source string" "^oci" "$(img image ls -q)"
OUT=$(img run --image "oci:$TMP/wd:root" --name "n$$" -- /bin/echo tagged </dev/null 2>&1)
expect_eq "run --image oci:<dir>:<tag>: runs" "tagged" "$OUT"
expect_match "run --image oci:<dir>:<tag>: stored as <dir>:<tag>" "^wd:root$" "$(img image ls -q)"
OUT=$(img run --image example.com/demo:1.0 --name "n$$" </dev/null 2>&1)
expect_eq "run --image <the name>: runs the stored image" "named" "$OUT"

# --- podman's defaults for a container from an image
. "$(dirname "$0")/../integration/engines/common.sh"
mk "$TMP/bbx" '{"images":[{"tag":"x","config":{"Cmd":["/bin/sh"]},"layers":['"$BB"']}]}'
img image import -q "oci:$TMP/bbx:x" bbx >/dev/null 2>&1
OUT=$(echo typed | img run --image bbx --name d1 -- /bin/busybox sh -c '
busybox ip -o link show lo | busybox grep -o "<[A-Z,_]*>"; busybox hostname; echo "HOSTNAME=$HOSTNAME"
busybox grep -c "127.0.1.1.d1$" /etc/hosts; busybox grep -c "^nameserver " /etc/resolv.conf
cat /proc/sys/net/ipv4/ping_group_range; echo "stdin:$(cat)"' 2>&1)
expect_match "defaults: loopback up without a network" '^<LOOPBACK,UP,LOWER_UP>$' "$OUT"
expect_match "defaults: the hostname is the container's name" '^d1$' "$OUT"
expect_match "defaults: HOSTNAME in the environment" '^HOSTNAME=d1$' "$OUT"
expect_match "defaults: /etc/hosts names the container" '^1$' "$(echo "$OUT" | sed -n 4p)"
expect_match "defaults: /etc/resolv.conf is there, with nameservers" '^[1-9]' "$(echo "$OUT" | sed -n 5p)"
expect_match "defaults: ping_group_range open in the container's network namespace" '^0[[:space:]]+2147483647$' "$OUT"
expect_match "defaults: without -i the container reads /dev/null, not our stdin" '^stdin:$' "$OUT"
OUT=$(echo typed | img run -i --image bbx --name d2 -- /bin/cat 2>&1)
expect_eq "-i: our stdin reaches the container" "typed" "$OUT"

# ping without CAP_NET_RAW: an unprivileged ICMP socket in the container's network namespace
# (through a file: a detached container keeps its stdout open)
img run -d --image bbx --name p1 --cap-drop NET_RAW -- /bin/sleep 100 </dev/null >"$TMP/p1.out" 2>&1
expect_eq "run -d --image: prints the container id" "p1" "$(cat "$TMP/p1.out")"
pid=$(jget "$(img state p1)" 'd["pid"]')
track_pid "$pid"
cat >"$TMP/icmp.py" <<'PY'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM, socket.IPPROTO_ICMP)
s.settimeout(3)
s.sendto(struct.pack("!BBHHH", 8, 0, 0, 0, 1) + b"ctr", ("127.0.0.1", 0))
print("echo reply" if s.recvfrom(64)[0][0] == 0 else "no reply")
PY
chmod 0644 "$TMP/icmp.py"
OUT=$(nsenter --net="/proc/$pid/ns/net" setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	--bounding-set=-all /usr/bin/python3 "$TMP/icmp.py" 2>&1)
expect_eq "ping (an ICMP echo) without CAP_NET_RAW in the container's network namespace" "echo reply" "$OUT"
img delete -f p1 >/dev/null 2>&1
img run -d --image bbx --name p2 --network host -- /bin/sleep 100 </dev/null >/dev/null 2>&1
expect_eq "--network host: no ping_group_range in the config (the host's sysctl is not the container's to set)" "None" \
	"$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["linux"].get("sysctl", {}).get("net.ipv4.ping_group_range"))' "$ROOT/p2/config.json" 2>&1)"
img delete -f p2 >/dev/null 2>&1

# --- the run/create flags people use with images
OUT=$(img run --image bbx --name f1 -e FOO=bar -e HOSTNAME=given --hostname h1 -u alice -w /tmp/wd -- \
	/bin/busybox sh -c 'echo "$FOO $HOSTNAME $(busybox hostname) $(id -u):$(id -g) $(pwd)"' </dev/null 2>&1)
expect_eq "-e, --hostname, -u (the image's passwd), -w (made)" "bar given h1 1000:1000 /tmp/wd" "$OUT"
OUT=$(img run --image bbx --name f2 --entrypoint /bin/echo -- one two </dev/null 2>&1)
expect_eq "--entrypoint: a command, the arguments after it" "one two" "$OUT"
OUT=$(img run --image bbx --name f2 --entrypoint '["/bin/echo","-n","x"]' </dev/null 2>&1)
expect_eq "--entrypoint: a JSON array, no Cmd" "x" "$OUT"
OUT=$(img run --image bbx --name f3 --cap-drop ALL --cap-add net_bind_service -- \
	/bin/busybox sh -c 'busybox grep ^CapBnd /proc/self/status' </dev/null 2>&1)
expect_match "--cap-drop ALL --cap-add net_bind_service: only that one" 'CapBnd:[[:space:]]+0000000000000400$' "$OUT"
OUT=$(img run --image bbx --name f4 --sysctl net.ipv4.ip_unprivileged_port_start=80 -- \
	/bin/cat /proc/sys/net/ipv4/ip_unprivileged_port_start </dev/null 2>&1)
expect_eq "--sysctl" "80" "$OUT"
mkdir -p "$TMP/vol"
echo in-volume >"$TMP/vol/f"
OUT=$(img run --image bbx --name f5 --read-only -v "$TMP/vol:/data:ro" -v "$TMP/vol:/rw" --tmpfs /scratch:size=1m -- \
	/bin/busybox sh -c 'cat /data/f; touch /data/x 2>/dev/null || echo data-ro; touch /rw/y && echo rw-ok
touch /root-file 2>/dev/null || echo root-ro; touch /tmp/t && echo tmp-rw
busybox grep " /scratch " /proc/self/mounts | busybox cut -d" " -f3,4' </dev/null 2>&1 | sed 's/,inode64$//')
expect_eq "--read-only (tmpfs on /tmp), -v ro and rw, --tmpfs with options" "in-volume
data-ro
rw-ok
root-ro
tmp-rw
tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k" "$OUT"
check "-v: the container wrote into the host directory" [ -f "$TMP/vol/y" ]
img run -d --image bbx --name f6 --memory 64m --cpus 0.5 --pids-limit 20 -- /bin/sleep 100 </dev/null >/dev/null 2>&1
pid=$(jget "$(img state f6)" 'd["pid"]')
track_pid "$pid"
# the files of the host's layout: v1 controllers (this hybrid host) or a pure v2 host's unified cgroup
if [ -d /sys/fs/cgroup/memory ]; then
	got="$(host_cg_file "$pid" memory memory.limit_in_bytes) $(host_cg_file "$pid" cpu cpu.cfs_quota_us) $(host_cg_file "$pid" cpu cpu.cfs_period_us) $(host_cg_file "$pid" pids pids.max)"
else
	got="$(host_cg_file "$pid" - memory.max) $(host_cg_file "$pid" - cpu.max) $(host_cg_file "$pid" - pids.max)"
fi
expect_eq "--memory, --cpus, --pids-limit in the container's cgroups" "67108864 50000 100000 20" "$got"
img delete -f f6 >/dev/null 2>&1
if [ -c /dev/fuse ]; then
	OUT=$(img run --image bbx --name f7 --device /dev/fuse:/dev/myfuse -- /bin/busybox stat -c '%F %t:%T' /dev/myfuse </dev/null 2>&1)
	expect_eq "--device /dev/fuse:/dev/myfuse: the host node" "character special file a:e5" "$OUT"
else
	skip "--device with a host node" "no /dev/fuse on this host"
fi
if command -v script >/dev/null; then
	# the terminal's echo of a NUL that sometimes follows script(1)'s ended stdin ("^@", see
	# engines/common.sh's engine_tty) is cut out, as the raw NULs are
	OUT=$(timeout 60 script -qec "$CTR_DEMO --root $ROOT --store $STORE run -t --image bbx --name f8 -- /bin/busybox tty" /dev/null 2>&1 | tr -d '\r\000' | sed 's/\^@//g')
	expect_match "-t: a terminal" '/dev/pts/[0-9]+$' "$OUT"
else
	skip "-t: a terminal" "script(1) is not installed (package bsdutils)"
fi
expect_eq "run --image removes its containers (--rm is the default)" "" "$(img list -q)"

# flag errors name the flag and the fix; image flags without --image are refused
OUT=$(img run --image bbx --name e1 --cap-add FOO -- /bin/true </dev/null 2>&1)
expect_match "--cap-add FOO: unknown capability" "^ctr-demo: --cap-add 'FOO': unknown capability" "$OUT"
OUT=$(img run --image bbx --name e1 -v rel:/x -- /bin/true </dev/null 2>&1)
expect_match "-v with a relative path: refused" "invalid --volume 'rel:/x': give /host/path:/path/in/container" "$OUT"
OUT=$(img run --image bbx --name e1 --memory lots -- /bin/true </dev/null 2>&1)
expect_match "--memory lots: refused" "invalid --memory 'lots'" "$OUT"
OUT=$(img run -b "$CTR_BUNDLE" -e A=b e2 </dev/null 2>&1)
expect_match "-e without --image: refused, saying where the setting goes" "'run' takes --env only with --image" "$OUT"
OUT=$(img run -b "$CTR_BUNDLE" --pull always e2 </dev/null 2>&1)
expect_match "--pull without --image: refused" "'run' takes --pull only with --image" "$OUT"
OUT=$(img create -b "$CTR_BUNDLE" --creds u:p e2 </dev/null 2>&1)
expect_match "a registry flag (--creds) without --image: refused" "'create' takes --creds only with --image" "$OUT"
OUT=$(img image pull --max-transfers -1 docker://127.0.0.1:9/x/y:1 2>&1)
expect_match "image pull --max-transfers -1: refused before any transfer" \
	"invalid value '-1' for flag '--max-transfers' of 'image pull'" "$OUT"
OUT=$(img image push --progress fancy bbx docker://127.0.0.1:9/x/y:1 2>&1)
expect_match "image push --progress fancy: refused" "invalid --progress 'fancy' for 'image push': use auto, plain or none" "$OUT"
expect_eq "refused runs leave nothing" "" "$(state_left)"

# --- image ls: ID, size, created; columns aligned whatever the names; --format json
LONG=registry.example.com/a/very/long/repository/name/for/the/columns:v1.2.3
img image import -q "oci:$TMP/bbx:x" "$LONG" >/dev/null 2>&1
OUT=$(img image ls)
expect_match "image ls: the header" '^NAME +ID +SIZE +CREATED +SOURCE$' "$(echo "$OUT" | head -1)"
expect_eq "image ls: every row's ID column starts under ID" "1" \
	"$(echo "$OUT" | awk -v h="$(echo "$OUT" | head -1 | grep -bo ' ID ' | cut -d: -f1)" '{print substr($0, h + 2, 1) != " " && substr($0, h + 1, 1) == " "}' | sort -u | tr -d '\n')"
CFG=$(jget "$(img image inspect bbx)" 'd["config"]')
expect_match "image ls: the ID is the config digest, the size and created" \
	"^bbx +${CFG:7:12} +[0-9.]+ (KiB|MiB) +(-|[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8}) +oci:$TMP/bbx:x\$" "$OUT"
OUT=$(img image ls --format json)
expect_eq "image ls --format json: the fields" "True" \
	"$(jget "$OUT" 'any(i["name"] == "bbx" and i["id"] == "'"${CFG:7:12}"'" and i["digest"] == "'"$CFG"'" and i["size"] > 0 and i["source"] == "oci:'"$TMP"'/bbx:x" for i in d)')"
img image rm "$LONG" >/dev/null 2>&1

# --- image rm of an image a live container uses: refused without --force; the container keeps its layers
img run -d --image bbx --name user1 -- /bin/sleep 100 </dev/null >/dev/null 2>&1
track_pid "$(jget "$(img state user1)" 'd["pid"]')"
OUT=$(img image rm bbx 2>&1)
expect_match "image rm of an image in use: refused, naming the container and --force" \
	"^ctr-demo: image 'bbx' is used by the container 'user1' .*'image rm --force' removes it anyway" "$OUT"
expect_match "image rm refused: the image is still there" "^bbx$" "$(img image ls -q)"
img image rm --force bbx >/dev/null 2>&1
expect_nomatch "image rm --force: removed" "^bbx$" "$(img image ls -q)"
img image prune >/dev/null 2>&1
expect_eq "image rm --force, then prune: the container still runs from its layers" "alive" \
	"$(img exec user1 /bin/echo alive 2>&1)"
img delete -f user1 >/dev/null 2>&1
img image import -q "oci:$TMP/bbx:x" bbx >/dev/null 2>&1

# peers on a bridge network are in /etc/hosts by their own names (the hostname is the name)
NS=ctrt$$-img
if ip netns add "$NS" 2>/dev/null; then
	at_cleanup "ip netns pids $NS 2>/dev/null | xargs -r kill -9; ip netns del $NS"
	nimg() { timeout 60 ip netns exec "$NS" "$CTR_DEMO" --root "$ROOT" --store "$STORE" --net-dir "$TMP/nets" "$@"; }
	nimg network create --subnet 10.78.0.0/24 inet >/dev/null 2>&1
	nimg run -d --image bbx --name peer-a --network inet -- /bin/sleep 100 </dev/null >/dev/null 2>&1
	OUT=$(nimg run --image bbx --name peer-b --network inet -- /bin/cat /etc/hosts </dev/null 2>&1)
	expect_match "a peer by its own name in /etc/hosts" '^10\.78\.0\.[0-9]+[[:space:]]+peer-a$' "$OUT"
	expect_match "the container itself by its name" '^10\.78\.0\.[0-9]+[[:space:]]+peer-b$' "$OUT"
	nimg delete -f peer-a >/dev/null 2>&1
	# network ls: aligned columns for long names, and --format json
	nimg network create --subnet 10.79.0.0/24 a-network-with-a-rather-long-name-for-columns >/dev/null 2>&1
	OUT=$(nimg network ls)
	expect_match "network ls: the header" '^NAME +BRIDGE +SUBNETS +CONTAINERS$' "$(echo "$OUT" | head -1)"
	expect_eq "network ls: the BRIDGE column lines up in every row" "1" \
		"$(echo "$OUT" | awk -v h="$(echo "$OUT" | head -1 | grep -bo ' BRIDGE' | cut -d: -f1)" '{print substr($0, h + 2, 1) != " " && substr($0, h + 1, 1) == " "}' | sort -u | tr -d '\n')"
	OUT=$(nimg network ls --format json)
	expect_eq "network ls --format json" "True" \
		"$(jget "$OUT" 'sorted(n["name"] for n in d) == ["a-network-with-a-rather-long-name-for-columns", "inet"] and ["10.78.0.0/24"] in [n["subnets"] for n in d]')"
	nimg network rm a-network-with-a-rather-long-name-for-columns >/dev/null 2>&1
	nimg network rm inet >/dev/null 2>&1
else
	skip "peers in /etc/hosts by their own names" "cannot make a network namespace"
fi

finish
