#!/usr/bin/env python3
"""check-env.py SOURCE_ROOT LIBCTR_SO  (TAP)

The environment variables the library reads are exactly the ones
include/ctr/ctr.h lists, none is a CTR_* switch, and the built library
carries no test hook: no CTR_DEBUG/CTR_TEST string, no ctr_test_* symbol
in its dynamic symbols or relocations (test hooks are weak hidden symbols
that only test programs linking the internal archive define); and it
imports secure_getenv, never getenv.
"""
import glob
import os
import re
import subprocess
import sys


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    return re.sub(r"//[^\n]*", " ", text)


def main():
    src, lib = sys.argv[1], sys.argv[2]
    n = 0
    failed = False

    def result(ok, name, diag=()):
        nonlocal n, failed
        n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
        for d in diag:
            print("#   " + d)
        failed |= not ok

    names, dynamic = {}, []
    for path in sorted(glob.glob(os.path.join(src, "lib", "**", "*.c"), recursive=True)):
        rel = os.path.relpath(path, src)
        text = strip_comments(open(path).read())
        for m in re.finditer(r"\b(?:secure_)?getenv\s*\(\s*([^)]*)\)", text):
            arg = m.group(1).strip()
            lit = re.fullmatch(r'"([A-Za-z_][A-Za-z0-9_]*)"', arg)
            if lit:
                names.setdefault(lit.group(1), rel)
            else:
                dynamic.append("%s: getenv(%s)" % (rel, arg))
    result(not dynamic, "every variable the library reads is named literally", dynamic)
    header = open(os.path.join(src, "include", "ctr", "ctr.h")).read()
    env_doc = header[header.find("@section env"):]
    env_doc = env_doc[:env_doc.find("*/")]
    undocumented = sorted("%s (%s)" % (v, f) for v, f in names.items() if "`%s`" % v not in env_doc)
    result(names and not undocumented, "the variables the library reads are listed in ctr/ctr.h (%s)" %
           ", ".join(sorted(names)), ["read but not listed: " + u for u in undocumented])
    switches = sorted("%s (%s)" % (v, f) for v, f in names.items() if v.startswith("CTR_"))
    result(not switches, "no CTR_* switch is read by the library",
           ["%s: test hooks go in test programs (see tests/net/test-hooks.c)" % s for s in switches])

    data = open(lib, "rb").read()
    found = sorted(set(m.group(0).decode() for m in re.finditer(rb"CTR_(?:DEBUG|TEST)[A-Z0-9_]*", data)))
    result(not found, "libctr.so holds no CTR_DEBUG/CTR_TEST name", found)
    out = subprocess.run(["readelf", "-W", "--dyn-syms", "-r", lib], check=True,
                         capture_output=True, text=True).stdout
    hooks = sorted(set(re.findall(r"\bctr_test_\w+", out)))
    result(not hooks, "libctr.so neither exports nor imports a ctr_test_* hook", hooks)
    # the library's own objects (libarchive.a, linked in, has a getenv("TMPDIR") for its writers'
    # temporary files, which a tar reader never calls)
    own = os.path.join(os.path.dirname(lib), "libctr-internal.a")
    if os.path.exists(own):
        syms = subprocess.run(["nm", "-A", own], check=True, capture_output=True, text=True).stdout
        plain = sorted(set(l.split(":")[1] for l in syms.splitlines() if re.search(r"\sU getenv$", l)))
        result(not plain, "libctr's code reads the environment only with secure_getenv (a set-id "
               "embedder's caller sets none of it)", ["getenv in " + p for p in plain])
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
