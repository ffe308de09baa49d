"""Finds and loads the jdy-member shared library and declares every C function's signature.

Every function gets explicit ``argtypes`` and ``restype``: ctypes' default ``int`` return
type would truncate 64-bit pointers. Strings the library returns are declared ``c_void_p``
(not ``c_char_p``, which would copy them and leak the original), copied with
``ctypes.string_at`` and handed back to ``jdy_string_free`` — never ``free()``, since the
library may use another heap than Python.
"""

import ctypes
import json
import os
import sys
from pathlib import Path
from typing import Any, List, Optional

from ._errors import InternalError, InvalidArgumentError, error_from_envelope

#: Names a library file (or a directory holding one) to load instead of the bundled one.
ENV_VAR = "JDY_MEMBER_LIB"

_c_str = ctypes.c_char_p
_ptr = ctypes.c_void_p

#: name -> (argtypes, restype). Returned envelopes are ``c_void_p`` so they can be freed.
SIGNATURES = {
    "jdy_version": ([], _c_str),  # static string: copied by ctypes, never freed
    "jdy_client_new": ([_c_str, ctypes.POINTER(_ptr)], _ptr),
    "jdy_client_free": ([_ptr], None),
    "jdy_member_save": ([_ptr, _c_str], _ptr),
    "jdy_member_save_batch": ([_ptr, _c_str, _c_str], _ptr),
    "jdy_member_get": ([_ptr, _c_str], _ptr),
    "jdy_member_list": ([_ptr, _c_str], _ptr),
    "jdy_member_validate": ([_c_str], _ptr),
    "jdy_outbox_add": ([_ptr, _c_str], _ptr),
    "jdy_outbox_flush": ([_ptr, _c_str], _ptr),
    "jdy_outbox_status": ([_ptr], _ptr),
    "jdy_outbox_list": ([_ptr, _c_str], _ptr),
    "jdy_outbox_retry": ([_ptr, _c_str], _ptr),
    "jdy_outbox_discard": ([_ptr, _c_str], _ptr),
    "jdy_call": ([_ptr, _c_str], _ptr),
    "jdy_doctor": ([_ptr], _ptr),
    "jdy_string_free": ([_ptr], None),
}


class LibraryNotFoundError(ImportError):
    """The shared library could not be found or loaded; ``searched`` lists every path tried."""

    def __init__(self, message: str, searched: List[str]) -> None:
        super().__init__(message)
        self.searched = searched


def library_filename() -> str:
    """The library's file name as cargo names it on this platform."""
    if sys.platform == "win32":
        return "jdy_member.dll"
    if sys.platform == "darwin":
        return "libjdy_member.dylib"
    return "libjdy_member.so"


def candidates() -> List[Path]:
    """Where to look, in order. ``JDY_MEMBER_LIB`` is exclusive when set: someone pointing at
    a build wants that build, and a silent fall-back to another one would hide their mistake."""
    override = os.environ.get(ENV_VAR)
    if override:
        path = Path(override).expanduser().absolute()
        return [path / library_filename()] if path.is_dir() else [path]
    return [Path(__file__).resolve().parent / library_filename()]


def _not_found(searched: List[str], reason: str) -> LibraryNotFoundError:
    origin = "from " + ENV_VAR if os.environ.get(ENV_VAR) else "bundled with the package"
    lines = "\n".join("  - {} ({})".format(path, origin) for path in searched)
    hint = ("set {0} to a built {1} (cargo build --release puts it in target/release/), or "
            "unset {0} to use the library bundled with the package".format(
                ENV_VAR, library_filename())
            if os.environ.get(ENV_VAR) else
            "reinstall the package (pip install ./bindings/python builds the library into it), "
            "or set {} to the path of a built {}".format(ENV_VAR, library_filename()))
    return LibraryNotFoundError(
        "the jdy-member native library {}. Searched:\n{}\nTo fix: {}.".format(
            reason, lines, hint),
        searched,
    )


def load() -> ctypes.CDLL:
    """Loads the library by absolute path and declares its functions."""
    searched = [str(path) for path in candidates()]
    for path in searched:
        if not os.path.isfile(path):
            continue
        try:
            library = ctypes.CDLL(path)
        except OSError as error:
            raise _not_found(searched, "at {} could not be loaded ({})".format(path, error))
        for name, (argtypes, restype) in SIGNATURES.items():
            try:
                function = getattr(library, name)
            except AttributeError:
                raise _not_found(searched, "at {} lacks {}: it is older than this package"
                                 .format(path, name))
            function.argtypes = argtypes
            function.restype = restype
        return library
    raise _not_found(searched, "({}) was not found".format(library_filename()))


lib = load()


def version() -> str:
    """The library's version string (static in the library, so nothing to free)."""
    raw = lib.jdy_version()  # type: bytes
    return raw.decode("utf-8")


#: One encoder for every call (``json.dumps`` with any option builds a new ``JSONEncoder`` each
#: time), compact: the library reads fewer bytes. Encoders keep no state between calls.
_encode_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: What ``json.loads`` calls for a ``str``, without its checks for bytes and a BOM.
_decode_json = json.JSONDecoder().decode


def encode(value: Any) -> bytes:
    """JSON as NUL-terminated UTF-8 for the library. ``ensure_ascii=False`` keeps Chinese text
    as its own UTF-8 bytes; JSON escapes control characters, so no NUL can cut the string."""
    try:
        return _encode_json(value).encode("utf-8")
    except UnicodeEncodeError as error:  # a lone surrogate: not representable in UTF-8
        raise InvalidArgumentError(
            "invalid_argument",
            "the input holds text that is not valid Unicode ({}); pass proper str values"
            .format(error.reason),
        )


def take_envelope(pointer: Optional[int]) -> Any:
    """Copies a returned envelope, frees the library's string, and parses it."""
    if not pointer:
        raise InternalError("internal", "jdy-member returned NULL where it promises an envelope; "
                            "please report this")
    try:
        text = ctypes.string_at(pointer).decode("utf-8")
    finally:
        lib.jdy_string_free(pointer)
    return _decode_json(text)


def unwrap(envelope: Any) -> Any:
    """The envelope's ``data``, or its error raised as the matching exception."""
    if isinstance(envelope, dict) and envelope.get("ok") is True:
        return envelope.get("data")
    raise error_from_envelope(envelope)
