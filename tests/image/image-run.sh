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

finish
