"""The binding itself: loading, C signatures, and a client's lifetime."""

import ctypes
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import jdy_member
from jdy_member import _ffi
from conftest import REPO, member

PACKAGE_DIR = Path(jdy_member.__file__).resolve().parent
LIBRARY = PACKAGE_DIR / _ffi.library_filename()


def python(code, env_changes, cwd):
    """Runs code in a fresh interpreter with the environment changed (None removes a key)."""
    env = dict(os.environ)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=str(cwd),
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          universal_newlines=True, timeout=60)


REPORT_IMPORT = """
import json
try:
    import jdy_member
    print(json.dumps({"version": jdy_member.__version__, "file": jdy_member.__file__}))
except ImportError as error:
    print(json.dumps({"error": type(error).__name__, "message": str(error),
                      "searched": getattr(error, "searched", None)}))
"""


def test_the_library_ships_inside_the_installed_package():
    assert LIBRARY.is_file(), "the wheel must carry the shared library"


def test_every_function_of_the_header_is_declared():
    # The header is the contract a C program sees; every function in it must be bound.
    header = (REPO / "include" / "jdy_member.h").read_text(encoding="utf-8")
    declared = re.findall(r"(?m)^([A-Za-z][\w *]*?)\b(jdy_\w+)\(([^)]*)\);", header)
    assert len(declared) >= 9
    for returns, name, _params in declared:
        argtypes, restype = _ffi.SIGNATURES[name]
        function = getattr(_ffi.lib, name)
        assert function.argtypes == argtypes and function.restype is restype, name
        returns = returns.strip()
        if returns == "char *":
            assert restype is ctypes.c_void_p, name + " returns an owned string"
        if name != "jdy_version" and returns == "const char *":
            pytest.fail(name + ": a new borrowed-string function needs a reviewed signature")
    assert {name for _, name, _ in declared} == set(_ffi.SIGNATURES)


def test_missing_library_lists_every_place_searched(tmp_path):
    nowhere = tmp_path / "nowhere" / _ffi.library_filename()
    result = python(REPORT_IMPORT, {"JDY_MEMBER_LIB": str(nowhere)}, tmp_path)
    report = json.loads(result.stdout)
    assert report["error"] == "LibraryNotFoundError"
    assert report["searched"] == [str(nowhere)]
    assert str(nowhere) in report["message"] and "JDY_MEMBER_LIB" in report["message"]


def test_package_without_its_library_says_where_it_looked(tmp_path):
    copy = tmp_path / "jdy_member"
    shutil.copytree(str(PACKAGE_DIR), str(copy),
                    ignore=shutil.ignore_patterns(_ffi.library_filename(), "__pycache__"))
    result = python(REPORT_IMPORT, {"JDY_MEMBER_LIB": None, "PYTHONPATH": str(tmp_path)},
                    tmp_path)
    report = json.loads(result.stdout)
    assert report["error"] == "LibraryNotFoundError"
    assert report["searched"] == [str(copy / _ffi.library_filename())]
    assert "pip install" in report["message"]


def test_a_file_that_is_not_a_library_is_reported(tmp_path):
    bogus = tmp_path / _ffi.library_filename()
    bogus.write_text("not a library")
    report = json.loads(python(REPORT_IMPORT, {"JDY_MEMBER_LIB": str(bogus)}, tmp_path).stdout)
    assert report["error"] == "LibraryNotFoundError" and "could not be loaded" in report["message"]


@pytest.mark.parametrize("target", ["file", "directory"])
def test_jdy_member_lib_selects_another_build(tmp_path, target):
    other = tmp_path / "other-build"
    other.mkdir()
    shutil.copy2(str(LIBRARY), str(other / LIBRARY.name))
    chosen = other / LIBRARY.name if target == "file" else other
    report = json.loads(python(REPORT_IMPORT, {"JDY_MEMBER_LIB": str(chosen)}, tmp_path).stdout)
    assert report["version"] == jdy_member.__version__


def test_unclosed_clients_are_freed_quietly_at_interpreter_exit(sandbox, tmp_path):
    code = """
import jdy_member
config = {config}
kept = jdy_member.Client(**config)           # a module global, alive at exit
kept.save_member({{"mobile": "13900000001", "name": "会员1"}})
cycle = jdy_member.Client(**config)
cycle.me = cycle                              # only the cycle collector can free it
used = jdy_member.Client(**config)
used.close()
""".format(config=repr(sandbox.config))
    result = python(code, {}, tmp_path)
    assert (result.returncode, result.stderr) == (0, "")


def test_context_manager_closes(client):
    with client as same:
        assert same is client and not client.closed
        assert "open" in repr(client)
    assert client.closed and "closed" in repr(client)


def test_use_after_close_raises(sandbox):
    client = jdy_member.Client(**sandbox.config)
    client.close()
    calls = [
        lambda: client.save_member(member(1)),
        lambda: client.get_member(mobile="13900000001"),
        lambda: client.list_members(),
        lambda: next(client.iter_members()),
        lambda: client.save_members([member(1)]),
    ]
    for call in calls:
        with pytest.raises(jdy_member.ClientClosedError) as caught:
            call()
        assert isinstance(caught.value, jdy_member.InvalidArgumentError)
        assert isinstance(caught.value, ValueError)
        assert caught.value.kind == "invalid_argument"
    assert sandbox.stats()["requests"] == 0


def test_double_close_raises(sandbox):
    client = jdy_member.Client(**sandbox.config)
    client.close()
    with pytest.raises(jdy_member.ClientClosedError):
        client.close()
    with client:  # leaving a with-block on a closed client is not a second close
        pass


def test_close_inside_with_block_is_fine(sandbox):
    with jdy_member.Client(**sandbox.config) as client:
        client.close()
    assert client.closed


def test_repr_never_shows_the_configuration(sandbox):
    with jdy_member.Client(**sandbox.config) as client:
        assert sandbox.config["client_secret"] not in repr(client)
