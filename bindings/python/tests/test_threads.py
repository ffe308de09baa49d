"""One client shared by threads, and the token's life: one fetch, renewal, rotation."""

import threading

import pytest

import jdy_member
from conftest import member

THREADS = 8
PER_THREAD = 5


def run_threads(target):
    """Runs target(index) on THREADS threads started together; re-raises the first failure."""
    barrier = threading.Barrier(THREADS)
    failures = []

    def body(index):
        try:
            barrier.wait()
            target(index)
        except BaseException as error:  # noqa: B902 - reported below
            failures.append(error)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    if failures:
        raise failures[0]


@pytest.mark.parametrize("mode", ["config", "config_outer"])
def test_eight_threads_share_one_client_and_one_token(sandbox, mode):
    with jdy_member.Client(**getattr(sandbox, mode)) as client:
        run_threads(lambda t: [client.save_member(member(t * 100 + i))
                               for i in range(PER_THREAD)])
        stats = sandbox.stats()
        assert stats["token_calls"] == 1
        assert stats["authorize_calls"] == (1 if mode == "config_outer" else 0)
        assert stats["save_calls"] == THREADS * PER_THREAD
        assert sorted(stats["saves_by_mobile"].values()) == [1] * THREADS * PER_THREAD
        assert stats["rejections"] == {}


def test_expired_token_is_renewed_once(client, sandbox):
    client.save_member(member(1))
    sandbox.expire_tokens()
    run_threads(lambda t: client.save_member(member(10 + t)))
    stats = sandbox.stats()
    assert stats["token_calls"] == 2
    assert len(stats["saves_by_mobile"]) == THREADS + 1


def test_rotated_app_secret_is_fetched_again_in_outer_mode(sandbox):
    with jdy_member.Client(**sandbox.config_outer) as client:
        client.save_member(member(1))
        sandbox.rotate_app_secret("rotated-sandbox-secret-not-real")
        client.save_member(member(2))
    assert sandbox.stats()["authorize_calls"] == 2


def test_rotated_app_secret_is_an_auth_error_in_direct_mode(client, sandbox):
    client.save_member(member(1))
    sandbox.rotate_app_secret("rotated-sandbox-secret-not-real")
    with pytest.raises(jdy_member.AuthError) as caught:
        client.save_member(member(2))
    assert caught.value.errcode == 1030002006
    assert "rotated-sandbox-secret-not-real" not in repr(caught.value.envelope)


def test_close_racing_calls_on_other_threads_never_crashes(sandbox):
    client = jdy_member.Client(**sandbox.config)
    client.save_member(member(0))  # token in hand, so calls are quick
    started = threading.Event()
    outcomes = []

    def hammer(index):
        for i in range(200):
            try:
                client.get_member(mobile=member(0)["mobile"])
                outcomes.append("ok")
            except jdy_member.ClientClosedError:
                outcomes.append("closed")
                return
            finally:
                started.set()

    closer = threading.Thread(target=lambda: (started.wait(10), client.close()))
    closer.start()
    run_threads(hammer)
    closer.join(10)
    assert client.closed
    assert outcomes.count("closed") == THREADS  # each thread ended on a clean refusal
    assert "ok" in outcomes
