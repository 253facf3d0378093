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

finish
