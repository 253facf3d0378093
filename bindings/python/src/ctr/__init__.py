# SPDX-License-Identifier: LGPL-2.1-or-later
"""Python binding of libctr, the embeddable library that runs OCI containers.

    import ctr

    with ctr.Context(state_root="/run/ctr") as ctx:
        with ctr.Spec.load("/srv/bundle/config.json") as spec:
            spec.set_args(["echo", "hello"])
            status = ctx.run("hello", spec, bundle="/srv/bundle")

Every handle (Context, Spec, Container, Process, ImageStore, Network) is a
context manager that frees it on exit; a handle used after close() raises
ValueError.  Every failing call raises a CtrError subclass that carries the
library's message, its stable error code (``code``, ``code_name``) and the
errno (``errno``).  The C library is loaded at import: libctr.so.0 from the
system, or the file CTR_LIBRARY names.

Threads: as in C, a handle may be used by one thread at a time; a Context
may be shared.  ctypes releases the GIL during each call, so blocking calls
(Container.wait, Context.run) do not stop other Python threads.
"""
from __future__ import annotations

import ctypes
import errno as _errno
import json
import os
import weakref
from dataclasses import dataclass
from typing import IO, Any, Callable, Dict, Iterable, List, Optional, Sequence, Union

from . import _lib

__all__ = [
    "CtrError", "InvalidError", "OutOfMemoryError", "SystemCallError", "ParseError", "SpecError", "NotFoundError",
    "ExistsError", "StateError", "HookError", "UnsupportedError", "ChildError", "WaitTimeout",
    "Context", "Spec", "Container", "Process", "ImageStore", "Network", "PortMapping", "ImageProgress",
    "PHASES", "Status", "version", "version_number", "has_feature", "features", "parse_port_mapping", "unpack",
    "LOG_ERROR", "LOG_WARNING", "LOG_INFO", "LOG_DEBUG", "LibraryNotFound",
]

LibraryNotFound = _lib.LibraryNotFound

LOG_ERROR, LOG_WARNING, LOG_INFO, LOG_DEBUG = 3, 4, 6, 7
CREATE_NO_PIVOT, CREATE_NO_NEW_KEYRING, CREATE_STDIO_INHERIT_NONE, CREATE_SYSTEMD_CGROUP = 1, 2, 4, 8
CREATE_START = 32  # the create starts the container too (CTR_CREATE_START, libctr 0.2)
KILL_ALL = 1
DELETE_FORCE = 1

FileLike = Union[int, IO[Any]]
StrPath = Union[str, "os.PathLike[str]"]


# ---- errors ----

class CtrError(Exception):
    """A libctr error.  str() is the library's message."""

    code: int = 0

    def __init__(self, message: str, errno: int, code: int, code_name: str) -> None:
        super().__init__(message)
        self.message = message
        self.errno = errno
        self.code = code
        self.code_name = code_name

    def __repr__(self) -> str:
        return "%s(%r, errno=%d, code=%s)" % (type(self).__name__, self.message, self.errno, self.code_name)


class InvalidError(CtrError, ValueError):
    """CTR_E_INVALID: an argument or option is invalid."""
    code = 1


class OutOfMemoryError(CtrError, MemoryError):
    """CTR_E_NOMEM."""
    code = 2


class SystemCallError(CtrError, OSError):
    """CTR_E_SYSTEM: a system call failed (errno says which error)."""
    code = 3

    def __init__(self, message: str, errno: int, code: int, code_name: str) -> None:
        CtrError.__init__(self, message, errno, code, code_name)


class ParseError(CtrError, ValueError):
    """CTR_E_PARSE: a document is not well-formed."""
    code = 4


class SpecError(CtrError, ValueError):
    """CTR_E_SPEC: a config.json violates the runtime-spec."""
    code = 5


class NotFoundError(CtrError, LookupError):
    """CTR_E_NOT_FOUND: a container, image, network or file does not exist."""
    code = 6


class ExistsError(CtrError):
    """CTR_E_EXISTS: the name is taken."""
    code = 7


class StateError(CtrError):
    """CTR_E_STATE: not allowed in the container's current state."""
    code = 8


class HookError(CtrError):
    """CTR_E_HOOK: a lifecycle hook failed or timed out."""
    code = 9


class UnsupportedError(CtrError):
    """CTR_E_UNSUPPORTED: the kernel or build lacks what the request needs."""
    code = 10


class ChildError(CtrError):
    """CTR_E_CHILD: the container process failed during setup."""
    code = 11


class WaitTimeout(SystemCallError, TimeoutError):
    """A wait ran out of time (errno ETIMEDOUT)."""


_CLASSES: Dict[int, type] = {c.code: c for c in (InvalidError, OutOfMemoryError, SystemCallError, ParseError, SpecError,
                                                  NotFoundError, ExistsError, StateError, HookError,
                                                  UnsupportedError, ChildError)}


def _error(r: int, err: ctypes.c_void_p) -> CtrError:
    """The exception for a failed call: r its return value, err its error object (freed here)."""
    if err.value:
        errnum, code = _lib.error_errno(err), _lib.error_code_of(err)
        msg = (_lib.error_message(err) or b"").decode("utf-8", "replace")
        _lib.error_free(err)
    else:  # no error object: the errno alone
        errnum, code, msg = -r, 3, os.strerror(-r)
    name = (_lib.error_code_name(code) or b"unknown").decode()
    cls = WaitTimeout if errnum == _errno.ETIMEDOUT else _CLASSES.get(code, CtrError)
    e: CtrError = cls(msg, errnum, code, name)
    return e


def _check(r: int, err: ctypes.c_void_p) -> int:
    if r < 0:
        raise _error(r, err)
    return r


def _err() -> ctypes.c_void_p:
    return ctypes.c_void_p()


def _fd(f: Optional[FileLike]) -> int:
    if f is None:
        return -1
    return f if isinstance(f, int) else f.fileno()


def _b(s: Optional[Union[str, bytes, "os.PathLike[str]"]]) -> Optional[bytes]:
    return None if s is None else os.fsencode(s)


def _str(b: Any) -> str:
    """A string the library returned (bytes, owned by it) as str."""
    return "" if b is None else os.fsdecode(bytes(b))


def _json(text: str) -> Dict[str, Any]:
    v: Dict[str, Any] = json.loads(text)
    return v


# ---- library ----

def version() -> str:
    """The version of the loaded library, "MAJOR.MINOR.MICRO"."""
    return _str(_lib.version())


def version_number() -> int:
    """The loaded library's version as 0xMMmmuu."""
    return int(_lib.version_number())


def has_feature(name: str) -> bool:
    """Whether the loaded library implements a named feature ("exec", "namespaces.time", ...)."""
    return bool(_lib.has_feature(name.encode()))


def features() -> Dict[str, Any]:
    """The runtime-spec features document of this build and host."""
    out, err = ctypes.c_void_p(), _err()
    _check(_lib.features_json(ctypes.byref(out), ctypes.byref(err)), err)
    return _json(_lib.take_string(out))


@dataclass(frozen=True)
class PortMapping:
    """A published port as libctr parses it."""
    host_ip: str
    host_port: int
    host_port_end: int
    container_port: int
    container_port_end: int
    protocol: str


def parse_port_mapping(text: str) -> PortMapping:
    """Parse `[hostip:]hostport[-end]:containerport[-end][/tcp|udp]` (InvalidError when it is wrong)."""
    raw = text.encode()
    m, err = _lib.PortMappingStruct(), _err()
    _check(_lib.port_mapping_parse_sized(raw, len(raw), ctypes.byref(m), ctypes.sizeof(m), ctypes.byref(err)), err)
    return PortMapping(m.host_ip.decode(), m.host_port, m.host_port_end, m.container_port, m.container_port_end,
                       "udp" if m.protocol == 17 else "tcp")


class _Handle:
    """An owned C handle: close() frees it once; use after close raises ValueError."""

    _free: Callable[[Any], None]

    def __init__(self, handle: ctypes.c_void_p) -> None:
        self._h: Optional[ctypes.c_void_p] = handle

    @property
    def _handle(self) -> ctypes.c_void_p:
        if self._h is None or not self._h.value:
            raise ValueError("%s is closed" % type(self).__name__)
        return self._h

    @property
    def closed(self) -> bool:
        return self._h is None

    def close(self) -> None:
        """Free the handle (what it names on disk is untouched)."""
        h, self._h = self._h, None
        if h is not None and h.value:
            type(self)._free(h)

    def __enter__(self) -> Any:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


# ---- context ----

class Context(_Handle):
    """The library context: state root and logging.  Handles made from it
    are closed when it is."""

    _free = staticmethod(_lib.context_free)

    def __init__(self, state_root: Optional[StrPath] = None,
                 log: Optional[Callable[[int, str], None]] = None, log_level: int = 0) -> None:
        opts = _lib.ContextOptions()
        _lib.context_options_init_sized(ctypes.byref(opts), ctypes.sizeof(opts))
        self._root = _b(state_root)
        opts.state_root = self._root
        self._log_cb = None
        if log is not None:
            logger: Callable[[int, str], None] = log

            def cb(_ud: Any, level: int, msg: bytes) -> None:
                try:
                    logger(level, msg.decode("utf-8", "replace"))
                except Exception:
                    pass  # an exception cannot cross the C library
            self._log_cb = _lib.LOG_FN(cb)
            opts.log_fn = self._log_cb
        opts.log_level = log_level
        h, err = ctypes.c_void_p(), _err()
        _check(_lib.context_new(ctypes.byref(h), ctypes.byref(opts), ctypes.byref(err)), err)
        self._children: "weakref.WeakSet[_Handle]" = weakref.WeakSet()
        super().__init__(h)

    def _adopt(self, child: _Handle) -> None:
        self._children.add(child)

    def close(self) -> None:
        for child in list(getattr(self, "_children", ())):
            child.close()
        super().close()

    @property
    def state_root(self) -> str:
        return _str(_lib.context_state_root(self._handle))

    def create(self, container_id: str, spec: "Spec", bundle: Optional[StrPath] = None, *,
               stdin: Optional[FileLike] = None, stdout: Optional[FileLike] = None,
               stderr: Optional[FileLike] = None, console_socket: Optional[str] = None,
               pid_file: Optional[str] = None, preserve_fds: int = 0, flags: int = 0,
               network: Optional[str] = None, network_options: Optional[Dict[str, Any]] = None,
               image_store: Optional["ImageStore"] = None, image: Optional[str] = None) -> "Container":
        """Create a container (see ctr_container_create()); start it with Container.start().

        stdin/stdout/stderr: fds or file objects (None: the caller's own).
        network: "none", "host", "container:ID" or a bridge network's name, with
        network_options as for Network.attach (ipv4, ipv6, aliases, publish, hostname, net_dir).
        """
        opts, keep = self._create_options(bundle, stdin, stdout, stderr, console_socket, pid_file, preserve_fds,
                                          flags, network, network_options, image_store, image)
        h, err = ctypes.c_void_p(), _err()
        try:
            _check(_lib.container_create(self._handle, ctypes.byref(h), container_id.encode(), spec._handle,
                                         ctypes.byref(opts), ctypes.byref(err)), err)
        finally:
            if keep.get("request"):
                _lib.net_request_free(keep["request"])
        c = Container(self, h)
        return c

    def load(self, container_id: str) -> "Container":
        """A container that exists under the state root (NotFoundError otherwise)."""
        h, err = ctypes.c_void_p(), _err()
        _check(_lib.container_load(self._handle, ctypes.byref(h), container_id.encode(), ctypes.byref(err)), err)
        return Container(self, h)

    def containers(self) -> List[str]:
        """The ids of the containers under the state root, sorted."""
        out, err = ctypes.c_void_p(), _err()
        _check(_lib.container_list(self._handle, ctypes.byref(out), ctypes.byref(err)), err)
        return _lib.take_strv(out)

    def run(self, container_id: str, spec: "Spec", bundle: Optional[StrPath] = None,
            **create_options: Any) -> int:
        """Create, start, wait for and delete a container; its exit status (128+signal when killed)."""
        opts, keep = self._create_options(bundle, create_options.pop("stdin", None),
                                          create_options.pop("stdout", None), create_options.pop("stderr", None),
                                          create_options.pop("console_socket", None),
                                          create_options.pop("pid_file", None),
                                          create_options.pop("preserve_fds", 0), create_options.pop("flags", 0),
                                          create_options.pop("network", None),
                                          create_options.pop("network_options", None),
                                          create_options.pop("image_store", None), create_options.pop("image", None))
        if create_options:
            raise TypeError("unknown options: %s" % ", ".join(sorted(create_options)))
        status, err = ctypes.c_int(-1), _err()
        try:
            _check(_lib.run(self._handle, container_id.encode(), spec._handle, ctypes.byref(opts),
                            ctypes.byref(status), ctypes.byref(err)), err)
        finally:
            if keep.get("request"):
                _lib.net_request_free(keep["request"])
        return status.value

    def _create_options(self, bundle: Any, stdin: Any, stdout: Any, stderr: Any, console_socket: Any, pid_file: Any,
                        preserve_fds: int, flags: int, network: Optional[str],
                        network_options: Optional[Dict[str, Any]], image_store: Optional["ImageStore"],
                        image: Optional[str]) -> Any:
        opts = _lib.CreateOptions()
        _lib.create_options_init_sized(ctypes.byref(opts), ctypes.sizeof(opts))
        keep: Dict[str, Any] = {}
        keep["bundle"] = opts.bundle = _b(os.path.abspath(bundle) if bundle is not None else None)
        keep["console_socket"] = opts.console_socket = _b(console_socket)
        keep["pid_file"] = opts.pid_file = _b(pid_file)
        opts.stdio_fds[0], opts.stdio_fds[1], opts.stdio_fds[2] = _fd(stdin), _fd(stdout), _fd(stderr)
        opts.preserve_fds = preserve_fds
        opts.flags = flags
        if network is not None:
            req, err = ctypes.c_void_p(), _err()
            nopts, nkeep = _net_options(network_options)
            _check(_lib.net_request_new(ctypes.byref(req), network.encode(),
                                        ctypes.byref(nopts) if nopts is not None else None, ctypes.byref(err)), err)
            keep["request"] = req
            keep["net"] = nkeep
            opts.network = req
        elif network_options:
            raise InvalidError("network_options need a network", _errno.EINVAL, 1, "invalid")
        if image is not None:
            if image_store is None:
                raise InvalidError("image needs an image_store", _errno.EINVAL, 1, "invalid")
            opts.image_store = image_store._handle
            keep["image"] = opts.image = image.encode()
        return opts, keep


def _net_options(o: Optional[Dict[str, Any]]) -> Any:
    if not o:
        return None, None
    known = {"net_dir", "ipv4", "ipv6", "aliases", "publish", "hostname"}
    unknown = set(o) - known
    if unknown:
        raise TypeError("unknown network options: %s" % ", ".join(sorted(unknown)))
    nopts = _lib.NetOptions()
    _lib.net_options_init_sized(ctypes.byref(nopts), ctypes.sizeof(nopts))
    keep = []
    for k in ("net_dir", "ipv4", "ipv6", "hostname"):
        if o.get(k) is not None:
            v = _b(o[k])
            keep.append(v)
            setattr(nopts, k, v)
    for k in ("aliases", "publish"):
        if o.get(k) is not None:
            arr = _lib.strv(o[k])
            keep.append(arr)
            setattr(nopts, k, arr)
    return nopts, keep


# ---- spec ----

class Spec(_Handle):
    """An OCI runtime configuration (config.json)."""

    _free = staticmethod(_lib.spec_free)

    @classmethod
    def default(cls) -> "Spec":
        """The defaults `runc spec` writes (process.terminal false, hostname "ctr")."""
        h, err = ctypes.c_void_p(), _err()
        _check(_lib.spec_new_default(ctypes.byref(h), ctypes.byref(err)), err)
        return cls(h)

    @classmethod
    def load(cls, path: StrPath) -> "Spec":
        """Read, parse and validate a config.json file."""
        h, err = ctypes.c_void_p(), _err()
        _check(_lib.spec_load_file(ctypes.byref(h), os.fsencode(path), ctypes.byref(err)), err)
        return cls(h)

    @classmethod
    def from_json(cls, text: Union[str, bytes, Dict[str, Any]], name: str = "config.json") -> "Spec":
        """Parse and validate a config.json document (text, or a dict)."""
        raw = json.dumps(text).encode() if isinstance(text, dict) else (text.encode() if isinstance(text, str)
                                                                          else text)
        h, err = ctypes.c_void_p(), _err()
        _check(_lib.spec_load_buffer(ctypes.byref(h), raw, len(raw), name.encode(), ctypes.byref(err)), err)
        return cls(h)

    def copy(self) -> "Spec":
        h, err = ctypes.c_void_p(), _err()
        _check(_lib.spec_copy(ctypes.byref(h), self._handle, ctypes.byref(err)), err)
        return Spec(h)

    def validate(self) -> None:
        err = _err()
        _check(_lib.spec_validate(self._handle, ctypes.byref(err)), err)

    def to_json(self, pretty: bool = False) -> str:
        out, n, err = ctypes.c_void_p(), ctypes.c_size_t(), _err()
        _check(_lib.spec_to_json(self._handle, ctypes.byref(out), ctypes.byref(n), int(pretty), ctypes.byref(err)),
               err)
        return _lib.take_string(out)

    def to_dict(self) -> Dict[str, Any]:
        return _json(self.to_json())

    def save(self, path: StrPath) -> None:
        """Write it atomically to a file."""
        err = _err()
        _check(_lib.spec_save_file(self._handle, os.fsencode(path), ctypes.byref(err)), err)

    def _call(self, fn: Any, *args: Any) -> None:
        err = _err()
        _check(fn(self._handle, *args, ctypes.byref(err)), err)

    def set_args(self, args: Sequence[str]) -> None:
        self._call(_lib.spec_set_args, _lib.strv(args))

    def set_env(self, name: str, value: str) -> None:
        self._call(_lib.spec_set_env, name.encode(), value.encode())

    def unset_env(self, name: str) -> None:
        self._call(_lib.spec_unset_env, name.encode())

    def set_cwd(self, cwd: str) -> None:
        self._call(_lib.spec_set_cwd, cwd.encode())

    def set_user(self, uid: int, gid: int) -> None:
        self._call(_lib.spec_set_user, uid, gid)

    def set_terminal(self, terminal: bool) -> None:
        self._call(_lib.spec_set_terminal, int(terminal))

    def set_hostname(self, hostname: Optional[str]) -> None:
        self._call(_lib.spec_set_hostname, _b(hostname))

    def set_root(self, path: StrPath, readonly: bool = False) -> None:
        self._call(_lib.spec_set_root, os.fsencode(path), int(readonly))

    def add_mount(self, destination: str, type: Optional[str] = None, source: Optional[str] = None,
                  options: Optional[Sequence[str]] = None) -> None:
        self._call(_lib.spec_add_mount, destination.encode(), _b(type), _b(source), _lib.strv(options))

    def remove_mount(self, destination: str) -> None:
        self._call(_lib.spec_remove_mount, destination.encode())

    def set_namespace(self, type: str, path: Optional[str] = None) -> None:
        self._call(_lib.spec_set_namespace, type.encode(), _b(path))

    def remove_namespace(self, type: str) -> None:
        self._call(_lib.spec_remove_namespace, type.encode())

    def set_annotation(self, key: str, value: Optional[str]) -> None:
        self._call(_lib.spec_set_annotation, key.encode(), _b(value))

    def annotation(self, key: str) -> Optional[str]:
        v = _lib.spec_get_annotation(self._handle, key.encode())
        return None if v is None else _str(v)

    def annotations(self) -> Dict[str, str]:
        """Every annotation, in the spec's order."""
        out: Dict[str, str] = {}

        def one(k: bytes, v: bytes, _ud: Any) -> int:
            out[_str(k)] = _str(v)
            return 0
        _lib.spec_foreach_annotation(self._handle, _lib.SPEC_ANNOTATION_FN(one), None)
        return out

    def env(self, name: str) -> Optional[str]:
        """The value of a variable in process.env (the first entry that sets it), or None."""
        v = _lib.spec_get_env(self._handle, name.encode())
        return None if v is None else _str(v)

    @property
    def terminal(self) -> bool:
        """process.terminal."""
        return bool(_lib.spec_get_terminal(self._handle))

    @property
    def oci_version(self) -> str:
        return _str(_lib.spec_oci_version(self._handle))


# ---- containers ----

class Status:
    """Container status names (the runtime-spec's)."""
    UNKNOWN, CREATING, CREATED, RUNNING, STOPPED, PAUSED = "unknown", "creating", "created", "running", "stopped", \
        "paused"


class Container(_Handle):
    """A container handle.  close() frees the handle, delete() the container."""

    _free = staticmethod(_lib.container_free)

    def __init__(self, ctx: Context, handle: ctypes.c_void_p) -> None:
        super().__init__(handle)
        self._ctx = ctx  # the context outlives its containers
        ctx._adopt(self)

    def _call(self, fn: Any, *args: Any) -> int:
        err = _err()
        return _check(fn(self._handle, *args, ctypes.byref(err)), err)

    @property
    def id(self) -> str:
        return _str(_lib.container_id(self._handle))

    @property
    def status(self) -> str:
        """The current status ("created", "running", "stopped", ...), read afresh."""
        return _str(_lib.status_name(_lib.container_status(self._handle)))

    @property
    def pid(self) -> int:
        """The init's pid, 0 when it has none."""
        return int(_lib.container_pid(self._handle))

    @property
    def pidfd(self) -> int:
        """A pidfd of the init (owned by the handle; poll it for readability to learn the exit), -1 when gone."""
        return int(_lib.container_pidfd(self._handle))

    @property
    def bundle(self) -> str:
        return _str(_lib.container_bundle(self._handle))

    @property
    def rootfs(self) -> str:
        return _str(_lib.container_rootfs(self._handle))

    @property
    def created(self) -> str:
        return _str(_lib.container_created(self._handle))

    def state(self) -> Dict[str, Any]:
        """The runtime-spec state document."""
        out = ctypes.c_void_p()
        self._call(_lib.container_state_json, ctypes.byref(out))
        return _json(_lib.take_string(out))

    def spec(self) -> Spec:
        """The configuration as it was at create."""
        h = ctypes.c_void_p()
        self._call(_lib.container_spec, ctypes.byref(h))
        return Spec(h)

    def start(self) -> None:
        self._call(_lib.container_start)

    def kill(self, signal: int = 15, all: bool = False) -> None:
        self._call(_lib.container_kill, int(signal), KILL_ALL if all else 0)

    def wait(self, timeout: Optional[float] = None) -> int:
        """Wait for the init to exit: its exit status, 128+signal when killed
        (WaitTimeout when it still runs after timeout seconds)."""
        ms = -1 if timeout is None else max(0, int(timeout * 1000))
        status = ctypes.c_int(-1)
        self._call(_lib.container_wait, ctypes.byref(status), ms)
        return status.value

    def exec(self, args: Optional[Sequence[str]] = None, *, env: Optional[Sequence[str]] = None,
             cwd: Optional[str] = None, user: Optional[str] = None, tty: Optional[bool] = None,
             stdin: Optional[FileLike] = None, stdout: Optional[FileLike] = None, stderr: Optional[FileLike] = None,
             process_json: Optional[Union[str, Dict[str, Any]]] = None, preserve_fds: int = 0) -> "Process":
        """Run another process in the container (see ctr_container_exec()).

        env: "K=V" entries added to the process's; user: "uid[:gid]"; tty: None as the process says."""
        opts = _lib.ExecOptions()
        _lib.exec_options_init_sized(ctypes.byref(opts), ctypes.sizeof(opts))
        keep = [_lib.strv(args), _lib.strv(env), _b(cwd), _b(user)]
        opts.args, opts.env, opts.cwd, opts.user = keep
        if process_json is not None:
            pj = (json.dumps(process_json) if isinstance(process_json, dict) else process_json).encode()
            keep.append(pj)
            opts.process_json = pj
        if tty is not None:
            opts.tty = int(tty)
        opts.stdio_fds[0], opts.stdio_fds[1], opts.stdio_fds[2] = _fd(stdin), _fd(stdout), _fd(stderr)
        opts.preserve_fds = preserve_fds
        pid, pidfd = ctypes.c_int(0), ctypes.c_int(-1)
        self._call(_lib.container_exec, ctypes.byref(opts), ctypes.byref(pid), ctypes.byref(pidfd))
        return Process(pid.value, pidfd.value, opts.console_fd)

    def delete(self, force: bool = False) -> None:
        """Delete the container (DELETE_FORCE kills it first); the handle stays open."""
        self._call(_lib.container_delete, DELETE_FORCE if force else 0)

    def take_console(self) -> Optional[int]:
        """The pty master create received (process.terminal, no console socket); the caller owns it."""
        fd = int(_lib.container_take_console(self._handle))
        return None if fd < 0 else fd

    def pause(self) -> None:
        self._call(_lib.container_pause)

    def resume(self) -> None:
        self._call(_lib.container_resume)

    def update(self, resources: Union[str, Dict[str, Any]]) -> None:
        """Apply a runtime-spec linux.resources object."""
        text = json.dumps(resources) if isinstance(resources, dict) else resources
        self._call(_lib.container_update, text.encode())

    def pids(self) -> List[int]:
        p, n = ctypes.c_void_p(), ctypes.c_size_t()
        self._call(_lib.container_pids, ctypes.byref(p), ctypes.byref(n))
        try:
            arr = ctypes.cast(p, ctypes.POINTER(ctypes.c_int))
            return [arr[i] for i in range(n.value)]
        finally:
            _lib.free(p)

    def stats(self) -> Dict[str, Any]:
        out = ctypes.c_void_p()
        self._call(_lib.container_stats_json, ctypes.byref(out))
        return _json(_lib.take_string(out))

    def oom_kills(self) -> int:
        n = ctypes.c_uint64()
        self._call(_lib.container_oom_kills, ctypes.byref(n))
        return int(n.value)


class Process:
    """A process of Container.exec(): its pid, its pidfd (owned by this object) and,
    with a tty and no console socket, the pty master."""

    def __init__(self, pid: int, pidfd: int, console_fd: int = -1) -> None:
        self.pid = pid
        self.pidfd: Optional[int] = pidfd if pidfd >= 0 else None
        self.console_fd: Optional[int] = console_fd if console_fd >= 0 else None
        self.returncode: Optional[int] = None

    def wait(self) -> int:
        """Wait for it to exit: its exit status, 128+signal when killed."""
        if self.returncode is not None:
            return self.returncode
        if self.pidfd is None:
            raise ValueError("Process is closed")
        status, err = ctypes.c_int(-1), _err()
        _check(_lib.process_wait(self.pidfd, ctypes.byref(status), ctypes.byref(err)), err)
        self.returncode = status.value
        return status.value

    def close(self) -> None:
        """Close the pidfd and the console fd (the process itself is untouched)."""
        for name in ("pidfd", "console_fd"):
            fd = getattr(self, name)
            if fd is not None:
                setattr(self, name, None)
                os.close(fd)

    def __enter__(self) -> "Process":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:
            pass


# ---- images ----

@dataclass(frozen=True)
class ImageProgress:
    """Progress of one layer of an import or unpack."""
    layer: int
    n_layers: int
    digest: str
    total: int
    bytes_in: int
    bytes_out: int
    entries: int
    cached: bool
    done: bool
    phase: str = "waiting"
    """One of PHASES: what the layer is going through (the last report keeps the phase it ended in)."""
    attempt: int = 0
    """With phase "retrying": the number of the retry."""


PHASES = ("waiting", "copying", "extracting", "downloading", "retrying", "uploading", "exists")
"""ImageProgress.phase values, in the order of include/ctr/image.h's ctr_image_phase."""


class ImageStore(_Handle):
    """A local image store (see ctr/image.h)."""

    _free = staticmethod(_lib.image_store_free)

    def __init__(self, ctx: Context, directory: Optional[StrPath] = None) -> None:
        h, err = ctypes.c_void_p(), _err()
        _check(_lib.image_store_open(ctx._handle, ctypes.byref(h), _b(directory), ctypes.byref(err)), err)
        super().__init__(h)
        self._ctx = ctx
        ctx._adopt(self)

    @property
    def directory(self) -> str:
        return _str(_lib.image_store_dir(self._handle))

    def import_image(self, source: str, name: Optional[str] = None, *, platform: Optional[str] = None,
                     writer_threads: int = 0, progress: Optional[Callable[[ImageProgress], Any]] = None,
                     **registry: Any) -> str:
        """Import from a source ("oci:DIR[:TAG]", "oci-archive:FILE", "docker-archive:FILE", "docker://REF");
        returns the name it was stored under.  A progress callback that returns True cancels it; registry
        keywords as for pull()."""
        opts, keep = _image_options(platform, writer_threads, progress, **registry)
        out, err = ctypes.c_void_p(), _err()
        r = _lib.image_import_named(self._handle, ctypes.byref(out), source.encode(), _b(name), ctypes.byref(opts),
                                    ctypes.byref(err))
        _reraise(keep)
        _check(r, err)
        return _lib.take_string(out)

    def pull(self, ref: str, name: Optional[str] = None, *, platform: Optional[str] = None,
             writer_threads: int = 0, progress: Optional[Callable[[ImageProgress], Any]] = None,
             authfile: Optional[StrPath] = None, creds: Optional[str] = None, cert_dir: Optional[StrPath] = None,
             registries_conf: Optional[StrPath] = None, tls_verify: bool = True, max_transfers: int = 0) -> str:
        """Pull "[docker://][host[:port]/]repo[:tag|@digest]" (a short name goes through registries.conf) into
        the store; returns the name it was stored under.  Layers the store has are not downloaded.  A
        progress callback that returns True cancels it, and the store is left as it was."""
        opts, keep = _image_options(platform, writer_threads, progress, authfile=authfile, creds=creds,
                                    cert_dir=cert_dir, registries_conf=registries_conf, tls_verify=tls_verify,
                                    max_transfers=max_transfers)
        out, err = ctypes.c_void_p(), _err()
        r = _lib.image_pull(self._handle, ctypes.byref(out), ref.encode(), _b(name), ctypes.byref(opts),
                            ctypes.byref(err))
        _reraise(keep)
        _check(r, err)
        return _lib.take_string(out)

    def push(self, name: str, dest: str, *, progress: Optional[Callable[[ImageProgress], Any]] = None,
             authfile: Optional[StrPath] = None, creds: Optional[str] = None, cert_dir: Optional[StrPath] = None,
             registries_conf: Optional[StrPath] = None, tls_verify: bool = True, max_transfers: int = 0,
             chunk_size: int = 0) -> None:
        """Push a stored image to "[docker://]host[:port]/repo[:tag|@digest]"; blobs the registry has are
        skipped.  chunk_size > 0 uploads each blob in PATCH requests of that many bytes."""
        opts, keep = _image_options(None, 0, progress, authfile=authfile, creds=creds, cert_dir=cert_dir,
                                    registries_conf=registries_conf, tls_verify=tls_verify,
                                    max_transfers=max_transfers, chunk_size=chunk_size)
        err = _err()
        r = _lib.image_push(self._handle, name.encode(), dest.encode(), ctypes.byref(opts), ctypes.byref(err))
        _reraise(keep)
        _check(r, err)

    def lookup(self, ref: str, *, registries_conf: Optional[StrPath] = None) -> str:
        """The stored image a reference names, without contacting a registry (NotFoundError when none)."""
        opts, _keep = _image_options(None, 0, None, registries_conf=registries_conf)
        out, err = ctypes.c_void_p(), _err()
        _check(_lib.image_lookup(self._handle, ctypes.byref(out), ref.encode(), ctypes.byref(opts),
                                 ctypes.byref(err)), err)
        return _lib.take_string(out)

    def images(self) -> List[str]:
        out, err = ctypes.c_void_p(), _err()
        _check(_lib.image_list(self._handle, ctypes.byref(out), ctypes.byref(err)), err)
        return _lib.take_strv(out)

    def inspect(self, name: str) -> Dict[str, Any]:
        out, err = ctypes.c_void_p(), _err()
        _check(_lib.image_inspect(self._handle, name.encode(), ctypes.byref(out), ctypes.byref(err)), err)
        return _json(_lib.take_string(out))

    def remove(self, name: str) -> None:
        err = _err()
        _check(_lib.image_remove(self._handle, name.encode(), ctypes.byref(err)), err)

    def prune(self) -> int:
        n, err = ctypes.c_uint(0), _err()
        _check(_lib.image_prune(self._handle, ctypes.byref(n), ctypes.byref(err)), err)
        return int(n.value)

    def unpack(self, ref: str, directory: StrPath, **options: Any) -> None:
        """Unpack a stored image or a source into an empty directory."""
        _unpack(self._ctx, self, ref, directory, **options)

    def spec(self, name: str, *, args: Optional[Sequence[str]] = None,
             entrypoint: Optional[Sequence[str]] = None, user: Optional[str] = None) -> Spec:
        """A runtime spec for a stored image (conversion.md)."""
        opts = _lib.ImageSpecOptions()
        _lib.image_spec_options_init_sized(ctypes.byref(opts), ctypes.sizeof(opts))
        keep = [_lib.strv(args), _lib.strv(entrypoint), _b(user)]
        opts.args, opts.entrypoint, opts.user = keep
        h, err = ctypes.c_void_p(), _err()
        _check(_lib.image_spec(self._handle, name.encode(), ctypes.byref(opts), ctypes.byref(h), ctypes.byref(err)),
               err)
        return Spec(h)


_PROGRESS_V2 = _lib.ImageProgressStruct.attempt.offset + ctypes.sizeof(ctypes.c_uint)


def _image_options(platform: Optional[str], writer_threads: int,
                   progress: Optional[Callable[[ImageProgress], Any]], *,
                   authfile: Optional[StrPath] = None, creds: Optional[str] = None,
                   cert_dir: Optional[StrPath] = None, registries_conf: Optional[StrPath] = None,
                   tls_verify: bool = True, max_transfers: int = 0, chunk_size: int = 0) -> Any:
    if max_transfers < 0 or chunk_size < 0:
        raise ValueError("max_transfers and chunk_size must not be negative")
    opts = _lib.ImageOptions()
    _lib.image_options_init_sized(ctypes.byref(opts), ctypes.sizeof(opts))
    keep: Dict[str, Any] = {"platform": _b(platform), "error": None, "authfile": _b(authfile),
                            "creds": _b(creds), "cert_dir": _b(cert_dir), "registries_conf": _b(registries_conf)}
    opts.platform = keep["platform"]
    opts.writer_threads = writer_threads
    opts.authfile, opts.creds = keep["authfile"], keep["creds"]
    opts.cert_dir, opts.registries_conf = keep["cert_dir"], keep["registries_conf"]
    opts.tls_skip_verify = 0 if tls_verify else 1
    opts.max_transfers = max_transfers
    opts.chunk_size = chunk_size
    if progress is not None:
        report: Callable[[ImageProgress], Any] = progress

        def cb(_ud: Any, p: Any) -> int:
            s = p.contents
            phase, attempt = "waiting", 0
            if s.size >= _PROGRESS_V2:
                phase = PHASES[s.phase] if 0 <= s.phase < len(PHASES) else str(s.phase)
                attempt = s.attempt
            try:
                stop = report(ImageProgress(s.layer, s.n_layers, (s.digest or b"").decode(), s.total, s.bytes_in,
                                              s.bytes_out, s.entries, bool(s.cached), bool(s.done), phase,
                                              attempt))
                return 1 if stop else 0
            except BaseException as e:  # cancel, and raise it once the call is back in Python
                keep["error"] = e
                return 1
        keep["cb"] = _lib.PROGRESS_FN(cb)
        opts.progress = keep["cb"]
    return opts, keep


def _reraise(keep: Dict[str, Any]) -> None:
    if keep.get("error") is not None:
        raise keep["error"]


def _unpack(ctx: Context, store: Optional[ImageStore], ref: str, directory: StrPath,
            platform: Optional[str] = None, writer_threads: int = 0,
            progress: Optional[Callable[[ImageProgress], Any]] = None, **registry: Any) -> None:
    opts, keep = _image_options(platform, writer_threads, progress, **registry)
    err = _err()
    r = _lib.image_unpack(ctx._handle, store._handle if store else None, ref.encode(), os.fsencode(directory),
                          ctypes.byref(opts), ctypes.byref(err))
    _reraise(keep)
    _check(r, err)


def unpack(ctx: Context, source: str, directory: StrPath, **options: Any) -> None:
    """Unpack an image source ("oci:DIR[:TAG]", ..., "docker://REF" with the registry keywords of
    ImageStore.pull()) into an empty directory, without a store."""
    _unpack(ctx, None, source, directory, **options)


# ---- networks ----

class Network(_Handle):
    """A bridge network (see ctr/network.h).  Network.create() or Network.open()."""

    _free = staticmethod(_lib.network_free)

    def __init__(self, ctx: Context, handle: ctypes.c_void_p) -> None:
        super().__init__(handle)
        self._ctx = ctx
        ctx._adopt(self)

    @classmethod
    def create(cls, ctx: Context, name: str, *, subnets: Optional[Iterable[str]] = None,
               gateway: Optional[str] = None, gateway6: Optional[str] = None, mtu: int = 0, internal: bool = False,
               net_dir: Optional[str] = None) -> "Network":
        opts = _lib.NetworkOptions()
        _lib.network_options_init_sized(ctypes.byref(opts), ctypes.sizeof(opts))
        keep = [_lib.strv(list(subnets) if subnets is not None else None), _b(gateway), _b(gateway6)]
        opts.subnets, opts.gateway, opts.gateway6 = keep
        opts.mtu = mtu
        opts.internal = int(internal)
        h, err = ctypes.c_void_p(), _err()
        _check(_lib.network_create(ctx._handle, _b(net_dir), ctypes.byref(h), name.encode(), ctypes.byref(opts),
                                   ctypes.byref(err)), err)
        return cls(ctx, h)

    @classmethod
    def open(cls, ctx: Context, name: str, net_dir: Optional[str] = None) -> "Network":
        h, err = ctypes.c_void_p(), _err()
        _check(_lib.network_open(ctx._handle, _b(net_dir), ctypes.byref(h), name.encode(), ctypes.byref(err)), err)
        return cls(ctx, h)

    @staticmethod
    def names(ctx: Context, net_dir: Optional[str] = None) -> List[str]:
        out, err = ctypes.c_void_p(), _err()
        _check(_lib.network_list(ctx._handle, _b(net_dir), ctypes.byref(out), ctypes.byref(err)), err)
        return _lib.take_strv(out)

    @property
    def name(self) -> str:
        return _str(_lib.network_name(self._handle))

    @property
    def bridge(self) -> str:
        return _str(_lib.network_bridge(self._handle))

    def inspect(self) -> Dict[str, Any]:
        out, err = ctypes.c_void_p(), _err()
        _check(_lib.network_inspect_json(self._handle, ctypes.byref(out), ctypes.byref(err)), err)
        return _json(_lib.take_string(out))

    def delete(self) -> None:
        err = _err()
        _check(_lib.network_delete(self._handle, ctypes.byref(err)), err)

    def attach(self, container: Container, **options: Any) -> None:
        """Attach a created or running container (options: ipv4, ipv6, aliases, publish, hostname)."""
        nopts, keep = _net_options(options)
        err = _err()
        _check(_lib.network_attach_container(self._handle, container._handle,
                                             ctypes.byref(nopts) if nopts is not None else None,
                                             ctypes.byref(err)), err)
        del keep

    def detach(self, container: Container) -> None:
        err = _err()
        _check(_lib.network_detach_container(self._handle, container._handle, ctypes.byref(err)), err)
