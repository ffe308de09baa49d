"""Exceptions for the library's error envelopes: one class per ``kind``.

The core already decided the kind, the English message, ``retryable`` and Kingdee's
``errcode``/``description``; these classes only carry them, so that ``except AuthError``
works and nothing is reinterpreted in Python. The full envelope stays on ``.envelope``.
"""

from typing import Any, Dict, List, Optional


class JdyError(Exception):
    """Base class: an operation failed. ``str(error)`` is the library's message."""

    def __init__(
        self,
        kind: str,
        message: str,
        errcode: Optional[int] = None,
        description: Optional[str] = None,
        retryable: bool = False,
        fields: Optional[List[Dict[str, str]]] = None,
        envelope: Optional[Dict[str, Any]] = None,
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.message = message
        self.errcode = errcode
        self.description = description
        self.retryable = retryable
        self.fields = fields
        if envelope is None:  # raised by the binding itself: build the envelope the core would
            error = {"kind": kind, "message": message,
                     "retryable": retryable}  # type: Dict[str, Any]
            for key, value in (("errcode", errcode), ("description", description),
                               ("fields", fields)):
                if value is not None:
                    error[key] = value
            envelope = {"ok": False, "error": error}
        self.envelope = envelope

    @property
    def http_status(self) -> Optional[int]:
        """The HTTP status of Kingdee's answer, when one arrived."""
        return (self.envelope.get("error") or {}).get("http_status")

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return "{}(kind={!r}, message={!r}, errcode={!r})".format(
            type(self).__name__, self.kind, self.message, self.errcode)

    def __reduce__(self) -> Any:
        # Keeps errors picklable (multiprocessing) despite the keyword-rich constructor.
        return (type(self), (self.kind, self.message, self.errcode, self.description,
                             self.retryable, self.fields, self.envelope))


class InvalidArgumentError(JdyError, ValueError):
    """Kind ``invalid_argument``: the input was not a JSON object, too large, or not UTF-8."""


class ClientClosedError(InvalidArgumentError):
    """The :class:`Client` was already closed (the core's answer to a NULL client, in Python)."""


class ValidationError(JdyError, ValueError):
    """Kind ``validation``: fields broke a rule; ``fields`` lists every ``{field, message}``."""


class ConfigError(JdyError):
    """Kind ``config``: the configuration is incomplete or wrong (every problem listed)."""


class AuthError(JdyError):
    """Kind ``auth``: the gateway refused the credentials, signature, token or app secret."""


class ApiError(JdyError):
    """Kind ``api``: Kingdee refused the call with a business ``errcode``."""


class RateLimitedError(JdyError):
    """Kind ``rate_limited``: HTTP 429; retryable after a pause."""


class ServerError(JdyError):
    """Kind ``server``: HTTP 5xx, gateway overload, system error or an unreadable answer."""


class NetworkError(JdyError):
    """Kinds ``network`` and ``timeout``: the request did not complete (``kind`` tells which)."""


class InternalError(JdyError):
    """Kind ``internal``: a bug in jdy-member, caught; please report it."""


#: The documented mapping from the core's ``kind`` to the class raised.
KIND_TO_CLASS = {
    "invalid_argument": InvalidArgumentError,
    "validation": ValidationError,
    "config": ConfigError,
    "auth": AuthError,
    "api": ApiError,
    "rate_limited": RateLimitedError,
    "server": ServerError,
    "network": NetworkError,
    "timeout": NetworkError,
    "internal": InternalError,
}


def error_from_envelope(envelope: Any) -> JdyError:
    """The exception for an ``{"ok": false, "error": {...}}`` envelope. A kind this version
    does not know becomes a plain :class:`JdyError`, so a newer library never breaks callers."""
    if not isinstance(envelope, dict) or not isinstance(envelope.get("error"), dict):
        return InternalError("internal", "jdy-member returned an envelope without an error: {!r}"
                             .format(envelope)[:500])
    error = envelope["error"]
    kind = str(error.get("kind", "internal"))
    cls = KIND_TO_CLASS.get(kind, JdyError)
    return cls(
        kind,
        str(error.get("message", "")),
        errcode=error.get("errcode"),
        description=error.get("description"),
        retryable=bool(error.get("retryable", False)),
        fields=error.get("fields"),
        envelope=envelope,
    )
