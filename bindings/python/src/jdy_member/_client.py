"""The Client: a thin, thread-safe owner of one ``JdyClient`` handle.

All the work (validation, signing, the token, retries) happens in the library; Python only
turns dicts into JSON, guards the handle's lifetime, and raises the envelope's error.
"""

import ctypes
import threading
from typing import (TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional,
                    Tuple, cast)

from . import _ffi
from ._errors import ClientClosedError, InternalError, JdyError, error_from_envelope

Member = Dict[str, Any]

if TYPE_CHECKING:  # typing.List subclasses misbehave on Python 3.6 at run time
    _EnvelopeList = List[Dict[str, Any]]
else:
    _EnvelopeList = list


if TYPE_CHECKING:
    _Dict = Dict[str, Any]
else:
    _Dict = dict


class Saved(_Dict):
    """Kingdee's answer to a save, as a dict; ``recovered`` is true when the answer was lost
    and the member was found stored exactly as sent, ``queued`` when the gateway could not be
    reached and the member was kept in the outbox instead (configuration ``offline``)."""

    def __init__(self, answer: Dict[str, Any], recovered: bool, queued: bool) -> None:
        super().__init__(answer)
        self.recovered = recovered
        self.queued = queued


class Validated(_Dict):
    """A member as it would be sent, as a dict; ``references`` lists the fields given by
    name or number that a save will resolve to ids."""

    def __init__(self, member: Dict[str, Any], references: List[Dict[str, Any]]) -> None:
        super().__init__(member)
        self.references = references


class BatchResult(_EnvelopeList):
    """The per-member result envelopes of :meth:`Client.save_members`, in input order.

    Each item is ``{"ok": True, "data": {...}}`` or ``{"ok": False, "error": {...}}``, exactly
    as the library returned it; the counts are the library's too.
    """

    def __init__(self, results: Iterable[Dict[str, Any]], saved: int, refused: int,
                 failed: int, recovered: int = 0, queued: int = 0) -> None:
        super().__init__(results)
        self.saved = saved          # saved (recovered ones included)
        self.recovered = recovered  # of those, answers lost and members found stored
        self.queued = queued        # kept in the outbox: the gateway could not be reached
        self.refused = refused      # refused, offline or by Kingdee: fix the member
        self.failed = failed        # not saved now (network, gateway, budget): send again

    def failures(self) -> List[Tuple[int, JdyError]]:
        """``(index, exception)`` for every member that was not saved, for logging or retry."""
        return [(index, error_from_envelope(envelope))
                for index, envelope in enumerate(self) if not envelope.get("ok")]


class Client:
    """One connection to Kingdee JDY: configuration, connection pool and app-token cache.

    Create one per process and share it between threads; calls run in parallel (ctypes
    releases the GIL) and share one token. Keyword arguments are the library's configuration
    keys, passed through unchanged (``client_id``, ``client_secret``, then ``app_key`` +
    ``app_secret`` + ``domain`` or ``outer_instance_id``; optionally ``base_url``,
    ``timeout_ms``, ``connect_timeout_ms``, ``proxy`` and whatever else the library's README
    lists). Raises :class:`ConfigError` listing every problem, with suggestions for misspelt
    keys. Making a client makes no network call.
    """

    def __init__(self, **config: Any) -> None:
        # Set first, so close() and __del__ work even if construction fails below.
        self._lock = threading.Lock()
        self._handle = None  # type: Optional[int]
        self._busy = 0  # calls currently inside the library
        self._pending_free = None  # type: Optional[int]
        # Bound now: at interpreter exit module globals may already be gone when __del__ runs.
        self._free = _ffi.lib.jdy_client_free  # type: Callable[[int], None]
        encoded = _ffi.encode(config)
        error = ctypes.c_void_p()
        handle = _ffi.lib.jdy_client_new(encoded, ctypes.byref(error))
        if not handle:
            if not error.value:
                raise InternalError("internal", "jdy_client_new failed without an error envelope")
            raise error_from_envelope(_ffi.take_envelope(error.value))
        self._handle = handle

    # -- lifetime -------------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        """True once :meth:`close` has been called."""
        return self._handle is None

    def close(self) -> None:
        """Releases the client. Calls still running in other threads finish first: the handle
        is freed by the last of them, so close() never frees it mid-call and never blocks.
        Closing twice raises :class:`ClientClosedError`, like any other use after close."""
        with self._lock:
            handle = self._handle
            if handle is None:
                raise _closed()
            self._handle = None
            if self._busy:
                self._pending_free, handle = handle, None
        if handle is not None:
            self._free(handle)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        if not self.closed:  # close() inside the block is fine
            self.close()

    def __del__(self) -> None:
        # No other reference exists, so no call is running; never raise from a finalizer.
        handle = getattr(self, "_handle", None) or getattr(self, "_pending_free", None)
        if handle:
            self._handle = self._pending_free = None
            try:
                self._free(handle)
            except Exception:
                pass

    def __repr__(self) -> str:
        # Never shows the configuration: it holds secrets.
        return "<jdy_member.Client {}>".format("closed" if self.closed else "open")

    def _call(self, function: Callable[..., Optional[int]], *args: Optional[bytes]) -> Any:
        """Runs one library call with the handle pinned, and unwraps the envelope."""
        return _ffi.unwrap(self._call_envelope(function, *args))

    def _call_envelope(self, function: Callable[..., Optional[int]],
                       *args: Optional[bytes]) -> Any:
        """Runs one library call with the handle pinned; the whole envelope, marks included."""
        with self._lock:
            handle = self._handle
            if handle is None:
                raise _closed()
            self._busy += 1
        try:
            pointer = function(handle, *args)
        finally:
            with self._lock:
                self._busy -= 1
                orphan = self._pending_free if self._busy == 0 else None
                if orphan is not None:
                    self._pending_free = None
            if orphan is not None:  # close() ran while we were inside: we free it
                self._free(orphan)
        return _ffi.take_envelope(pointer)

    # -- operations -----------------------------------------------------------------------

    def save_member(self, member: Member) -> "Saved":
        """Validates the member offline, resolves ``shop``, ``sale_shop``, ``level`` and
        ``customer`` given by name or number to ids (``label`` too with ``"labels":
        "resolve_to_ids"``; by default labels go as given), then saves it; returns
        Kingdee's answer (``id``, ``mobile``, ``name``, ...) as a :class:`Saved`. A save whose
        answer was lost is looked up before it is ever sent again, so a member is never saved
        twice by a retry."""
        envelope = self._call_envelope(_ffi.lib.jdy_member_save, _ffi.encode(member))
        return Saved(_ffi.unwrap(envelope), bool(envelope.get("recovered")),
                     bool(envelope.get("queued")))

    def get_member(self, *, id: Any = None, mobile: Any = None) -> Optional[Dict[str, Any]]:
        """One member by ``id`` or ``mobile``, or None when it does not exist."""
        query = {key: value for key, value in (("id", id), ("mobile", mobile))
                 if value is not None}
        return cast(Optional[Dict[str, Any]],
                    self._call(_ffi.lib.jdy_member_get, _ffi.encode(query)))

    def list_members(self, **filters: Any) -> Dict[str, Any]:
        """One page: ``{"count", "page", "page_size", "total_page", "rows"}``. Filters: ``id``,
        ``number``, ``name``, ``enable``, ``start_modified``, ``end_modified``, ``page`` (from
        1), ``page_size`` (1 to 100)."""
        return cast(Dict[str, Any], self._call(_ffi.lib.jdy_member_list, _ffi.encode(filters)))

    def iter_members(self, **filters: Any) -> Iterator[Dict[str, Any]]:
        """Every row matching the filters, fetching pages of 100 (or ``page_size``) lazily,
        starting at ``page`` (default 1)."""
        query = dict(filters)
        query.setdefault("page", 1)
        query.setdefault("page_size", 100)
        while True:
            data = self.list_members(**query)
            rows = data.get("rows") or []
            for row in rows:
                yield row
            if not rows or int(query["page"]) >= int(data.get("total_page") or 0):
                return
            query["page"] = int(query["page"]) + 1

    def save_members(self, members: Iterable[Member], concurrency: Optional[int] = None,
                     rate: Optional[float] = None) -> BatchResult:
        """Saves many members with the library's batch call: ``concurrency`` worker threads
        (1-64, default 4) sharing this client's token, at most ``rate`` requests per second.
        Invalid members are refused without being sent and do not stop the others, so this
        raises only for bad arguments; look at the returned :class:`BatchResult`."""
        options = {key: value for key, value in (("concurrency", concurrency), ("rate", rate))
                   if value is not None}
        data = self._call(_ffi.lib.jdy_member_save_batch, _ffi.encode(list(members)),
                          _ffi.encode(options) if options else None)
        return BatchResult(data["results"], data["saved"], data["refused"], data["failed"],
                           data.get("recovered", 0), data.get("queued", 0))

    # -- any other JDY endpoint, and the till's health --------------------------------------

    def call(self, method: str, path: str, query: Optional[Dict[str, Any]] = None,
             body: Any = None, idempotent: bool = False) -> Any:
        """Any JDY business API (``path`` starts with ``/jdy/``) through this client's signing,
        token, request budget, retries and decryption; returns Kingdee's ``data``. A GET is
        retried like a read; a POST only when it certainly did not arrive, or when
        ``idempotent`` is true (calls carrying Kingdee's ``src_bill_id``). Example:
        ``client.call("GET", "/jdy/v2/ls/store", {"page": 1})``."""
        request = {"method": method, "path": path, "idempotent": idempotent}
        if query is not None:
            request["query"] = query
        if body is not None:
            request["body"] = body
        return self._call(_ffi.lib.jdy_call, _ffi.encode(request))

    def doctor(self) -> Dict[str, Any]:
        """Checks configuration, DNS, TLS, clock skew, authorization, token, permission for
        each API used, and the request budget: ``{"checks": [{"name", "verdict", "detail",
        "advice"}], "failed": n, "warnings": n}``. Raises only for a closed client."""
        return cast(Dict[str, Any], self._call(_ffi.lib.jdy_doctor))

    # -- the offline outbox (needs the ``outbox_path`` configuration key) -------------------

    def outbox_add(self, member: Member) -> Dict[str, Any]:
        """Validates the member offline and keeps it durably in the outbox, to be saved by
        :meth:`outbox_flush` or the background flush: ``{"outbox_id", "state", "mobile",
        "queued_at"}``."""
        return cast(Dict[str, Any], self._call(_ffi.lib.jdy_outbox_add, _ffi.encode(member)))

    def outbox_flush(self, max: Optional[int] = None, deadline_ms: Optional[int] = None,
                     concurrency: Optional[int] = None) -> Dict[str, Any]:
        """Sends what the outbox holds, oldest first, exactly once each: ``{"saved",
        "recovered", "refused", "failed", "left"}``."""
        options = _present(max=max, deadline_ms=deadline_ms, concurrency=concurrency)
        return cast(Dict[str, Any], self._call(
            _ffi.lib.jdy_outbox_flush, _ffi.encode(options) if options else None))

    def outbox_status(self) -> Dict[str, Any]:
        """Counts per state, the oldest queued item's time and the last error."""
        return cast(Dict[str, Any], self._call(_ffi.lib.jdy_outbox_status))

    def outbox_list(self, state: Optional[str] = None, limit: Optional[int] = None,
                    after: Optional[str] = None) -> Dict[str, Any]:
        """Items, oldest first: ``{"items": [...], "count": n}``; ``after`` pages on."""
        query = _present(state=state, limit=limit, after=after)
        return cast(Dict[str, Any], self._call(
            _ffi.lib.jdy_outbox_list, _ffi.encode(query) if query else None))

    def outbox_retry(self, outbox_id: Optional[str] = None, member: Optional[Member] = None,
                     state: Optional[str] = None) -> Dict[str, Any]:
        """Queues a refused item again (``outbox_id``, optionally with the corrected
        ``member``), or every refused one (``state="refused"``)."""
        query = _present(outbox_id=outbox_id, member=member, state=state)
        return cast(Dict[str, Any], self._call(_ffi.lib.jdy_outbox_retry, _ffi.encode(query)))

    def outbox_discard(self, outbox_id: Optional[str] = None,
                       state: Optional[str] = None) -> Dict[str, Any]:
        """Gives up on an item (``outbox_id``) or every refused one (``state="refused"``);
        they stay in the outbox as ``discarded``, for the record."""
        query = _present(outbox_id=outbox_id, state=state)
        return cast(Dict[str, Any], self._call(_ffi.lib.jdy_outbox_discard, _ffi.encode(query)))


def validate_member(member: Member) -> "Validated":
    """The member exactly as it would be sent (mobile normalised, codes as strings, blanks
    dropped), or :class:`ValidationError` listing every broken field. Offline; no client.
    References given by name or number are kept as given and listed in ``.references``
    (``[{"field", "kind", "value"}]``): a save resolves them."""
    envelope = _ffi.take_envelope(_ffi.lib.jdy_member_validate(_ffi.encode(member)))
    return Validated(_ffi.unwrap(envelope), envelope.get("references") or [])


def _present(**values: Any) -> Dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _closed() -> ClientClosedError:
    return ClientClosedError("invalid_argument",
                             "this jdy_member.Client is closed; create a new Client")
