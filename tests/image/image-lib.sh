# Helpers for the image tests (sourced after tests/integration/lib.sh).
# mk DIR SPEC_JSON: an OCI layout built by mkimage.py; BB: JSON entries of a
# busybox layer (busybox, sh/echo/cat/ls/id links, /etc/passwd, /etc/group).
HERE=$(cd "$(dirname "$0")" && pwd)
STORE=$TMP/store
BUSYBOX=$(command -v busybox || echo /bin/busybox)
mk() { python3 "$HERE/mkimage.py" "$1" "$2"; }
BB='[{"path":"bin","type":"dir"},{"path":"bin/busybox","file":"'$BUSYBOX'"},
 {"path":"bin/sh","link":"busybox"},{"path":"bin/echo","link":"busybox"},{"path":"bin/cat","link":"busybox"},
 {"path":"bin/ls","link":"busybox"},{"path":"bin/id","link":"busybox"},{"path":"bin/sleep","link":"busybox"},
 {"path":"etc","type":"dir"},
 {"path":"etc/passwd","data":"root:x:0:0:root:/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\nbob:x:1001:1001::/:/bin/sh\n"},
 {"path":"etc/group","data":"root:x:0:\nalice:x:1000:\nstaff:x:50:alice\nvideo:x:44:alice,bob\n"}]'
# img ARGS...: ctr-demo on this test's state root and store
img() { "$CTR_DEMO" --root "$ROOT" --store "$STORE" "$@"; }
# store_state: a listing of the store that changes when anything is added
store_state() { (cd "$STORE" 2>/dev/null && find . -path ./tmp -prune -o -print | grep -v '\.lock$' | sort; cat images.json 2>/dev/null); }
