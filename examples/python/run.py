#!/usr/bin/env python3
"""run.py BUNDLE [ARG...]: run a container through the ctypes binding and
print its output and exit code.  Without ARGs it runs `echo hello from python`.
Set CTR_STATE_ROOT to use another state root than /run/ctr."""
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ctr  # noqa: E402


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    bundle = sys.argv[1]
    args = sys.argv[2:] or ["echo", "hello from python"]
    print("libctr", ctr.version())
    try:
        with ctr.Context(os.environ.get("CTR_STATE_ROOT")) as ctx:
            spec = ctr.Spec.load(os.path.join(bundle, "config.json"))
            spec.set_args(args)
            with tempfile.TemporaryFile() as out:
                status = ctx.run("python-example-%d" % os.getpid(), spec, bundle,
                                 stdout_fd=out.fileno(), stderr_fd=out.fileno())
                out.seek(0)
                output = out.read().decode(errors="replace")
            spec.close()
    except ctr.CtrError as e:
        print("error (%s, errno %d): %s" % (e.code_name, e.errno, e), file=sys.stderr)
        return 1
    print("output: %s" % output.rstrip("\n"))
    print("exit code: %d" % status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
