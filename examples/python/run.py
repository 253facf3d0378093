#!/usr/bin/env python3
"""run.py BUNDLE [ARG...]: run a container through the Python binding
(bindings/python, `pip install ./bindings/python`) and print its output and
exit code.  Without ARGs it runs `echo hello from python`.  Set
CTR_STATE_ROOT to use another state root than the default."""
import os
import sys
import tempfile

import ctr


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    bundle = sys.argv[1]
    args = sys.argv[2:] or ["echo", "hello from python"]
    print("libctr", ctr.version())
    try:
        with ctr.Context(os.environ.get("CTR_STATE_ROOT")) as ctx, \
                ctr.Spec.load(os.path.join(bundle, "config.json")) as spec, \
                tempfile.TemporaryFile() as out:
            spec.set_args(args)
            status = ctx.run("python-example-%d" % os.getpid(), spec, bundle, stdout=out, stderr=out)
            out.seek(0)
            output = out.read().decode(errors="replace")
    except ctr.CtrError as e:
        print("error (%s, errno %d): %s" % (e.code_name, e.errno, e), file=sys.stderr)
        return 1
    print("output: %s" % output.rstrip("\n"))
    print("exit code: %d" % status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
