"""Save shop members into Kingdee JDY (金蝶精斗云) retail cloud.

A thin ctypes binding over the jdy-member C library, which does the real work: offline
validation, request signing, the shared app-token and its renewal. Errors are raised as
:class:`JdyError` subclasses chosen by the library's error ``kind``::

    import jdy_member
    with jdy_member.Client(client_id="...", client_secret="...", outer_instance_id="...") as c:
        saved = c.save_member({"mobile": "13333333333", "name": "会员A"})

The shared library is the one bundled in this package, or the file (or directory) named by
the ``JDY_MEMBER_LIB`` environment variable.
"""

from ._errors import (
    KIND_TO_CLASS,
    ApiError,
    AuthError,
    ClientClosedError,
    ConfigError,
    InternalError,
    InvalidArgumentError,
    JdyError,
    NetworkError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from ._ffi import LibraryNotFoundError, version as _library_version
from ._client import BatchResult, Client, Saved, Validated, validate_member

#: The version of the loaded jdy-member library (``jdy_version()``).
__version__ = _library_version()

__all__ = [
    "__version__",
    "Client",
    "BatchResult",
    "Saved",
    "Validated",
    "validate_member",
    "JdyError",
    "InvalidArgumentError",
    "ClientClosedError",
    "ValidationError",
    "ConfigError",
    "AuthError",
    "ApiError",
    "RateLimitedError",
    "ServerError",
    "NetworkError",
    "InternalError",
    "LibraryNotFoundError",
    "KIND_TO_CLASS",
]
