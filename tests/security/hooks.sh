#!/bin/bash
# Issue 12, found item 3: startContainer hooks run with the container process's
# credentials.
#
# The attack: a startContainer hook runs inside the container (its path is
# resolved there, so an image can ship it).  Today the runtime runs it
# before it drops anything: full root capabilities (CAP_SYS_ADMIN,
# CAP_SYS_MODULE ...), no no-new-privileges, no seccomp, uid 0, although the
# container's process gets user 1000:1000, a reduced capability set, no new
# privileges and a seccomp filter.  runc and crun give the hook the
# container's credentials.
#
# Checked: a hook script from the rootfs copies its /proc/self/status to a
# shared directory, the container's program copies its own; Uid, Gid,
# CapInh, CapPrm, CapEff, CapBnd, CapAmb, NoNewPrivs and Seccomp are the
# same in both (with one capability ambient, so that the non-root sets are
# not all empty), and the hook has no capability the container lacks.
. "$(dirname "$0")/lib.sh"

rt_copy rt
b=$(mkb hk)
shared_dir "$b" "$TMP/hk-sh" /shared
cat >"$b/rootfs/hook.sh" <<'SH'
#!/bin/sh
cat /proc/self/status >/shared/hook.status
cat >/dev/null
SH
chmod 0755 "$b/rootfs/hook.sh"
cfg "$b" '
c["process"]["user"] = {"uid": 1000, "gid": 1000}
c["process"]["noNewPrivileges"] = True
caps = ["CAP_CHOWN", "CAP_NET_BIND_SERVICE", "CAP_KILL"]
c["process"]["capabilities"] = {"bounding": caps, "effective": caps, "permitted": caps,
    "inheritable": ["CAP_NET_BIND_SERVICE"], "ambient": ["CAP_NET_BIND_SERVICE"]}
c["linux"]["seccomp"] = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["mknod", "mknodat"], "action": "SCMP_ACT_ERRNO"}]}
c["process"]["args"] = ["/bin/sh", "-c", "cat /proc/self/status >/shared/proc.status"]
c["hooks"] = {"startContainer": [{"path": "/hook.sh", "args": ["hook.sh"]}]}'
ctr run -b "$b" hk </dev/null >"$TMP/hk.out" 2>&1
expect_eq "run with a startContainer hook: exit 0" 0 "$?"
field() { sed -n "s/^$1:[[:space:]]*//p" "$2" 2>/dev/null | tr -s '\t ' ' '; }
for f in Uid Gid CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do
	want=$(field "$f" "$TMP/hk-sh/proc.status")
	got=$(field "$f" "$TMP/hk-sh/hook.status")
	if [ -n "$want" ] && [ "$want" = "$got" ]; then
		ok "startContainer hook: $f is the container process's ($want)"
	else
		notok "startContainer hook: $f is the container process's" "container: ${want:-missing}" "hook:      ${got:-missing}" \
			"$(cat "$TMP/hk.out")"
	fi
done
# no capability of the hook beyond the container's bounding set
hb=$(field CapBnd "$TMP/hk-sh/hook.status")
he=$(field CapEff "$TMP/hk-sh/hook.status")
cb=$(field CapBnd "$TMP/hk-sh/proc.status")
if [ -n "$hb" ] && [ -n "$cb" ] && [ $((0x$he & ~0x$cb)) = 0 ] && [ $((0x$hb & ~0x$cb)) = 0 ]; then
	ok "startContainer hook: no capability beyond the container's (no CAP_SYS_ADMIN, CAP_SYS_MODULE)"
else
	notok "startContainer hook: no capability beyond the container's (no CAP_SYS_ADMIN, CAP_SYS_MODULE)" \
		"hook CapEff=$he CapBnd=$hb, container CapBnd=$cb"
fi
finish
