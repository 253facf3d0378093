"""A small ctypes binding for libctr (libctr.so.0).

    import ctr
    with ctr.Context() as ctx:
        spec = ctr.Spec.load("/path/to/bundle/config.json")
        spec.set_args(["echo", "hi"])
        status = ctx.run("my-id", spec, bundle="/path/to/bundle")

Every failing call raises ctr.CtrError with the library's message, code and errno.
"""
import ctypes
import ctypes.util
import os

_lib = ctypes.CDLL(os.environ.get("CTR_LIBRARY", "libctr.so.0"), use_errno=True)

_ctx_p = ctypes.c_void_p
_spec_p = ctypes.c_void_p
_err_p = ctypes.c_void_p
_errpp = ctypes.POINTER(ctypes.c_void_p)


class _ContextOptions(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("state_root", ctypes.c_char_p),
        ("log_fn", ctypes.c_void_p),
        ("log_userdata", ctypes.c_void_p),
        ("log_level", ctypes.c_int),
        ("userdata", ctypes.c_void_p),
    ]


class _CreateOptions(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("bundle", ctypes.c_char_p),
        ("console_socket", ctypes.c_char_p),
        ("pid_file", ctypes.c_char_p),
        ("stdio_fds", ctypes.c_int * 3),
        ("preserve_fds", ctypes.c_int),
        ("flags", ctypes.c_uint),
        # the fields this binding knows; ctr_create_options_init_sized() is
        # given ctypes.sizeof(this struct) and writes only that much
        ("accel", ctypes.c_void_p),
        ("network", ctypes.c_void_p),
        ("image_store", ctypes.c_void_p),
        ("image", ctypes.c_char_p),
    ]


def _fn(name, restype, *argtypes):
    f = getattr(_lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_version = _fn("ctr_version", ctypes.c_char_p)
_error_message = _fn("ctr_error_message", ctypes.c_char_p, _err_p)
_error_errno = _fn("ctr_error_errno", ctypes.c_int, _err_p)
_error_code_of = _fn("ctr_error_code_of", ctypes.c_int, _err_p)
_error_code_name = _fn("ctr_error_code_name", ctypes.c_char_p, ctypes.c_int)
_error_free = _fn("ctr_error_free", None, _err_p)
_context_options_init = _fn("ctr_context_options_init_sized", ctypes.c_int, ctypes.POINTER(_ContextOptions),
                            ctypes.c_size_t)
_context_new = _fn("ctr_context_new", ctypes.c_int, ctypes.POINTER(_ctx_p), ctypes.POINTER(_ContextOptions), _errpp)
_context_free = _fn("ctr_context_free", None, _ctx_p)
_spec_load_file = _fn("ctr_spec_load_file", ctypes.c_int, ctypes.POINTER(_spec_p), ctypes.c_char_p, _errpp)
_spec_free = _fn("ctr_spec_free", None, _spec_p)
_spec_set_args = _fn("ctr_spec_set_args", ctypes.c_int, _spec_p, ctypes.POINTER(ctypes.c_char_p), _errpp)
_spec_set_env = _fn("ctr_spec_set_env", ctypes.c_int, _spec_p, ctypes.c_char_p, ctypes.c_char_p, _errpp)
_spec_set_hostname = _fn("ctr_spec_set_hostname", ctypes.c_int, _spec_p, ctypes.c_char_p, _errpp)
_create_options_init = _fn("ctr_create_options_init_sized", ctypes.c_int, ctypes.POINTER(_CreateOptions),
                           ctypes.c_size_t)
_run = _fn("ctr_run", ctypes.c_int, _ctx_p, ctypes.c_char_p, _spec_p, ctypes.POINTER(_CreateOptions),
           ctypes.POINTER(ctypes.c_int), _errpp)


class CtrError(Exception):
    """A libctr error: str() is the library's message."""

    def __init__(self, message, code, code_name, errno):
        super().__init__(message)
        self.code = code
        self.code_name = code_name
        self.errno = errno


def _check(r, err):
    if r >= 0:
        return r
    if err.value:
        e = CtrError(_error_message(err).decode(), _error_code_of(err),
                     _error_code_name(_error_code_of(err)).decode(), _error_errno(err))
        _error_free(err)
        raise e
    raise CtrError(os.strerror(-r), 0, "unknown", -r)


def version():
    return _version().decode()


class Spec:
    """A runtime-spec configuration (config.json)."""

    def __init__(self, handle):
        self._h = handle

    @classmethod
    def load(cls, path):
        h = _spec_p()
        err = _err_p()
        _check(_spec_load_file(ctypes.byref(h), os.fsencode(path), ctypes.byref(err)), err)
        return cls(h)

    def set_args(self, args):
        argv = (ctypes.c_char_p * (len(args) + 1))(*[os.fsencode(a) for a in args], None)
        err = _err_p()
        _check(_spec_set_args(self._h, argv, ctypes.byref(err)), err)

    def set_env(self, name, value):
        err = _err_p()
        _check(_spec_set_env(self._h, name.encode(), value.encode(), ctypes.byref(err)), err)

    def set_hostname(self, name):
        err = _err_p()
        _check(_spec_set_hostname(self._h, name.encode(), ctypes.byref(err)), err)

    def close(self):
        if self._h:
            _spec_free(self._h)
            self._h = None

    __del__ = close


class Context:
    """A libctr context; use as a context manager."""

    def __init__(self, state_root=None):
        opts = _ContextOptions()
        _context_options_init(ctypes.byref(opts), ctypes.sizeof(opts))
        self._root = os.fsencode(state_root) if state_root else None
        opts.state_root = self._root
        self._h = _ctx_p()
        err = _err_p()
        _check(_context_new(ctypes.byref(self._h), ctypes.byref(opts), ctypes.byref(err)), err)

    def run(self, container_id, spec, bundle, stdout_fd=-1, stderr_fd=-1):
        """Create, start, wait for and delete a container; returns its exit status."""
        opts = _CreateOptions()
        _create_options_init(ctypes.byref(opts), ctypes.sizeof(opts))
        b = os.fsencode(os.path.abspath(bundle))
        opts.bundle = b
        opts.stdio_fds[1] = stdout_fd
        opts.stdio_fds[2] = stderr_fd
        status = ctypes.c_int(-1)
        err = _err_p()
        _check(_run(self._h, container_id.encode(), spec._h, ctypes.byref(opts), ctypes.byref(status),
                    ctypes.byref(err)), err)
        return status.value

    def close(self):
        if self._h:
            _context_free(self._h)
            self._h = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    __del__ = close
