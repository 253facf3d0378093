# SPDX-License-Identifier: LGPL-2.1-or-later
"""Containers through the binding: root and a bundle (CTR_TEST_BUNDLE, a
busybox bundle as tests/make-bundle.sh makes it)."""
import errno
import os
import select
import shutil
import signal
import tempfile
import unittest

import ctr

BUNDLE = os.environ.get("CTR_TEST_BUNDLE")


@unittest.skipUnless(BUNDLE and os.geteuid() == 0, "needs root and CTR_TEST_BUNDLE")
class TestContainers(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="ctr-py.")
        os.chmod(self.tmp, 0o755)
        self.bundle = os.path.join(self.tmp, "bundle")
        shutil.copytree(BUNDLE, self.bundle, symlinks=True)
        self.ctx = ctr.Context(state_root=os.path.join(self.tmp, "state"))
        self.spec = ctr.Spec.load(os.path.join(self.bundle, "config.json"))
        self.id = "py-%d-%s" % (os.getpid(), self._testMethodName[5:][:20].replace("_", "-"))

    def tearDown(self):
        for cid in self.ctx.containers():
            with self.ctx.load(cid) as c:
                c.delete(force=True)
        self.ctx.close()
        self.spec.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def output(self, f):
        f.seek(0)
        return f.read().decode()

    def test_run(self):
        self.spec.set_args(["sh", "-c", "echo hello from python; exit 3"])
        with tempfile.TemporaryFile() as out:
            status = self.ctx.run(self.id, self.spec, self.bundle, stdout=out, stderr=out)
            self.assertEqual(status, 3)
            self.assertEqual(self.output(out), "hello from python\n")
        self.assertEqual(self.ctx.containers(), [])

    def test_lifecycle_exec_and_pidfd(self):
        self.spec.set_args(["sleep", "60"])
        with open(os.devnull, "r+b") as null, self.ctx.create(self.id, self.spec, self.bundle, stdin=null,
                                                               stdout=null, stderr=null) as c:
            self.assertEqual(c.status, ctr.Status.CREATED)
            self.assertEqual(c.state()["status"], "created")
            self.assertEqual(self.ctx.containers(), [self.id])
            c.start()
            self.assertEqual(c.status, ctr.Status.RUNNING)
            self.assertGreater(c.pid, 0)
            with tempfile.TemporaryFile() as out:
                with c.exec(["sh", "-c", "echo in $0 $FOO; exit 5"], env=["FOO=bar"], stdout=out) as p:
                    self.assertEqual(p.wait(), 5)
                    self.assertGreater(p.pid, 0)
                self.assertEqual(self.output(out), "in sh bar\n")
            with self.assertRaises(ctr.WaitTimeout) as cm:
                c.wait(timeout=0.05)
            self.assertIsInstance(cm.exception, TimeoutError)
            # the pidfd is an event source: readable once the container exits
            r, _, _ = select.select([c.pidfd], [], [], 0)
            self.assertEqual(r, [])
            c.kill(signal.SIGKILL)
            r, _, _ = select.select([c.pidfd], [], [], 10)
            self.assertEqual(r, [c.pidfd])
            self.assertEqual(c.wait(), 128 + signal.SIGKILL)
            self.assertEqual(c.status, ctr.Status.STOPPED)
            c.delete()
            with self.assertRaises(ctr.NotFoundError):
                c.delete()
        self.assertTrue(c.closed)

    def test_create_start(self):
        # CTR_CREATE_START: the create returns with the program running; start is refused
        self.spec.set_args(["sh", "-c", "sleep 0.2; exit 4"])
        with open(os.devnull, "r+b") as null, self.ctx.create(self.id, self.spec, self.bundle, stdin=null,
                                                               stdout=null, stderr=null,
                                                               flags=ctr.CREATE_START) as c:
            self.assertEqual(c.status, ctr.Status.RUNNING)
            self.assertEqual(c.state()["status"], "running")
            with self.assertRaises(ctr.StateError):
                c.start()
            self.assertEqual(c.wait(), 4)
            c.delete()
        self.assertEqual(self.ctx.containers(), [])

    def test_errors(self):
        self.spec.set_args(["sleep", "60"])
        with open(os.devnull, "r+b") as null, self.ctx.create(self.id, self.spec, self.bundle, stdin=null,
                                                               stdout=null, stderr=null) as c:
            with self.assertRaises(ctr.ExistsError) as cm:
                self.ctx.create(self.id, self.spec, self.bundle)
            self.assertIn(self.id, str(cm.exception))
            self.assertEqual(cm.exception.code_name, "exists")
            with self.assertRaises(ctr.StateError):
                c.pause()  # created, not running
            c.start()
            with self.assertRaises(ctr.StateError):
                c.delete()  # running, not forced
            with self.assertRaises(ctr.ChildError) as cm:
                c.exec(["/no/such/program"])
            self.assertIn("/no/such/program", str(cm.exception))
            c.delete(force=True)
        with self.assertRaises(ctr.CtrError) as cm:
            self.ctx.create(self.id, self.spec, os.path.join(self.tmp, "no-bundle"))
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        self.assertIn("no-bundle", str(cm.exception))

    def test_load_from_another_handle(self):
        self.spec.set_args(["sleep", "60"])
        with open(os.devnull, "r+b") as null:
            c = self.ctx.create(self.id, self.spec, self.bundle, stdin=null, stdout=null, stderr=null)
        c.start()
        with self.ctx.load(self.id) as other:
            self.assertEqual(other.status, ctr.Status.RUNNING)
            self.assertEqual(other.pid, c.pid)
            self.assertEqual(other.spec().to_dict()["process"]["args"], ["sleep", "60"])
            other.kill(signal.SIGKILL)
        self.assertEqual(c.wait(), 137)
        c.delete()
        c.close()


if __name__ == "__main__":
    unittest.main()
