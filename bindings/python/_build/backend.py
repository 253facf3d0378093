# SPDX-License-Identifier: LGPL-2.1-or-later
"""A PEP 517 (and PEP 660) build backend for the libctr binding, standard
library only, so that `pip install ./bindings/python` needs no build
dependency from PyPI (the package is pure Python: a wheel is a zip of src/
and the metadata).

It reads [project] and [tool.ctr] of pyproject.toml: name, version,
description, requires-python, license, classifiers, and the package under
src/ to ship.  It writes only into the directories pip gives it.
"""
import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TAG = "py3-none-any"


def _project():
    """The fields of pyproject.toml this backend uses (simple `key = value` lines)."""
    text = open(os.path.join(ROOT, "pyproject.toml"), encoding="utf-8").read()
    meta, section = {}, None
    lines = iter(text.splitlines())
    for line in lines:
        line = line.split(" #", 1)[0].rstrip() if not line.lstrip().startswith("#") else ""
        m = re.match(r"^\[([^\]]+)\]$", line)
        if m:
            section = m.group(1)
            continue
        m = re.match(r'^([A-Za-z0-9_-]+)\s*=\s*(.*)$', line)
        if not m or section not in ("project", "tool.ctr"):
            continue
        key, value = m.group(1), m.group(2)
        if value == "[":  # a list over several lines
            items = []
            for more in lines:
                if more.strip() == "]":
                    break
                items += re.findall(r'"([^"]*)"', more)
            meta[key] = items
        elif value.startswith("{"):
            meta[key] = dict(re.findall(r'(\w+)\s*=\s*"([^"]*)"', value))
        else:
            meta[key] = value.strip('"')
    for key in ("name", "version", "package"):
        if not meta.get(key):
            raise ValueError("pyproject.toml: %s is missing" % key)
    return meta


def _dist(meta):
    return re.sub(r"[-_.]+", "_", meta["name"]), meta["version"]


def _metadata(meta):
    lines = ["Metadata-Version: 2.1", "Name: " + meta["name"], "Version: " + meta["version"]]
    if meta.get("description"):
        lines.append("Summary: " + meta["description"])
    if meta.get("requires-python"):
        lines.append("Requires-Python: " + meta["requires-python"])
    if isinstance(meta.get("license"), dict) and meta["license"].get("text"):
        lines.append("License: " + meta["license"]["text"])
    lines += ["Classifier: " + c for c in meta.get("classifiers", [])]
    body = ""
    readme = os.path.join(ROOT, meta.get("readme", "README.md"))
    if os.path.exists(readme):
        lines.append("Description-Content-Type: text/markdown")
        body = "\n" + open(readme, encoding="utf-8").read()
    return "\n".join(lines) + "\n" + body


def _package_files(meta):
    """(archive name, path) of every file of the package, sorted."""
    top = os.path.join(ROOT, "src", meta["package"])
    out = []
    for d, dirs, files in os.walk(top):
        dirs[:] = sorted(x for x in dirs if x != "__pycache__")
        for f in sorted(files):
            if f.endswith((".pyc", ".pyo")):
                continue
            path = os.path.join(d, f)
            out.append((os.path.relpath(path, os.path.join(ROOT, "src")).replace(os.sep, "/"), path))
    return out


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return "%s,sha256=%s,%d" % (name, digest, len(data))


def _write_wheel(wheel_directory, meta, files):
    """files: [(archive name, bytes)]; returns the wheel's file name."""
    dist, version = _dist(meta)
    info = "%s-%s.dist-info" % (dist, version)
    name = "%s-%s-%s.whl" % (dist, version, TAG)
    files = list(files) + [
        (info + "/METADATA", _metadata(meta).encode()),
        (info + "/WHEEL", ("Wheel-Version: 1.0\nGenerator: libctr-backend\nRoot-Is-Purelib: true\nTag: %s\n"
                           % TAG).encode()),
        (info + "/top_level.txt", (meta["package"] + "\n").encode()),
    ]
    record = [_record_line(n, d) for n, d in files] + [info + "/RECORD,,"]
    files.append((info + "/RECORD", ("\n".join(record) + "\n").encode()))
    with zipfile.ZipFile(os.path.join(wheel_directory, name), "w", zipfile.ZIP_DEFLATED) as z:
        for n, d in files:
            zi = zipfile.ZipInfo(n, date_time=(2000, 1, 1, 0, 0, 0))
            zi.external_attr = 0o644 << 16
            zi.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(zi, d)
    return name


# ---- PEP 517 ----

def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    meta = _project()
    dist, version = _dist(meta)
    info = "%s-%s.dist-info" % (dist, version)
    os.makedirs(os.path.join(metadata_directory, info), exist_ok=True)
    with open(os.path.join(metadata_directory, info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata(meta))
    return info


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    meta = _project()
    files = [(n, open(p, "rb").read()) for n, p in _package_files(meta)]
    return _write_wheel(wheel_directory, meta, files)


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    """PEP 660: a wheel whose .pth file puts src/ on sys.path."""
    meta = _project()
    pth = ("%s\n" % os.path.join(ROOT, "src")).encode()
    return _write_wheel(wheel_directory, meta, [("__editable__.%s.pth" % _dist(meta)[0], pth)])


def build_sdist(sdist_directory, config_settings=None):
    meta = _project()
    dist, version = _dist(meta)
    base = "%s-%s" % (dist, version)
    name = base + ".tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz", format=tarfile.PAX_FORMAT) as t:
        for d, dirs, files in os.walk(ROOT):
            dirs[:] = sorted(x for x in dirs if x not in ("__pycache__", "build", "dist") and not x.startswith("."))
            for f in sorted(files):
                if f.endswith((".pyc", ".pyo")):
                    continue
                path = os.path.join(d, f)
                t.add(path, arcname=base + "/" + os.path.relpath(path, ROOT).replace(os.sep, "/"), recursive=False)
        pkg_info = _metadata(meta).encode()
        ti = tarfile.TarInfo(base + "/PKG-INFO")
        ti.size = len(pkg_info)
        ti.mode = 0o644
        t.addfile(ti, io.BytesIO(pkg_info))
    return name
