#!/usr/bin/env python3
"""runstat.py [--threads] [--interval S] -- CMD...: run CMD, then print one line
    WALL_MS USER_MS SYS_MS MAXRSS_KIB EXIT
(wall clock, CPU of CMD and of the descendants it waited for, and the largest
resident set among them: wait4's ru_maxrss).  With --threads, CMD's threads are
sampled from /proc/PID/task/*/stat every --interval seconds (default 0.02) and,
after the line above, one line per thread name follows:
    thread NAME COUNT CPU_MS
(the CPU of threads of that name, summed; a thread's last sample is at most one
interval before it ended, so short-lived threads are under-counted by that much).
CMD's standard output goes to /dev/null.  Used by tests/bench/unpack.sh.
"""
import os
import sys
import time


def main():
    args = sys.argv[1:]
    threads = False
    interval = 0.02
    while args and args[0] != "--":
        if args[0] == "--threads":
            threads = True
        elif args[0] == "--interval":
            interval = float(args[1])
            args = args[1:]
        else:
            sys.exit("runstat.py: unknown argument %r" % args[0])
        args = args[1:]
    if not args or len(args) < 2:
        sys.exit("usage: runstat.py [--threads] [--interval S] -- CMD...")
    cmd = args[1:]
    tick = os.sysconf("SC_CLK_TCK")
    t0 = time.monotonic()
    pid = os.fork()
    if pid == 0:
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    seen = {}  # tid -> (comm, ticks)
    while True:
        if threads:
            try:
                tids = os.listdir("/proc/%d/task" % pid)
            except OSError:
                tids = []
            for tid in tids:
                try:
                    with open("/proc/%d/task/%s/stat" % (pid, tid)) as f:
                        st = f.read()
                except OSError:
                    continue
                comm = st[st.index("(") + 1:st.rindex(")")]
                fields = st[st.rindex(")") + 2:].split()
                # fields[0] is the state (stat field 3): utime and stime are fields 14 and 15
                if fields[0] == "Z":
                    continue
                seen[int(tid)] = (comm, int(fields[11]) + int(fields[12]))
        wpid, status, ru = os.wait4(pid, os.WNOHANG if threads else 0)
        if wpid == pid:
            break
        time.sleep(interval)
    wall = time.monotonic() - t0
    code = os.waitstatus_to_exitcode(status)
    print("%d %d %d %d %d" % (wall * 1000, ru.ru_utime * 1000, ru.ru_stime * 1000, ru.ru_maxrss, code))
    if threads:
        groups = {}
        for tid, (comm, ticks) in sorted(seen.items()):
            n, t = groups.get(comm, (0, 0))
            groups[comm] = (n + 1, t + ticks)
        for comm, (n, t) in sorted(groups.items(), key=lambda kv: -kv[1][1]):
            print("thread %s %d %d" % (comm.replace(" ", "_"), n, t * 1000 // tick))
    return 0 if code == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
