# SPDX-License-Identifier: LGPL-2.1-or-later
"""The binding without containers (no root): versions, specs, errors, options."""
import ctypes
import errno
import os
import tempfile
import unittest

import ctr
from ctr import _lib


class TestLibrary(unittest.TestCase):
    def test_version(self):
        self.assertRegex(ctr.version(), r"^\d+\.\d+\.\d+$")
        major, minor, micro = (int(x) for x in ctr.version().split("."))
        self.assertEqual(ctr.version_number(), (major << 16) | (minor << 8) | micro)
        want = os.environ.get("CTR_TEST_VERSION")
        if want:
            self.assertEqual(ctr.version(), want)

    def test_package_version_is_the_library_release(self):
        want = os.environ.get("CTR_TEST_VERSION")
        if not want:
            self.skipTest("CTR_TEST_VERSION not set")
        import importlib.metadata
        try:
            self.assertEqual(importlib.metadata.version("libctr"), want)
        except importlib.metadata.PackageNotFoundError:
            # run from the source tree: pyproject.toml says it
            here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
            text = open(os.path.join(here, "pyproject.toml")).read()
            self.assertIn('version = "%s"' % want, text)

    def test_features(self):
        self.assertTrue(ctr.has_feature("exec"))
        self.assertFalse(ctr.has_feature("no-such-feature"))
        f = ctr.features()
        self.assertIn("ociVersionMax", f)
        self.assertIn("namespaces", f["linux"])


class TestSpec(unittest.TestCase):
    def test_default_and_setters(self):
        with ctr.Spec.default() as s:
            s.set_args(["sh", "-c", "echo hi"])
            s.set_env("FOO", "bar")
            s.set_cwd("/tmp")
            s.set_user(1000, 1000)
            s.set_hostname("box")
            s.set_root("rootfs", readonly=True)
            s.add_mount("/data", "tmpfs", "tmpfs", ["nosuid", "size=1m"])
            s.set_namespace("time")
            s.remove_namespace("network")
            s.set_annotation("org.example/k", "v")
            d = s.to_dict()
            self.assertEqual(d["process"]["args"], ["sh", "-c", "echo hi"])
            self.assertIn("FOO=bar", d["process"]["env"])
            self.assertEqual(d["process"]["cwd"], "/tmp")
            self.assertEqual(d["process"]["user"], {"uid": 1000, "gid": 1000})
            self.assertEqual(d["hostname"], "box")
            self.assertEqual(d["root"], {"path": "rootfs", "readonly": True})
            self.assertIn({"destination": "/data", "type": "tmpfs", "source": "tmpfs",
                           "options": ["nosuid", "size=1m"]}, d["mounts"])
            types = [n["type"] for n in d["linux"]["namespaces"]]
            self.assertIn("time", types)
            self.assertNotIn("network", types)
            self.assertEqual(s.annotation("org.example/k"), "v")
            self.assertIsNone(s.annotation("none"))
            s.set_annotation("org.example/j", "w")
            self.assertEqual(s.annotations(), {"org.example/k": "v", "org.example/j": "w"})
            self.assertEqual(s.env("FOO"), "bar")
            self.assertIsNone(s.env("FO"))
            self.assertFalse(s.terminal)
            s.set_terminal(True)
            self.assertTrue(s.terminal)
            s.set_terminal(False)
            s.unset_env("FOO")
            self.assertIsNone(s.env("FOO"))
            s.remove_mount("/data")
            s.validate()
            with s.copy() as c:
                self.assertEqual(c.to_dict(), s.to_dict())

    def test_load_save_roundtrip(self):
        with tempfile.TemporaryDirectory() as d, ctr.Spec.default() as s:
            s.set_args(["true"])
            path = os.path.join(d, "config.json")
            s.save(path)
            with ctr.Spec.load(path) as t:
                self.assertEqual(t.to_dict(), s.to_dict())
            with ctr.Spec.from_json(s.to_dict()) as u:
                self.assertEqual(u.oci_version, s.oci_version)

    def test_errors_carry_code_errno_message(self):
        with self.assertRaises(ctr.NotFoundError) as cm:
            ctr.Spec.load("/nonexistent/config.json")
        e = cm.exception
        self.assertIsInstance(e, ctr.CtrError)
        self.assertIsInstance(e, LookupError)
        self.assertEqual(e.errno, errno.ENOENT)
        self.assertEqual(e.code, 6)
        self.assertEqual(e.code_name, "not-found")
        self.assertIn("/nonexistent/config.json", str(e))
        with self.assertRaises(ctr.ParseError) as cm:
            ctr.Spec.from_json("{not json", name="bad.json")
        self.assertIn("bad.json", cm.exception.message)
        with self.assertRaises(ctr.SpecError) as cm:
            with ctr.Spec.default() as good:
                doc = good.to_dict()
            doc["process"]["args"] = "notalist"
            ctr.Spec.from_json(doc)
        self.assertIn("process.args", str(cm.exception))
        with ctr.Spec.default() as s:
            with self.assertRaises(ctr.InvalidError) as cm:
                s.set_cwd("relative")
            self.assertIsInstance(cm.exception, ValueError)
            self.assertEqual(cm.exception.errno, errno.EINVAL)
            with self.assertRaises(ctr.NotFoundError):
                s.remove_mount("/not-there")

    def test_closed_handle(self):
        s = ctr.Spec.default()
        s.close()
        s.close()  # twice is fine
        self.assertTrue(s.closed)
        with self.assertRaises(ValueError):
            s.to_json()


class TestOptions(unittest.TestCase):
    """The structs this binding defines go through the size protocol."""

    def test_sized_init(self):
        for struct, init in ((_lib.ContextOptions, _lib.context_options_init_sized),
                             (_lib.CreateOptions, _lib.create_options_init_sized),
                             (_lib.ExecOptions, _lib.exec_options_init_sized),
                             (_lib.ImageOptions, _lib.image_options_init_sized),
                             (_lib.NetOptions, _lib.net_options_init_sized)):
            buf = (ctypes.c_ubyte * (ctypes.sizeof(struct) + 32))(*([0xA5] * (ctypes.sizeof(struct) + 32)))
            o = struct.from_buffer(buf)
            self.assertEqual(init(ctypes.byref(o), ctypes.sizeof(o)), 0)
            self.assertEqual(o.size, ctypes.sizeof(struct))
            self.assertEqual(list(buf[ctypes.sizeof(struct):]), [0xA5] * 32, struct.__name__)
        o = _lib.ExecOptions()
        _lib.exec_options_init_sized(ctypes.byref(o), ctypes.sizeof(o))
        self.assertEqual((o.tty, o.console_fd, list(o.stdio_fds)), (-1, -1, [-1, -1, -1]))

    def test_port_mapping(self):
        m = ctr.parse_port_mapping("[::1]:8080-8081:80-81/udp")
        self.assertEqual(m, ctr.PortMapping("::1", 8080, 8081, 80, 81, "udp"))
        self.assertEqual(ctr.parse_port_mapping("80").protocol, "tcp")
        with self.assertRaises(ctr.InvalidError) as cm:
            ctr.parse_port_mapping("80/sctp")
        self.assertIn("sctp", str(cm.exception))


class TestContext(unittest.TestCase):
    def test_state_root_and_log(self):
        with tempfile.TemporaryDirectory() as d:
            logs = []
            with ctr.Context(state_root=d + "/", log=lambda lvl, msg: logs.append((lvl, msg)),
                             log_level=ctr.LOG_DEBUG) as ctx:
                self.assertEqual(ctx.state_root, d)
                self.assertEqual(ctx.containers(), [])
                with self.assertRaises(ctr.NotFoundError):
                    ctx.load("nothing-here")
            self.assertTrue(ctx.closed)
        with self.assertRaises(ctr.InvalidError):
            ctr.Context(state_root="relative/dir")

    def test_closing_the_context_closes_its_handles(self):
        with tempfile.TemporaryDirectory() as d:
            ctx = ctr.Context(state_root=d)
            store = ctr.ImageStore(ctx, os.path.join(d, "store"))
            self.assertEqual(store.images(), [])
            ctx.close()
            self.assertTrue(store.closed)

    def test_image_store_errors(self):
        with tempfile.TemporaryDirectory() as d, ctr.Context(state_root=d) as ctx:
            with ctr.ImageStore(ctx, os.path.join(d, "store")) as store:
                with self.assertRaises(ctr.NotFoundError):
                    store.inspect("none")
                with self.assertRaises(ctr.NotFoundError):
                    store.import_image("oci:%s/missing:latest" % d)
                with self.assertRaises(ctr.InvalidError):
                    store.import_image("nonsense-transport:x")
                self.assertEqual(store.prune(), 0)


if __name__ == "__main__":
    unittest.main()
