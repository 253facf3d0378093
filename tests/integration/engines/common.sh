# Shared by engine-podman.sh and engine-containerd.sh (sourced after lib.sh).

# HOG: a shell command that needs about 80 MB of memory (a shell variable)
HOG='x=$(head -c 80000000 /dev/zero | tr "\0" a); echo survived ${#x}'

# engine_tty NAME CMD: run CMD (an engine's run with a terminal, the image
# last) under script(1) with a line typed in; the container must see a pty on
# its stdio and read the line.
engine_tty() {
	local name=$1 cmd=$2 out
	if ! command -v script >/dev/null; then
		skip "$name" "script(1) is not installed (package bsdutils)"
		return
	fi
	# the line first: the terminal echoes it whenever it arrives, and output written before the read
	# could have that echo cut into it ("stdio-ttytyped-in", seen in the slow pure-v2 guest); once the
	# read returns, the echo is done.  A NUL sometimes reaches the container's terminal after the
	# input (script(1)'s stdin has ended by then), and the terminal echoes it as "^@" into whatever
	# line is being written: "^@stdio-tty" with podman -it, "/dev/pts/0^@" without podman in
	# image-run's -t case, each once in the pure-v2 guest; where it comes from is not found: it is
	# cut out, as the raw NULs are
	out=$(printf 'typed-in\n' | timeout 60 script -qec \
		"$cmd sh -c 'read l; [ -t 0 ] && [ -t 1 ] && echo stdio-tty; tty; echo got=\$l'" /dev/null 2>&1 |
		tr -d '\r\000' | sed 's/\^@//g')
	expect_match "$name: stdin and stdout are the terminal" '^stdio-tty$' "$out"
	expect_match "$name: the terminal is a pty" '^/dev/pts/[0-9]+$' "$out"
	expect_match "$name: input reaches the container" '^got=typed-in$' "$out"
}

# host_cg_file PID CONTROLLER FILE: read FILE of the v1 CONTROLLER cgroup of PID,
# or of its v2 cgroup (pure v2, or the unified hierarchy of a hybrid host)
host_cg_file() {
	local p
	p=$(awk -F: -v c="$2" '$2 == c {print $3}' "/proc/$1/cgroup" 2>/dev/null)
	if [ -n "$p" ] && [ -d "/sys/fs/cgroup/$2" ]; then
		cat "/sys/fs/cgroup/$2$p/$3" 2>&1
	else
		p=$(awk -F: '$1 == "0" {print $3}' "/proc/$1/cgroup")
		if [ -e "/sys/fs/cgroup/unified$p/$3" ]; then cat "/sys/fs/cgroup/unified$p/$3"; else cat "/sys/fs/cgroup$p/$3"; fi 2>&1
	fi
}

# cg_frozen PID: the cgroup freezer holds PID's cgroup frozen, through
# cgroup.events of its v2 cgroup (pure v2, or the unified hierarchy of a hybrid
# host) or a v1 freezer.state
cg_frozen() {
	[ "$(host_cg_file "$1" - cgroup.events | awk '$1 == "frozen" {print $2}')" = 1 ] && return 0
	[ -d /sys/fs/cgroup/freezer ] && [ "$(host_cg_file "$1" freezer freezer.state)" = FROZEN ]
}
