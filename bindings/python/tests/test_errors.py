"""Each exception class, raised by a real failure wherever one can be provoked."""

import pickle
import socket
import time

import pytest

import jdy_member
from conftest import member

LIST_PATH = "/jdy/v2/ls/member"


def no_retries(config):
    """The configuration with the core's own retries off, so one fault gives one error."""
    return dict(config, max_retries=0)


def test_kind_mapping_is_complete_and_documented():
    expected = {
        "invalid_argument": jdy_member.InvalidArgumentError,
        "validation": jdy_member.ValidationError,
        "config": jdy_member.ConfigError,
        "auth": jdy_member.AuthError,
        "api": jdy_member.ApiError,
        "rate_limited": jdy_member.RateLimitedError,
        "server": jdy_member.ServerError,
        "network": jdy_member.NetworkError,
        "timeout": jdy_member.NetworkError,
        "internal": jdy_member.InternalError,
    }
    assert jdy_member.KIND_TO_CLASS == expected
    for cls in set(expected.values()):
        assert issubclass(cls, jdy_member.JdyError)
    assert issubclass(jdy_member.InvalidArgumentError, ValueError)
    assert issubclass(jdy_member.ValidationError, ValueError)


@pytest.mark.parametrize("kind", sorted(jdy_member.KIND_TO_CLASS) + ["a_future_kind"])
def test_envelope_becomes_its_class_with_every_detail(kind):
    from jdy_member._errors import error_from_envelope
    envelope = {"ok": False, "error": {"kind": kind, "message": "m", "retryable": True,
                                       "errcode": 4008, "description": "签名错误",
                                       "http_status": 519}}
    error = error_from_envelope(envelope)
    assert type(error) is jdy_member.KIND_TO_CLASS.get(kind, jdy_member.JdyError)
    assert (error.kind, str(error), error.errcode, error.description, error.retryable,
            error.http_status) == (kind, "m", 4008, "签名错误", True, 519)
    assert error.envelope is envelope
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and copy.envelope == envelope


def test_internal_error_from_a_library_bug():
    # The core turns a panic into kind `internal`; no public input causes one, so the
    # binding's own guard against a broken promise stands in for it.
    from jdy_member import _ffi
    from jdy_member._errors import error_from_envelope
    with pytest.raises(jdy_member.InternalError):
        _ffi.take_envelope(None)
    assert type(error_from_envelope({"ok": False})) is jdy_member.InternalError
    error = jdy_member.InternalError("internal", "bug")
    assert error.envelope == {"ok": False, "error": {"kind": "internal", "message": "bug",
                                                     "retryable": False}}


def test_invalid_argument_error():
    with pytest.raises(jdy_member.InvalidArgumentError) as caught:
        jdy_member.validate_member([member(1)])
    assert isinstance(caught.value, ValueError) and caught.value.kind == "invalid_argument"
    with pytest.raises(jdy_member.InvalidArgumentError):
        jdy_member.validate_member({"mobile": "13333333333", "name": "\ud800"})  # lone surrogate


def test_config_error_lists_every_problem():
    with pytest.raises(jdy_member.ConfigError) as caught:
        jdy_member.Client(client_id="x", app_secert="y")
    message = str(caught.value)
    assert "client_secret" in message and "app_secret" in message  # missing, and a suggestion
    assert caught.value.kind == "config" and not caught.value.retryable


def test_auth_error_for_a_wrong_secret_never_shows_it(sandbox):
    wrong = dict(sandbox.config, client_secret="wrong-secret-value-not-real")
    with jdy_member.Client(**wrong) as client:
        with pytest.raises(jdy_member.AuthError) as caught:
            client.save_member(member(1))
    error = caught.value
    assert error.errcode == 4008 and error.http_status == 519
    text = repr(error) + str(error) + repr(error.envelope)
    assert "wrong-secret-value-not-real" not in text
    assert sandbox.config["client_secret"] not in text


def test_api_error_for_an_unknown_authorization(sandbox):
    unknown = dict(sandbox.config_outer, outer_instance_id="no-such-instance")
    with jdy_member.Client(**unknown) as client:
        with pytest.raises(jdy_member.ApiError) as caught:
            client.save_member(member(1))
    assert caught.value.errcode == 1030002001 and not caught.value.retryable


def test_a_rate_limit_is_waited_out_within_the_deadline(sandbox):
    sandbox.inject(path=LIST_PATH, fault={"kind": "rate_limited"})
    with jdy_member.Client(**no_retries(sandbox.config)) as client:
        started = time.monotonic()
        assert client.list_members()["count"] == 0
    # The 429 said "Retry-After: 1": waited for, not counted as one of the retries.
    assert time.monotonic() - started >= 1.0


def test_rate_limited_error_when_the_deadline_comes_first(sandbox):
    sandbox.inject(path=LIST_PATH, times=100, fault={"kind": "rate_limited"})
    config = dict(no_retries(sandbox.config), deadline_ms=1500)
    with jdy_member.Client(**config) as client:
        with pytest.raises(jdy_member.RateLimitedError) as caught:
            client.list_members()
    assert caught.value.retryable and caught.value.http_status == 429
    assert "已被限流" in caught.value.description


def test_server_error(sandbox):
    sandbox.inject(path=LIST_PATH, fault={"kind": "status", "status": 503})
    with jdy_member.Client(**no_retries(sandbox.config)) as client:
        with pytest.raises(jdy_member.ServerError) as caught:
            client.list_members()
    assert caught.value.retryable and caught.value.http_status == 503


def test_network_error_when_the_connection_drops(sandbox):
    sandbox.inject(path=LIST_PATH, fault={"kind": "drop_before_processing"})
    with jdy_member.Client(**no_retries(sandbox.config)) as client:
        with pytest.raises(jdy_member.NetworkError) as caught:
            client.list_members()
    assert caught.value.kind == "network" and caught.value.retryable


def test_network_error_when_nothing_listens():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    config = {"client_id": "fake-client-id", "client_secret": "fake-client-secret-not-real",
              "outer_instance_id": "fake-instance", "max_retries": 0,
              "base_url": "http://127.0.0.1:{}".format(port)}
    with jdy_member.Client(**config) as client:
        with pytest.raises(jdy_member.NetworkError) as caught:
            client.get_member(mobile="13333333333")
    assert caught.value.kind == "network" and caught.value.retryable


def test_timeout_is_a_network_error(sandbox):
    sandbox.inject(path=LIST_PATH, fault={"kind": "delay", "ms": 3000})
    with jdy_member.Client(**dict(no_retries(sandbox.config), timeout_ms=300)) as client:
        with pytest.raises(jdy_member.NetworkError) as caught:
            client.list_members()
    assert caught.value.kind == "timeout" and caught.value.retryable
