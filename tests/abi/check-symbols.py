#!/usr/bin/env python3
"""check-symbols.py LIBCTR_SO INCLUDE_DIR  (TAP)

Every dynamic symbol libctr.so defines starts with ctr_ and is declared in an
include/ctr header; every function the headers declare is exported, under a
default version (name@@LIBCTR_x.y); a name the headers define inline (the
0.1 _init() functions) is exported only under a non-default version of an
earlier release (name@LIBCTR_x.y, lib/compat.c), for old binaries.
"""
import glob
import os
import re
import subprocess
import sys


def header_functions(incdir):
    decl = {}
    for h in sorted(glob.glob(os.path.join(incdir, "ctr", "*.h"))):
        text = open(h).read()
        text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
        text = re.sub(r"//[^\n]*", " ", text)
        text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)
        # a declaration: name followed by "(", not "(*name)" and not a call in a macro
        for m in re.finditer(r"\b(ctr_\w+)\s*\(", text):
            if re.search(r"\(\s*\*\s*$", text[:m.start()]):  # (*ctr_log_fn)(...): a function pointer type
                continue
            decl.setdefault(m.group(1), os.path.basename(h))
        inline = set(re.findall(r"\bstatic\s+inline\s+[^;{(]*?\b(ctr_\w+)\s*\(", text))
        for name in inline:
            decl[name] = "inline"
    return decl


def exported(lib):
    """{name: (default_version or None, [non-default versions])}"""
    out = subprocess.run(["nm", "-D", "--defined-only", lib], check=True,
                         capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 3 or parts[1] == "A":  # "A": version nodes such as LIBCTR_0.1
            continue
        sym = parts[2]
        if "@@" in sym:
            name, ver = sym.split("@@", 1)
            syms.setdefault(name, [None, []])[0] = ver
        elif "@" in sym:
            name, ver = sym.split("@", 1)
            syms.setdefault(name, [None, []])[1].append(ver)
        else:
            syms.setdefault(sym, [None, []])[0] = ""
    return syms


def main():
    lib, incdir = sys.argv[1], sys.argv[2]
    decl = header_functions(incdir)
    syms = exported(lib)
    n = 0
    failed = False

    def result(ok, name, diag=()):
        nonlocal n, failed
        n += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, name))
        for d in diag:
            print("#   " + d)
        failed |= not ok

    result(len(syms) > 0, "libctr.so exports symbols (%d)" % len(syms))
    result(len(decl) > 0, "the headers declare functions (%d)" % len(decl))
    bad_prefix = sorted(s for s in syms if not s.startswith("ctr_"))
    result(not bad_prefix, "every exported symbol starts with ctr_", bad_prefix)
    undeclared = sorted(s for s in syms if s.startswith("ctr_") and s not in decl)
    result(not undeclared, "every exported symbol is declared in include/ctr",
           ["exported but not declared: " + s for s in undeclared])
    missing = sorted(f for f in decl if decl[f] != "inline" and f not in syms)
    result(not missing, "every function declared in include/ctr is exported",
           ["declared in %s but not exported (add it to lib/libctr.sym): %s" % (decl[f], f) for f in missing])
    unversioned = sorted(s for s, (d, old) in syms.items() if d == "")
    result(not unversioned, "every exported symbol has a version node",
           ["no version: " + s for s in unversioned])
    nondefault = sorted(f for f in decl if decl[f] != "inline" and f in syms and not syms[f][0])
    result(not nondefault, "every function the headers declare has a default version (name@@LIBCTR_x.y)",
           ["only old versions: %s@%s" % (f, ",".join(syms[f][1])) for f in nondefault])
    inline_exported = sorted(f for f in decl if decl[f] == "inline" and f in syms and syms[f][0] is not None)
    result(not inline_exported,
           "a name the headers define inline is exported only as an old release's non-default version",
           ["%s@@%s: new programs would call the library's, not the header's" % (f, syms[f][0])
            for f in inline_exported])
    print("1..%d" % n)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
