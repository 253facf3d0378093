#!/usr/bin/env python3
"""mk-big-files-layer.py [--total MIB] [--seed N]: write an uncompressed tar to stdout
shaped like a CUDA / ML runtime layer: few large shared-object-like files
(30-200 MiB each, about --total MiB in all, default 1600) plus the small files
and version symlinks around them (headers, a few tools, libfoo.so ->
libfoo.so.12 -> libfoo.so.12.4.127).

The content is deterministic (seeded) and mixes, per 256 KiB run, incompressible
bytes (like the compressed fatbins / kernels in real CUDA libraries), low-entropy
bytes (code and tables: gzip gets them to about half) and zero-filled runs
(padding, .bss-like sections), so that gzip -6 leaves about 60% of the size.
Used by tests/bench/unpack.sh.
"""
import argparse
import io
import random
import sys
import tarfile

RUN = 256 * 1024


class Content:
    """A readable stream of `size` bytes generated run by run."""

    def __init__(self, rng, size, table):
        self.rng = rng
        self.left = size
        self.table = table
        self.pending = b""

    def _run(self):
        n = min(RUN, self.left)
        pick = self.rng.random()
        if pick < 0.35:
            data = self.rng.randbytes(n)  # incompressible
        elif pick < 0.80:
            data = self.rng.randbytes(n).translate(self.table)  # 16 symbols: ~4 bits a byte
        else:
            data = bytes(n)  # padding
        self.left -= n
        return data

    def read(self, n):
        out = []
        want = n
        got = 0
        while got < want and (self.pending or self.left):
            if not self.pending:
                self.pending = self._run()
            take = self.pending[: want - got]
            self.pending = self.pending[len(take):]
            out.append(take)
            got += len(take)
        return b"".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--total", type=int, default=1600, help="MiB of large files (default 1600)")
    ap.add_argument("--seed", type=int, default=12)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    alphabet = bytes(rng.sample(range(256), 16))
    table = bytes(alphabet[i % 16] for i in range(256))
    hdr = bytes(b"abcdefghij_ ;{}()\n"[i % 18] for i in range(256))

    # Sizes: 30-200 MiB each until the total is reached (the last one trimmed, at least 30).
    sizes = []
    left = a.total
    while left > 0:
        s = min(rng.randint(30, 200), left)
        if left - s < 30 and left - s > 0:
            s = left
        sizes.append(s)
        left -= s

    names = ["cublasLt", "cublas", "cudnn_engines_precompiled", "cudnn_adv", "cudnn_ops", "cufft",
             "cusparse", "cusolver", "curand", "nccl", "nvrtc", "nvjitlink", "cupti", "npp", "nvjpeg",
             "torch_cuda", "torch_cpu", "triton", "cudart", "nvToolsExt", "cufile", "cusolverMg",
             "nvblas", "caffe2_nvrtc", "flash_attn", "xformers", "cutlass", "tensorrt", "nvinfer",
             "nvonnxparser", "cudnn_cnn", "cudnn_graph", "cudnn_heuristic", "nppc", "nppig", "nppial",
             "nvptxcompiler", "accinj64", "cuinj64", "nvperf_host"]
    tf = tarfile.open(fileobj=sys.stdout.buffer, mode="w|", format=tarfile.PAX_FORMAT)

    def add_dir(path):
        ti = tarfile.TarInfo(path)
        ti.type = tarfile.DIRTYPE
        ti.mode = 0o755
        ti.mtime = 1700000000
        tf.addfile(ti)

    def add_file(path, size, mode=0o644, data=None):
        ti = tarfile.TarInfo(path)
        ti.size = size
        ti.mode = mode
        ti.mtime = 1700000000
        tf.addfile(ti, io.BytesIO(data) if data is not None else Content(rng, size, table))

    def add_link(path, target):
        ti = tarfile.TarInfo(path)
        ti.type = tarfile.SYMTYPE
        ti.linkname = target
        ti.mtime = 1700000000
        tf.addfile(ti)

    for d in ("usr", "usr/local", "usr/local/cuda-12.4", "usr/local/cuda-12.4/lib64", "usr/local/cuda-12.4/include",
              "usr/local/cuda-12.4/bin", "usr/local/cuda-12.4/share", "usr/local/cuda-12.4/share/doc"):
        add_dir(d)
    add_link("usr/local/cuda", "cuda-12.4")
    lib = "usr/local/cuda-12.4/lib64"
    for i, mib in enumerate(sizes):
        base = "lib%s.so" % names[i % len(names)] + ("" if i < len(names) else ".%d" % i)
        full = "%s.12.4.%d" % (base, 99 + i)
        add_file("%s/%s" % (lib, full), mib << 20, 0o755)
        add_link("%s/%s.12" % (lib, base), full)
        add_link("%s/%s" % (lib, base), "%s.12" % base)
    # The small files around them: headers, tools, docs (a few hundred, a few MiB).
    for i in range(400):
        n = rng.randint(200, 40000)
        text = (b"/* generated header %d */\n" % i) + rng.randbytes(n).translate(hdr)
        add_file("usr/local/cuda-12.4/include/cuda_gen_%03d.h" % i, len(text), 0o644, text)
    for i in range(20):
        n = rng.randint(100_000, 2_000_000)
        add_file("usr/local/cuda-12.4/bin/tool%02d" % i, n, 0o755)
    for i in range(40):
        text = b"license text %d\n" % i * rng.randint(10, 500)
        add_file("usr/local/cuda-12.4/share/doc/NOTICE.%02d" % i, len(text), 0o644, text)
    tf.close()


if __name__ == "__main__":
    main()
