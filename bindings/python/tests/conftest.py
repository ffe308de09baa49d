"""Fixtures: the sandbox gateway as a subprocess of the `jdy-member sandbox` command.

The tests exercise the installed package (run them from outside the source tree); they use
the sandbox's fake credentials only and never print a secret.
"""

import json
import os
import queue
import subprocess
import threading
import urllib.request
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import jdy_member

REPO = Path(__file__).resolve().parents[3]


def find_or_build_cli() -> str:
    """The CLI from $JDY_MEMBER_CLI, <repo>/target/debug, or a cargo build (which also honours
    CARGO_TARGET_DIR: cargo's own messages name the executable)."""
    given = os.environ.get("JDY_MEMBER_CLI")
    if given:
        return given
    default = REPO / "target" / "debug" / "jdy-member"
    if default.is_file():
        return str(default)
    output = subprocess.run(
        ["cargo", "build", "-p", "jdy-member-cli", "--bin", "jdy-member",
         "--message-format=json-render-diagnostics"],
        cwd=str(REPO), stdout=subprocess.PIPE, universal_newlines=True, check=True).stdout
    for line in output.splitlines():
        message = json.loads(line) if line.startswith("{") else {}
        if message.get("reason") == "compiler-artifact" and message.get("executable"):
            if message["target"]["name"] == "jdy-member":
                return message["executable"]
    raise RuntimeError("cargo built no jdy-member executable")


class Gateway:
    """The running sandbox: its client configurations and its unsigned HTTP controls."""

    def __init__(self, announcement: Dict[str, Any]) -> None:
        self.base_url = announcement["base_url"]  # type: str
        # No token cache file and no client-side request budget: each test counts its own
        # token calls and is not paced (tests of those features set them).
        quiet = {"token_cache_path": None, "request_budget": None}
        self.config = dict(announcement["config"], **quiet)  # type: Dict[str, Any]
        self.config_outer = dict(announcement["config_outer"], **quiet)  # type: Dict[str, Any]

    def _control(self, method: str, name: str, body: Any = None) -> Any:
        data = None if method in ("GET", "DELETE") else json.dumps(body or {}).encode("utf-8")
        request = urllib.request.Request(self.base_url + "/__sandbox/" + name, data=data,
                                         method=method)
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read().decode("utf-8"))

    def stats(self) -> Dict[str, Any]:
        return self._control("GET", "stats")

    def members(self) -> Any:
        return self._control("GET", "members")

    def reset(self) -> None:
        self._control("POST", "reset")

    def expire_tokens(self) -> None:
        self._control("POST", "expire_tokens")

    def rotate_app_secret(self, secret: str) -> None:
        self._control("POST", "rotate_app_secret", {"app_secret": secret})

    def inject(self, **rule: Any) -> None:
        """Makes the next matching requests fail (see "Fault injection" in the sandbox
        package, crates/sandbox/src/lib.rs)."""
        self._control("POST", "faults", rule)

    def behave(self, **switches: Any) -> None:
        """Switches Kingdee's undocumented behaviours (reset restores the defaults)."""
        self._control("POST", "behaviour", switches)

    def clear_faults(self) -> None:
        self._control("DELETE", "faults")


@pytest.fixture(scope="session")
def gateway() -> Iterator[Gateway]:
    # The documented gateway without its rate limits (a test of a limit sets it itself).
    limits_off = json.dumps({"account_budget": None, "token_limit": None})
    process = subprocess.Popen([find_or_build_cli(), "sandbox", "--port", "0",
                                "--behaviour", limits_off],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                               universal_newlines=True, encoding="utf-8")
    lines = queue.Queue()  # type: queue.Queue
    threading.Thread(target=lambda: lines.put(process.stdout.readline()), daemon=True).start()
    try:
        first = lines.get(timeout=60)
        if not first:
            raise RuntimeError("the sandbox exited before announcing itself (exit {})"
                               .format(process.wait()))
        yield Gateway(json.loads(first))
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture
def sandbox(gateway: Gateway) -> Gateway:
    """The gateway with an empty member store, zeroed counters and no pending faults (issued
    tokens survive)."""
    gateway.reset()
    gateway.clear_faults()
    return gateway


@pytest.fixture
def client(sandbox: Gateway) -> Iterator[jdy_member.Client]:
    """A fresh client in direct mode, so it fetches its own token."""
    with jdy_member.Client(**sandbox.config) as made:
        yield made


def member(index: int, **extra: Any) -> Dict[str, Any]:
    """A valid member with a distinct mobile per index."""
    made = {"mobile": "139{:08d}".format(index), "name": "会员{}".format(index)}
    made.update(extra)
    return made
