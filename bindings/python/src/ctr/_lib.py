# SPDX-License-Identifier: LGPL-2.1-or-later
"""The C library through ctypes: loading, the structs of include/ctr and the
function prototypes.  Internal: use the classes of the ctr package.

Structs with a size field are passed to the library's *_init_sized()
functions with ctypes.sizeof() of the struct defined here: the library
writes exactly that much and uses its own defaults for fields this binding
does not define, so the binding works with any libctr of the same soname
at least as new as 0.2.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os
from typing import Any, List, Optional

SONAME = "libctr.so.0"


class LibraryNotFound(ImportError):
    """libctr.so.0 could not be loaded."""


def _load() -> ctypes.CDLL:
    tried = []
    env = os.environ.get("CTR_LIBRARY")
    names = [env] if env else []
    names.append(SONAME)
    found = ctypes.util.find_library("ctr")
    if found and found not in names:
        names.append(found)
    for name in names:
        try:
            return ctypes.CDLL(name, use_errno=True)
        except OSError as e:
            tried.append("%s: %s" % (name, e))
    raise LibraryNotFound(
        "cannot load libctr (%s): install libctr (meson install; run ldconfig for /usr/local/lib), or set "
        "CTR_LIBRARY to the path of libctr.so.0" % "; ".join(tried))


lib = _load()

c_char_pp = ctypes.POINTER(ctypes.c_char_p)
c_void_pp = ctypes.POINTER(ctypes.c_void_p)

# ---- structs (the fields of include/ctr as of LIBCTR_0.2) ----

LOG_FN = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_int, ctypes.c_char_p)


class ContextOptions(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("state_root", ctypes.c_char_p),
        ("log_fn", LOG_FN),
        ("log_userdata", ctypes.c_void_p),
        ("log_level", ctypes.c_int),
        ("userdata", ctypes.c_void_p),
    ]


class CreateOptions(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("bundle", ctypes.c_char_p),
        ("console_socket", ctypes.c_char_p),
        ("pid_file", ctypes.c_char_p),
        ("stdio_fds", ctypes.c_int * 3),
        ("preserve_fds", ctypes.c_int),
        ("flags", ctypes.c_uint),
        ("accel", ctypes.c_void_p),
        ("network", ctypes.c_void_p),
        ("image_store", ctypes.c_void_p),
        ("image", ctypes.c_char_p),
    ]


class ExecOptions(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("process_json", ctypes.c_char_p),
        ("args", c_char_pp),
        ("env", c_char_pp),
        ("cwd", ctypes.c_char_p),
        ("user", ctypes.c_char_p),
        ("tty", ctypes.c_int),
        ("console_socket", ctypes.c_char_p),
        ("stdio_fds", ctypes.c_int * 3),
        ("preserve_fds", ctypes.c_int),
        ("console_fd", ctypes.c_int),
    ]


class ImageProgressStruct(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("layer", ctypes.c_uint),
        ("n_layers", ctypes.c_uint),
        ("digest", ctypes.c_char_p),
        ("total", ctypes.c_int64),
        ("bytes_in", ctypes.c_uint64),
        ("bytes_out", ctypes.c_uint64),
        ("entries", ctypes.c_uint64),
        ("cached", ctypes.c_int),
        ("done", ctypes.c_int),
        # 0.2: present when the library's size field covers them
        ("phase", ctypes.c_int),
        ("attempt", ctypes.c_uint),
    ]


PROGRESS_FN = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.POINTER(ImageProgressStruct))


class ImageOptions(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("progress", PROGRESS_FN),
        ("progress_userdata", ctypes.c_void_p),
        ("cancel", ctypes.POINTER(ctypes.c_int)),
        ("platform", ctypes.c_char_p),
        ("writer_threads", ctypes.c_int),
        # 0.2: registries
        ("authfile", ctypes.c_char_p),
        ("creds", ctypes.c_char_p),
        ("cert_dir", ctypes.c_char_p),
        ("registries_conf", ctypes.c_char_p),
        ("tls_skip_verify", ctypes.c_int),
        ("max_transfers", ctypes.c_uint),
        ("chunk_size", ctypes.c_uint64),
    ]


class ImageSpecOptions(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("args", c_char_pp),
        ("entrypoint", c_char_pp),
        ("user", ctypes.c_char_p),
    ]


class NetworkOptions(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("subnets", c_char_pp),
        ("gateway", ctypes.c_char_p),
        ("gateway6", ctypes.c_char_p),
        ("mtu", ctypes.c_uint),
        ("internal", ctypes.c_int),
    ]


class NetOptions(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("net_dir", ctypes.c_char_p),
        ("ipv4", ctypes.c_char_p),
        ("ipv6", ctypes.c_char_p),
        ("aliases", c_char_pp),
        ("publish", c_char_pp),
        ("hostname", ctypes.c_char_p),
    ]


class PortMappingStruct(ctypes.Structure):
    _fields_ = [
        ("size", ctypes.c_size_t),
        ("host_ip", ctypes.c_char * 46),
        ("host_port", ctypes.c_uint16),
        ("host_port_end", ctypes.c_uint16),
        ("container_port", ctypes.c_uint16),
        ("container_port_end", ctypes.c_uint16),
        ("protocol", ctypes.c_int),
    ]


# ---- functions ----

def _fn(name: str, restype: Any, *argtypes: Any) -> Any:
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


_i = ctypes.c_int
_p = ctypes.c_void_p
_s = ctypes.c_char_p
_z = ctypes.c_size_t
_pp = c_void_pp
_ep = c_void_pp  # ctr_error **

version = _fn("ctr_version", _s)
version_number = _fn("ctr_version_number", ctypes.c_uint)
has_feature = _fn("ctr_has_feature", _i, _s)
error_errno = _fn("ctr_error_errno", _i, _p)
error_code_of = _fn("ctr_error_code_of", _i, _p)
error_message = _fn("ctr_error_message", _s, _p)
error_code_name = _fn("ctr_error_code_name", _s, _i)
error_free = _fn("ctr_error_free", None, _p)
free = _fn("ctr_free", None, _p)
strv_free = _fn("ctr_strv_free", None, _p)

context_options_init_sized = _fn("ctr_context_options_init_sized", _i, ctypes.POINTER(ContextOptions), _z)
context_new = _fn("ctr_context_new", _i, _pp, ctypes.POINTER(ContextOptions), _ep)
context_free = _fn("ctr_context_free", None, _p)
context_state_root = _fn("ctr_context_state_root", _s, _p)

spec_new_default = _fn("ctr_spec_new_default", _i, _pp, _ep)
spec_load_buffer = _fn("ctr_spec_load_buffer", _i, _pp, _s, _z, _s, _ep)
spec_load_file = _fn("ctr_spec_load_file", _i, _pp, _s, _ep)
spec_copy = _fn("ctr_spec_copy", _i, _pp, _p, _ep)
spec_free = _fn("ctr_spec_free", None, _p)
spec_validate = _fn("ctr_spec_validate", _i, _p, _ep)
spec_to_json = _fn("ctr_spec_to_json", _i, _p, _pp, ctypes.POINTER(_z), _i, _ep)
spec_save_file = _fn("ctr_spec_save_file", _i, _p, _s, _ep)
spec_set_args = _fn("ctr_spec_set_args", _i, _p, c_char_pp, _ep)
spec_set_env = _fn("ctr_spec_set_env", _i, _p, _s, _s, _ep)
spec_unset_env = _fn("ctr_spec_unset_env", _i, _p, _s, _ep)
spec_set_cwd = _fn("ctr_spec_set_cwd", _i, _p, _s, _ep)
spec_set_user = _fn("ctr_spec_set_user", _i, _p, ctypes.c_uint, ctypes.c_uint, _ep)
spec_set_terminal = _fn("ctr_spec_set_terminal", _i, _p, _i, _ep)
spec_set_hostname = _fn("ctr_spec_set_hostname", _i, _p, _s, _ep)
spec_set_root = _fn("ctr_spec_set_root", _i, _p, _s, _i, _ep)
spec_add_mount = _fn("ctr_spec_add_mount", _i, _p, _s, _s, _s, c_char_pp, _ep)
spec_remove_mount = _fn("ctr_spec_remove_mount", _i, _p, _s, _ep)
spec_set_namespace = _fn("ctr_spec_set_namespace", _i, _p, _s, _s, _ep)
spec_remove_namespace = _fn("ctr_spec_remove_namespace", _i, _p, _s, _ep)
spec_set_annotation = _fn("ctr_spec_set_annotation", _i, _p, _s, _s, _ep)
spec_get_annotation = _fn("ctr_spec_get_annotation", _s, _p, _s)
SPEC_ANNOTATION_FN = ctypes.CFUNCTYPE(_i, _s, _s, _p)
spec_foreach_annotation = _fn("ctr_spec_foreach_annotation", _i, _p, SPEC_ANNOTATION_FN, _p)
spec_get_terminal = _fn("ctr_spec_get_terminal", _i, _p)
spec_get_env = _fn("ctr_spec_get_env", _s, _p, _s)
spec_oci_version = _fn("ctr_spec_oci_version", _s, _p)

create_options_init_sized = _fn("ctr_create_options_init_sized", _i, ctypes.POINTER(CreateOptions), _z)
exec_options_init_sized = _fn("ctr_exec_options_init_sized", _i, ctypes.POINTER(ExecOptions), _z)
container_create = _fn("ctr_container_create", _i, _p, _pp, _s, _p, ctypes.POINTER(CreateOptions), _ep)
container_load = _fn("ctr_container_load", _i, _p, _pp, _s, _ep)
container_start = _fn("ctr_container_start", _i, _p, _ep)
container_status = _fn("ctr_container_status", _i, _p)
status_name = _fn("ctr_status_name", _s, _i)
container_id = _fn("ctr_container_id", _s, _p)
container_pid = _fn("ctr_container_pid", _i, _p)
container_pidfd = _fn("ctr_container_pidfd", _i, _p)
container_bundle = _fn("ctr_container_bundle", _s, _p)
container_rootfs = _fn("ctr_container_rootfs", _s, _p)
container_created = _fn("ctr_container_created", _s, _p)
container_state_json = _fn("ctr_container_state_json", _i, _p, _pp, _ep)
container_spec = _fn("ctr_container_spec", _i, _p, _pp, _ep)
container_kill = _fn("ctr_container_kill", _i, _p, _i, ctypes.c_uint, _ep)
container_wait = _fn("ctr_container_wait", _i, _p, ctypes.POINTER(_i), _i, _ep)
container_exec = _fn("ctr_container_exec", _i, _p, ctypes.POINTER(ExecOptions), ctypes.POINTER(_i),
                     ctypes.POINTER(_i), _ep)
process_wait = _fn("ctr_process_wait", _i, _i, ctypes.POINTER(_i), _ep)
container_delete = _fn("ctr_container_delete", _i, _p, ctypes.c_uint, _ep)
container_free = _fn("ctr_container_free", None, _p)
container_take_console = _fn("ctr_container_take_console", _i, _p)
container_list = _fn("ctr_container_list", _i, _p, _pp, _ep)
container_pause = _fn("ctr_container_pause", _i, _p, _ep)
container_resume = _fn("ctr_container_resume", _i, _p, _ep)
container_update = _fn("ctr_container_update", _i, _p, _s, _ep)
container_pids = _fn("ctr_container_pids", _i, _p, _pp, ctypes.POINTER(_z), _ep)
container_stats_json = _fn("ctr_container_stats_json", _i, _p, _pp, _ep)
container_oom_kills = _fn("ctr_container_oom_kills", _i, _p, ctypes.POINTER(ctypes.c_uint64), _ep)
features_json = _fn("ctr_features_json", _i, _pp, _ep)
run = _fn("ctr_run", _i, _p, _s, _p, ctypes.POINTER(CreateOptions), ctypes.POINTER(_i), _ep)

image_options_init_sized = _fn("ctr_image_options_init_sized", _i, ctypes.POINTER(ImageOptions), _z)
image_spec_options_init_sized = _fn("ctr_image_spec_options_init_sized", _i, ctypes.POINTER(ImageSpecOptions), _z)
image_store_open = _fn("ctr_image_store_open", _i, _p, _pp, _s, _ep)
image_store_free = _fn("ctr_image_store_free", None, _p)
image_store_dir = _fn("ctr_image_store_dir", _s, _p)
image_import = _fn("ctr_image_import", _i, _p, _s, _s, ctypes.POINTER(ImageOptions), _ep)
image_import_named = _fn("ctr_image_import_named", _i, _p, _pp, _s, _s, ctypes.POINTER(ImageOptions), _ep)
image_pull = _fn("ctr_image_pull", _i, _p, _pp, _s, _s, ctypes.POINTER(ImageOptions), _ep)
image_push = _fn("ctr_image_push", _i, _p, _s, _s, ctypes.POINTER(ImageOptions), _ep)
image_lookup = _fn("ctr_image_lookup", _i, _p, _pp, _s, ctypes.POINTER(ImageOptions), _ep)
image_list = _fn("ctr_image_list", _i, _p, _pp, _ep)
image_inspect = _fn("ctr_image_inspect", _i, _p, _s, _pp, _ep)
image_remove = _fn("ctr_image_remove", _i, _p, _s, _ep)
image_prune = _fn("ctr_image_prune", _i, _p, ctypes.POINTER(ctypes.c_uint), _ep)
image_unpack = _fn("ctr_image_unpack", _i, _p, _p, _s, _s, ctypes.POINTER(ImageOptions), _ep)
image_spec = _fn("ctr_image_spec", _i, _p, _s, ctypes.POINTER(ImageSpecOptions), _pp, _ep)

network_options_init_sized = _fn("ctr_network_options_init_sized", _i, ctypes.POINTER(NetworkOptions), _z)
net_options_init_sized = _fn("ctr_net_options_init_sized", _i, ctypes.POINTER(NetOptions), _z)
network_create = _fn("ctr_network_create", _i, _p, _s, _pp, _s, ctypes.POINTER(NetworkOptions), _ep)
network_open = _fn("ctr_network_open", _i, _p, _s, _pp, _s, _ep)
network_delete = _fn("ctr_network_delete", _i, _p, _ep)
network_list = _fn("ctr_network_list", _i, _p, _s, _pp, _ep)
network_inspect_json = _fn("ctr_network_inspect_json", _i, _p, _pp, _ep)
network_name = _fn("ctr_network_name", _s, _p)
network_bridge = _fn("ctr_network_bridge", _s, _p)
network_free = _fn("ctr_network_free", None, _p)
network_attach_container = _fn("ctr_network_attach_container", _i, _p, _p, ctypes.POINTER(NetOptions), _ep)
network_detach_container = _fn("ctr_network_detach_container", _i, _p, _p, _ep)
net_request_new = _fn("ctr_net_request_new", _i, _pp, _s, ctypes.POINTER(NetOptions), _ep)
net_request_free = _fn("ctr_net_request_free", None, _p)
port_mapping_parse_sized = _fn("ctr_port_mapping_parse_sized", _i, _s, _z, ctypes.POINTER(PortMappingStruct),
                               _z, _ep)


def strv(items: Optional[Any]) -> Optional[Any]:
    """A NULL-terminated char ** from a sequence of str/bytes (None stays NULL)."""
    if items is None:
        return None
    enc = [os.fsencode(x) for x in items]
    return (ctypes.c_char_p * (len(enc) + 1))(*enc, None)


def take_string(p: ctypes.c_void_p) -> str:
    """A string the library allocated, copied and freed."""
    try:
        return ctypes.string_at(p.value).decode("utf-8", "surrogateescape") if p.value else ""
    finally:
        free(p)


def take_strv(p: ctypes.c_void_p) -> List[str]:
    """A NULL-terminated char ** the library allocated, copied and freed."""
    out: List[str] = []
    if p.value:
        arr = ctypes.cast(p, c_char_pp)
        i = 0
        while arr[i] is not None:
            out.append(arr[i].decode("utf-8", "surrogateescape"))
            i += 1
    strv_free(p)
    return out
