#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Build OCI image layouts for the image tests, hostile ones included.

usage: mkimage.py OUT_DIR SPEC_JSON|@SPEC_FILE

SPEC_JSON:
  {"images": [IMAGE, ...],
   "index": "flat" | "nested"      (nested: the top index holds one index per tag),
   "unknown": true                 (an index entry and a blob of an unknown media type),
   "corrupt": {"image": 0, "what": "layer"|"config"|"manifest", "how": "digest"|"size"}}
IMAGE:
  {"tag": "v1", "platform": {"os": "linux", "architecture": "amd64", "variant": "v8"},
   "arch": "amd64", "config": {...config.md "config" object...},
   "layers": [[ENTRY, ...], ...], "compress": "gzip"|"none", "bad_diffid": 0}
ENTRY:
  {"path": "etc/passwd", "data": "text"} | {"path": "bin/busybox", "file": "/bin/busybox"}
  {"path": "d", "type": "dir"} | {"path": "bin/sh", "link": "busybox"}
Prints nothing; the layout is OUT_DIR (oci-layout, index.json, blobs/sha256).
"""
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile


def blob(out, data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(out, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)


def layer_tar(entries):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["path"])
            ti.mtime = 1700000000
            ti.mode = e.get("mode", 0o755 if e.get("type") == "dir" else 0o644)
            if e.get("type") == "dir":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif "link" in e:
                ti.type = tarfile.SYMTYPE
                ti.linkname = e["link"]
                ti.mode = 0o777
                t.addfile(ti)
            else:
                if "file" in e:
                    with open(e["file"], "rb") as f:
                        data = f.read()
                    ti.mode = e.get("mode", 0o755)
                else:
                    data = e.get("data", "").encode()
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))
    return buf.getvalue()


def image(out, img):
    layers, diff_ids = [], []
    for i, entries in enumerate(img.get("layers", [])):
        tar = layer_tar(entries)
        diff = "sha256:" + hashlib.sha256(tar).hexdigest()
        if img.get("bad_diffid") == i + 1:
            diff = "sha256:" + "0" * 64
        diff_ids.append(diff)
        if img.get("compress", "gzip") == "gzip":
            data, mt = gzip.compress(tar, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
        else:
            data, mt = tar, "application/vnd.oci.image.layer.v1.tar"
        d, n = blob(out, data)
        layers.append({"mediaType": mt, "digest": d, "size": n})
    plat = img.get("platform", {})
    cfg = {"architecture": plat.get("architecture", img.get("arch", "amd64")), "os": plat.get("os", "linux"),
           "config": img.get("config", {}), "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    if "variant" in plat:
        cfg["variant"] = plat["variant"]
    cd, cn = blob(out, json.dumps(cfg).encode())
    man = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
           "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
           "layers": layers}
    md, mn = blob(out, json.dumps(man).encode())
    desc = {"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn}
    if plat:
        desc["platform"] = plat
    return desc, man


def corrupt(out, desc, man, what, how):
    """Break one blob after it was referenced: flip its content (digest) or its descriptor's size."""
    target = {"manifest": desc, "config": man["config"], "layer": man["layers"][-1]}[what]
    path = os.path.join(out, "blobs", "sha256", target["digest"].split(":")[1])
    if how == "digest":
        with open(path, "r+b") as f:
            data = bytearray(f.read())
            data[len(data) // 2] ^= 0xFF
            f.seek(0)
            f.write(data)
    else:
        with open(path, "ab") as f:
            f.write(b"\n")


def main():
    arg = sys.argv[2]
    if arg.startswith("@"):  # @FILE: the spec is in FILE (larger than an argument may be)
        with open(arg[1:]) as f:
            arg = f.read()
    out, spec = sys.argv[1], json.loads(arg)
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(out, "oci-layout"), "w") as f:
        json.dump({"imageLayoutVersion": "1.0.0"}, f)
    descs = []
    for i, img in enumerate(spec["images"]):
        desc, man = image(out, img)
        c = spec.get("corrupt")
        if c and c.get("image", 0) == i:
            corrupt(out, desc, man, c["what"], c["how"])
        if img.get("tag"):
            desc.setdefault("annotations", {})["org.opencontainers.image.ref.name"] = img["tag"]
        descs.append(desc)
    if spec.get("index") == "nested":
        by_tag = {}
        for d in descs:
            tag = d.pop("annotations", {}).get("org.opencontainers.image.ref.name", "")
            by_tag.setdefault(tag, []).append(d)
        descs = []
        for tag, ds in by_tag.items():
            nd, nn = blob(out, json.dumps({"schemaVersion": 2, "manifests": ds}).encode())
            e = {"mediaType": "application/vnd.oci.image.index.v1+json", "digest": nd, "size": nn}
            if tag:
                e["annotations"] = {"org.opencontainers.image.ref.name": tag}
            descs.append(e)
    if spec.get("unknown"):
        ud, un = blob(out, b"an artifact this runtime does not know")
        descs.append({"mediaType": "application/vnd.example.unknown.v1", "digest": ud, "size": un,
                      "annotations": {"org.opencontainers.image.ref.name": "artifact"}})
        with open(os.path.join(out, "README.unknown"), "w") as f:
            f.write("a file the image-layout spec does not define\n")
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "manifests": descs}, f)


main()
