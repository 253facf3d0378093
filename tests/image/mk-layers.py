#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the layer-extraction test corpus: hostile archives and positive cases.

    mk-layers.py OUTDIR OUTSIDE TAG

OUTSIDE is the absolute path of a sentinel tree next to the extraction root
that hostile entries aim at; TAG makes the absolute escape names unique
(/ctr-escape-TAG, /tmp/ctr-escape-TAG, /etc/ctr-escape-TAG).  OUTDIR gets
one archive per case and hostile.txt, one case a line:

    name|opts|expect|layer[,layer...]

expect is "ok" (must succeed and stay contained) or "fail:<text the error
must contain>".  opts: "-" or a comma list of unprivileged,overlay,max=N.
"""
import gzip
import io
import os
import sys
import tarfile

out, outside, tag = sys.argv[1], sys.argv[2], sys.argv[3]
os.makedirs(out, exist_ok=True)
cases = []


def ti(name, typ=tarfile.REGTYPE, data=b"", **kw):
    t = tarfile.TarInfo(name)
    t.type = typ
    t.mode = kw.pop("mode", 0o755 if typ == tarfile.DIRTYPE else 0o644)
    t.mtime = kw.pop("mtime", 1000000000)
    for k, v in kw.items():
        setattr(t, k, v)
    if typ == tarfile.REGTYPE:
        t.size = len(data)
    return t, data


def write_tar(path, members, fmt=tarfile.PAX_FORMAT, compress=None):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for t, data in members:
            tf.addfile(t, io.BytesIO(data) if t.type == tarfile.REGTYPE else None)
    raw = buf.getvalue()
    if compress == "gz":
        raw = gzip.compress(raw, mtime=0)
    with open(os.path.join(out, path), "wb") as f:
        f.write(raw)
    return raw


def raw_header(name, size=0, typ=b"0", linkname=b"", mode=0o644, good_sum=True):
    h = bytearray(512)
    h[0 : len(name)] = name
    h[100:108] = b"%07o\0" % mode
    h[108:116] = b"0000000\0"
    h[116:124] = b"0000000\0"
    h[124:136] = b"%011o\0" % size
    h[136:148] = b"%011o\0" % 1000000000
    h[148:156] = b" " * 8
    h[156:157] = typ
    h[157 : 157 + len(linkname)] = linkname
    h[257:265] = b"ustar\x0000"
    s = sum(h)
    if not good_sum:
        s += 1
    h[148:156] = b"%06o\0 " % s
    return bytes(h)


def case(name, members=None, expect="ok", opts="-", layers=None, raw=None, compress=None):
    files = []
    if layers is None:
        layers = [members]
    for i, m in enumerate(layers):
        fn = "%s.%d.tar" % (name, i)
        if raw is not None:
            with open(os.path.join(out, fn), "wb") as f:
                f.write(raw)
        else:
            write_tar(fn, m, compress=compress)
        files.append(fn)
    cases.append("%s|%s|%s|%s" % (name, opts, expect, ",".join(files)))


esc = "ctr-escape-" + tag
D, L, S = tarfile.DIRTYPE, tarfile.LNKTYPE, tarfile.SYMTYPE

# --- hostile: paths ---
case("abs-path", [ti("/" + esc, data=b"pwned"), ti("/etc/" + esc, data=b"pwned"), ti("/tmp/" + esc, data=b"pwned")])
case("dotdot", [ti("../../../../../../../../tmp/" + esc, data=b"pwned"), ti("a/../../outside/pwned", data=b"pwned"),
                ti("../" + os.path.basename(outside) + "/pwned", data=b"x")])
case("abs-outside", [ti(outside + "/pwned", data=b"pwned")])
# a symlink to the outside, then a file through it
case("symlink-then-file", [ti("esc", S, linkname=outside), ti("esc/pwned", data=b"pwned"),
                           ti("rel", S, linkname="../../../../../../../" + outside), ti("rel/pwned2", data=b"x")])
case("symlink-to-root", [ti("rootlink", S, linkname="/"), ti("rootlink/" + esc, data=b"pwned"),
                         ti("rootlink/tmp/" + esc, data=b"pwned"), ti("rootlink/etc/" + esc, data=b"pwned")])
case("slash-dot-symlink", [ti("dot", S, linkname="/."), ti("dot/etc/" + esc, data=b"pwned"),
                           ti("dotdot", S, linkname="/.."), ti("dotdot/tmp/" + esc, data=b"pwned")])
case("symlink-outside-dir", [ti("d", S, linkname=outside), ti("d/secret", data=b"overwritten")])
# hardlinks to the host's files
case("hardlink-shadow", [ti("shadow", L, linkname="/etc/shadow"), ti("shadow", data=b"pwned")],
     expect="fail:hardlink target")
case("hardlink-dotdot", [ti("h", L, linkname="../../../../../../../../etc/shadow")], expect="fail:hardlink target")
case("hardlink-via-symlink-dir", [ti("d", S, linkname=outside), ti("h", L, linkname="d/secret"),
                                  ti("h", data=b"pwned")], expect="fail:hardlink target")
case("hardlink-to-escaping-symlink", [ti("s", S, linkname=outside + "/secret"), ti("h", L, linkname="s"),
                                      ti("h2/x", data=b"x")])
case("hardlink-to-dir", [ti("dd", D), ti("h", L, linkname="dd")], expect="fail:hardlink target")
# replaced symlinks: a later entry or a later layer writes where a symlink was
case("symlink-replaced-same-layer", [ti("y", S, linkname=outside + "/secret"), ti("y", data=b"pwned")])
case("symlink-replaced-later-layer", layers=[[ti("x", S, linkname=outside + "/secret")], [ti("x", data=b"pwned")]])
case("dir-later-symlink", [ti("d", D), ti("d/a", data=b"a"), ti("d", S, linkname=outside), ti("d/secret", data=b"pwned")])
case("dir-symlink-later-layer", layers=[[ti("d", S, linkname=outside)], [ti("d/secret", data=b"pwned"),
                                                                         ti("d/new", data=b"pwned")]])
# whiteouts aimed outside
case("whiteout-dotdot", [ti("../../outside/.wh.secret"), ti("a/../../.wh." + os.path.basename(outside))])
case("whiteout-symlinked-dir", layers=[[ti("d", S, linkname=outside)], [ti("d/.wh.secret"), ti("d/.wh..wh..opq")]])
case("whiteout-names-nothing", [ti("a/.wh..."), ti("b")], expect="fail:names no file")
case("whiteout-overlay-symlinked-dir", opts="overlay",
     layers=[[ti("d", S, linkname=outside), ti("d/.wh.secret"), ti("d/.wh..wh..opq")]])
# device nodes as an unprivileged caller
case("device-unprivileged", [ti("null", tarfile.CHRTYPE, devmajor=1, devminor=3)], opts="unprivileged",
     expect="fail:needs root")
# forged overlay metadata from the archive is dropped
case("forged-overlay-xattr", [ti("o", D, pax_headers={"SCHILY.xattr.trusted.overlay.opaque": "y"})])

# --- hostile: malformed archives ---
good = write_tar("_good.tar", [ti("a", D), ti("a/f", data=b"x" * 3000), ti("a/g", data=b"y" * 100)],
                 fmt=tarfile.USTAR_FORMAT)
case("truncated", raw=good[:512 + 1024], expect="fail:runcated")
case("truncated-header", raw=good[:512 + 3072 + 100], expect="fail:runcated")
case("no-eof-blocks", raw=good[:512 * 3 + 3072 + 512], expect="fail:end-of-archive")
bad = bytearray(good)
bad[1024 + 3072 + 5] ^= 0x20  # a name byte of the third header: its checksum no longer matches
case("bad-checksum", raw=bytes(bad), expect="fail:a/")
bad0 = bytearray(good)
bad0[3] ^= 0x20
case("bad-checksum-first", raw=bytes(bad0), expect="fail:not a tar archive")
case("unknown-type", raw=raw_header(b"weird", size=0, typ=b"Z") + b"\0" * 1024, expect="fail:unknown tar entry type")
case("huge-size", raw=raw_header(b"big", size=8 * 1024**3) + b"z" * 4096, expect="fail:runcated")
case("size-mismatch", raw=raw_header(b"f", size=5000) + b"q" * 1024 + b"\0" * 1024, expect="fail:")
case("trailing-garbage", raw=good + b"garbage!" + b"\0" * 504, expect="fail:trailing data")
case("long-name", [ti("d/" + "n" * 300, data=b"x")], expect="fail:name too long")
case("long-path", [ti("/".join(["p" * 200] * 25), data=b"x")], expect="fail:name too long")
case("hardlink-self", [ti("f", data=b"x"), ti("g", L, linkname="g")], expect="fail:hardlink")
case("root-as-symlink", [ti(".", S, linkname="x")], expect="fail:root directory")
case("empty-blob", raw=b"", expect="fail:not a tar archive")

# a decompression bomb: 64 MiB of zeros in a small gzip; the limit is 16 MiB
with gzip.GzipFile(os.path.join(out, "bomb.0.tar"), "wb", compresslevel=6, mtime=0) as gz:
    with tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tf:
        t = tarfile.TarInfo("zeros")
        t.size = 64 << 20

        class Zeros:
            def read(self, n=-1):
                return bytes(n if n >= 0 else 0)

        tf.addfile(t, Zeros())
cases.append("bomb|max=16777216|fail:exceeds the limit|bomb.0.tar")
# the same through the stream limit: 64 MiB of zero padding after a small tar
with gzip.GzipFile(os.path.join(out, "bomb-padding.0.tar"), "wb", compresslevel=6, mtime=0) as gz:
    gz.write(good)
    for i in range(64):
        gz.write(bytes(1 << 20))
cases.append("bomb-padding|max=16777216|fail:exceeds the limit|bomb-padding.0.tar")

with open(os.path.join(out, "hostile.txt"), "w") as f:
    f.write("\n".join(cases) + "\n")

# --- positive cases ---
# every entry type, ownership, special modes, xattrs and times
cap = bytes.fromhex("0100000200200000000000000000000000000000")  # VFS_CAP_REVISION_2, cap_net_raw permitted, effective
write_tar("types.tar", [
    ti("./", D, mode=0o755, mtime=1111111111),
    ti("dir", D, mode=0o2775, uid=1234, gid=5678, mtime=1000000001),
    ti("dir/file", data=b"content\n", mode=0o640, uid=1234, gid=5678, mtime=1000000002,
       pax_headers={"atime": "1000000003.5", "SCHILY.xattr.user.test": "hello"}),
    ti("dir/suid", data=b"#!/bin/sh\n", mode=0o4755, uid=0, gid=0),
    ti("dir/sgid", data=b"x", mode=0o2711, uid=10, gid=20),
    ti("dir/cap", data=b"ping", mode=0o755, uid=0, gid=0,
       pax_headers={"SCHILY.xattr.security.capability": cap.decode("latin-1")}),
    ti("sticky", D, mode=0o1777),
    ti("dir/link", S, linkname="file", uid=1234, gid=5678, mtime=1000000004,
       pax_headers={"SCHILY.xattr.trusted.ctr-test": "on-a-symlink"}),
    ti("dir/hard", L, linkname="dir/file"),
    ti("dir/fifo", tarfile.FIFOTYPE, mode=0o600, uid=7, gid=8, pax_headers={"SCHILY.xattr.trusted.ctr-test": "fifo"}),
    ti("dir/null", tarfile.CHRTYPE, devmajor=1, devminor=3, mode=0o666),
    ti("dir/loop", tarfile.BLKTYPE, devmajor=7, devminor=0, mode=0o660),
    ti("implicit/parent/file", data=b"deep"),
    ti("dir/empty", data=b""),
    ti("replace", data=b"first"),
    ti("replace", data=b"second"),
    ti("dir2", D, mode=0o555, mtime=1000000005),
    ti("dir2/inside", data=b"i"),
])
# layers for the whiteout tests
write_tar("lower.tar", [
    ti("a", D), ti("a/keep", data=b"k"), ti("a/gone", data=b"g"),
    ti("b", D), ti("b/x", D), ti("b/x/y", data=b"y"),
    ti("c", D), ti("c/old", data=b"o"), ti("c/olddir", D), ti("c/olddir/f", data=b"f"), ti("c/kept", D),
    ti("c/kept/lowerf", data=b"l"),
    ti("e", data=b"lower-e"),
    ti("f", D), ti("f/lower", data=b"l"),
])
write_tar("upper.tar", [
    ti("a/.wh.gone"),
    ti(".wh.b"),
    ti("c/.wh..wh..opq"),
    ti("c/new", data=b"n"),
    ti("c/kept", D), ti("c/kept/upperf", data=b"u"),
    ti("e", data=b"upper-e"), ti(".wh.e"),
    ti(".wh.f"), ti("f/upper", data=b"u"),
    ti(".wh.nothing-there"),
    ti("a/.wh..wh.plnk"),
])
# sparse file (GNU tar writes the sparse map; pax 1.0)
sp = os.path.join(out, "_sparse")
with open(sp, "wb") as f:
    f.truncate(8 << 20)
    f.seek(4 << 20)
    f.write(b"middle")
    f.seek((8 << 20) - 3)
    f.write(b"end")
os.system("tar --sparse --format=pax -C '%s' -cf '%s' _sparse" % (out, os.path.join(out, "sparse.tar")))
os.unlink(sp)
# a gzip file of two members (pigz/bgzip style), and zstd
with open(os.path.join(out, "types.tar"), "rb") as f:
    t = f.read()
with open(os.path.join(out, "multi.tar.gz"), "wb") as f:
    f.write(gzip.compress(t[:7000], mtime=0) + gzip.compress(t[7000:], mtime=0))
with open(os.path.join(out, "types.tar.gz"), "wb") as f:
    f.write(gzip.compress(t, mtime=0))
os.system("zstd -q -f '%s' -o '%s'" % (os.path.join(out, "types.tar"), os.path.join(out, "types.tar.zst")))

# --- ordering under the writer threads: each case is applied serially and
# with writers, and the trees must be identical (test_writers) ---
order = []


def pattern(n, seed):
    """n bytes where every 4 KiB block names its file and its place: a misplaced chunk shows."""
    blocks = (n + 4095) // 4096
    return b"".join((b"%s:%010d:" % (seed, i)).ljust(4096, b".") for i in range(blocks))[:n]


def ocase(name, layers, expect="ok"):
    files = []
    for i, m in enumerate(layers):
        if isinstance(m, str):
            files.append(m)
            continue
        fn = "order-%s.%d.tar" % (name, i)
        write_tar(fn, m)
        files.append(fn)
    order.append("%s|%s|%s" % (name, expect, ",".join(files)))


MiB = 1 << 20
ocase("dup-small", [[ti("a", data=b"1"), ti("a", data=b"22"), ti("a", data=b"333")]])
ocase("dup-big", [[ti("b", data=pattern(3 * MiB, b"b1")), ti("b", data=pattern(5 * MiB // 2, b"b2")),
                   ti("b2", data=b"after")]])
ocase("big-then-small", [[ti("c", data=pattern(3 * MiB, b"c")), ti("c", data=b"small")]])
ocase("small-then-big", [[ti("c", data=b"small"), ti("c", data=pattern(3 * MiB, b"c"))]])
ocase("chunk-edges", [[ti("e/1m", data=pattern(MiB, b"e1")), ti("e/1m+1", data=pattern(MiB + 1, b"e2")),
                       ti("e/2m", data=pattern(2 * MiB, b"e3")), ti("e/2m-1", data=pattern(2 * MiB - 1, b"e4")),
                       ti("e/empty", data=b"")]])
ocase("file-to-dir", [[ti("p", data=b"x"), ti("p", D, mtime=1000000007), ti("p/q", data=b"q")]])
ocase("file-to-symlink", [[ti("s", data=b"x"), ti("s", S, linkname="t"), ti("t", data=b"t")]])
ocase("symlink-to-file", [[ti("s2", S, linkname="t2"), ti("t2", data=b"t"), ti("s2", data=b"own")]])
ocase("implicit-parents", [[ti("i/f1", data=b"1"), ti("i/sub/f2", data=b"2"), ti("j/k/l/m", data=b"m")]])
ocase("file-under-file", [[ti("ff", data=b"x"), ti("ff/g", data=b"y")]])
ocase("hardlinks", [[ti("h", D), ti("h/f", data=b"data"), ti("h/l", L, linkname="h/f"),
                     ti("h/big", data=pattern(2 * MiB + 5, b"hb")), ti("h/bl", L, linkname="h/big"),
                     ti("h/f", data=b"new"), ti("h/l2", L, linkname="h/l")]])
ocase("setgid-late", [[ti("g/c1", data=b"1", uid=5, gid=6), ti("g", D, mode=0o2775, uid=5, gid=6, mtime=1000000008),
                       ti("g/c2", data=b"2")]])
ocase("dir-to-file", [[ti("d", D), ti("d/x", data=b"x"), ti("d/y", data=pattern(2 * MiB, b"dy")),
                       ti("d", data=b"file")]])
ocase("xattr-after-queued", [[ti("x", data=b"q"), ti("x", data=b"xa", pax_headers={"SCHILY.xattr.user.t": "v"}),
                              ti("x2", data=b"xa", pax_headers={"SCHILY.xattr.user.t": "v"}), ti("x2", data=b"plain")]])
many = []
for d in range(30):
    many.append(ti("m%02d" % d, D, mtime=1000000100 + d))
    for f in range(100):
        many.append(ti("m%02d/f%03d" % (d, f), data=(b"%d/%d;" % (d, f)) * ((d * 100 + f) % 1500),
                       mode=0o600 + (f % 8), mtime=1000000200 + f))
ocase("many-small", [many])
ocase("over-budget", [[ti("huge", data=pattern(20 * MiB, b"hu")), ti("after1", data=b"1"),
                       ti("huge2", data=pattern(17 * MiB + 3, b"h2")), ti("after2", data=b"2")]])
ocase("lower-dir-upper-file", [
    [ti("L", D), ti("L/f", data=b"f"), ti("M", D), ti("M/a", data=b"a"), ti("N", D), ti("N/old", data=b"o"),
     ti("w", D), ti("w/old", data=b"o"), ti("w/big", data=pattern(2 * MiB, b"wb"))],
    [ti("L", data=b"now a file"), ti("M/.wh.a"), ti("M/b", data=b"b"), ti("N", data=b"n"), ti("N/z", data=b"z"),
     ti("w/new", data=b"n"), ti("w/.wh..wh..opq"), ti("w/big", data=pattern(MiB + 7, b"wB"))]])
ocase("fail-after-queued", [[ti("q%02d" % i, data=b"q" * i) for i in range(50)] +
                             [ti("qbig", data=pattern(2 * MiB, b"qb")), ti("bad", L, linkname="nope")]],
      expect="fail:hardlink target")
ocase("types", ["types.tar"])
ocase("whiteouts", ["lower.tar", "upper.tar"])
ocase("sparse", ["sparse.tar"])
with open(os.path.join(out, "order.txt"), "w") as f:
    f.write("\n".join(order) + "\n")

# --- a full disk under the writers: the error names the entry (test_writers_enospc) ---
write_tar("enospc-big.tar", [ti("big", D), ti("big/file", data=pattern(3 * MiB, b"nb"))])
write_tar("enospc-small.tar", [ti("small", D)] +
          [ti("small/f%02d" % i, data=pattern(64 * 1024, b"ns")) for i in range(48)])

# --- every byte where it belongs (test_content): writer jobs hold the decoded
# buffers (1 MiB) instead of copying them, so files that start, end or cross a
# buffer boundary, small files whose data comes in two or three pieces, large
# files in many jobs, with random (incompressible) and repetitive data, so
# the compressed input and the decoded output fall out of step; content.txt
# lists each file's sha256 and size ---
import hashlib  # noqa: E402
import random  # noqa: E402

rng = random.Random(16)
content = [ti("c", D), ti("c/sub", D)]
sizes = [0, 1, 511, 512, 513, 4095, 4096, MiB - 1, MiB, MiB + 1, 2 * MiB - 513, 3 * MiB + 7, 5 * MiB + 1]
sizes += [rng.randrange(1, 120000) for _ in range(160)] + [rng.randrange(MiB - 4096, MiB + 4096) for _ in range(4)]
rng.shuffle(sizes)
for i, n in enumerate(sizes):
    kind = i % 3
    if kind == 0:
        data = rng.randbytes(n)  # incompressible
    elif kind == 1:
        data = pattern(n, b"c%03d" % i)
    else:
        data = (rng.randbytes(97) * (n // 97 + 1))[:n]
    content.append(ti("c/%s%03d" % ("sub/" if i % 4 == 0 else "", i), data=data, mode=0o600 + (i % 64)))
raw = write_tar("content.tar", content)
with open(os.path.join(out, "content.tar.gz"), "wb") as f:
    f.write(gzip.compress(raw, compresslevel=1, mtime=0))
os.system("zstd -q -f '%s' -o '%s'" % (os.path.join(out, "content.tar"), os.path.join(out, "content.tar.zst")))
with open(os.path.join(out, "content.txt"), "w") as f:
    for t, data in content:
        if t.type == tarfile.REGTYPE:
            f.write("%s %s %d\n" % (t.name, hashlib.sha256(data).hexdigest(), len(data)))
