#!/bin/bash
# Issue 12, found item 7 ("ctr_write_file_atomic opens its temp file
# without O_EXCL").
#
# The attack: the library writes files (the --pid-file, state and network
# files, an image store's files, `spec`'s config.json) by writing
# PATH.tmp.PID and renaming it over PATH.  Whoever can write to PATH's
# directory (a shared volume, a world-writable pid-file directory) and
# guesses the pid plants a hard link to one of the victim's files at that
# temp name: without O_EXCL the library truncates and overwrites the linked
# file (O_NOFOLLOW stops symlinks only).
#
# Checked: `create --pid-file DIR/pid`, with DIR/pid.tmp.<the runtime's pid>
# planted beforehand as a hard link to a sentinel file (the pid is known
# here because a shell execs the runtime): the sentinel keeps its content,
# and the create either writes the pid file or fails naming it.
. "$(dirname "$0")/lib.sh"

rt_copy rt
b=$(mkb pidf)
args "$b" 'exit 0'
mkdir -p "$TMP/piddir"
echo untouched >"$TMP/sentinel"
sh -c 'ln "$1" "$2/pid.tmp.$$" && exec "$3" --root "$4" create --pid-file "$2/pid" -b "$5" pidf' \
	sh "$TMP/sentinel" "$TMP/piddir" "$RT" "$ROOT" "$b" </dev/null >"$TMP/pidf.out" 2>&1
rc=$?
expect_eq "a hard link planted at the pid file's temp name: the linked file is not overwritten" untouched \
	"$(cat "$TMP/sentinel")"
if [ "$rc" = 0 ]; then
	track_pid "$(initpid pidf)"
	expect_eq "... and the pid file holds the init's pid" "$(initpid pidf)" "$(cat "$TMP/piddir/pid" 2>/dev/null)"
	ctr delete --force pidf >/dev/null 2>&1
else
	expect_match "... and the failed create names the pid file" "$TMP/piddir/pid" "$(cat "$TMP/pidf.out")"
fi
finish
