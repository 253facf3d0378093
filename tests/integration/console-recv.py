#!/usr/bin/env python3
"""console-recv.py SOCKET OUTFILE [INPUT]

A minimal --console-socket receiver: listens on the AF_UNIX socket SOCKET,
accepts one connection, receives the pty master over SCM_RIGHTS, optionally
writes INPUT to it, and copies everything read from the pty to OUTFILE until
the other side closes (EIO) or 30 s pass.  Prints "ready" on stdout once it
listens and "fd-received" to OUTFILE.meta when the fd arrived.
"""
import array
import os
import select
import socket
import sys
import termios
import time


def main():
    path, outfile = sys.argv[1], sys.argv[2]
    data_in = sys.argv[3].encode() if len(sys.argv) > 3 else None
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(1)
    print("ready", flush=True)
    srv.settimeout(30)
    conn, _ = srv.accept()
    fds = array.array("i")
    msg, anc, _, _ = conn.recvmsg(4096, socket.CMSG_SPACE(fds.itemsize))
    for level, ctype, cdata in anc:
        if level == socket.SOL_SOCKET and ctype == socket.SCM_RIGHTS:
            fds.frombytes(cdata[: len(cdata) - (len(cdata) % fds.itemsize)])
    if not fds:
        with open(outfile + ".meta", "w") as m:
            m.write("no-fd\n")
        return 1
    master = fds[0]
    with open(outfile + ".meta", "w") as m:
        m.write("fd-received isatty=%d\n" % os.isatty(master))
    if data_in is not None:
        os.write(master, data_in)
    deadline = time.time() + 30
    with open(outfile, "wb") as out:
        while time.time() < deadline:
            r, _, _ = select.select([master], [], [], 0.5)
            if not r:
                continue
            try:
                chunk = os.read(master, 4096)
            except OSError:  # EIO: the slave side is closed
                break
            if not chunk:
                break
            out.write(chunk)
            out.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
