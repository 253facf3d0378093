#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# setid-path.sh FIND-PROGRAM: a set-id program embedding libctr never runs a
# helper (newuidmap, newgidmap, docker-credential-*) from a directory its
# caller put in PATH.  FIND-PROGRAM prints the path ctr_find_program (the one
# lookup userns.c and regauth.c use) picks; a copy of it, set-uid root, is run
# by the user nobody with PATH pointing at a planted newuidmap.  TAP.
. "$(dirname "$0")/../integration/lib.sh"
FIND=$1
[ "$(id -u)" = 0 ] || { echo "1..0 # SKIP needs root (a set-uid root copy)"; exit 0; }
evil=$TMP/evil
mkdir -p "$evil"
chmod 755 "$TMP" "$evil"
printf '#!/bin/sh\ntouch %s/ran\n' "$evil" >"$evil/newuidmap"
printf '#!/bin/sh\ntouch %s/ran\n' "$evil" >"$evil/docker-credential-planted"
chmod 755 "$evil/newuidmap" "$evil/docker-credential-planted"
cp "$FIND" "$TMP/find-program"
chown root:root "$TMP/find-program"
chmod 4755 "$TMP/find-program"

# control: an ordinary caller's PATH is honoured
expect_eq "control: PATH is used when not set-id" "$evil/newuidmap" "$(PATH=$evil:/usr/bin "$TMP/find-program" newuidmap)"
if findmnt -no OPTIONS -T "$TMP" | grep -qw nosuid; then
	skip "set-uid root, run by nobody" "$TMP is on a nosuid mount"
else
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$evil:/usr/bin" "$TMP/find-program" newuidmap)
	if [ "$out" != "$evil/newuidmap" ]; then ok "set-uid root, run by nobody: newuidmap is not the one in the caller's PATH"
	else notok "set-uid root, run by nobody: newuidmap is not the one in the caller's PATH" "$out"; fi
	case $out in /usr/local/bin/* | /usr/bin/* | /usr/sbin/* | /bin/* | /sbin/* | "(none)") ok "and it is from the fixed directories ($out)" ;;
	*) notok "and it is from the fixed directories" "$out" ;; esac
	out=$(setpriv --reuid=65534 --regid=65534 --clear-groups env PATH="$evil" "$TMP/find-program" docker-credential-planted)
	expect_eq "set-uid root, run by nobody: a credential helper only in the caller's PATH is not found" "(none)" "$out"
fi
check "nothing planted ran" test ! -e "$evil/ran"
finish
