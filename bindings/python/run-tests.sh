#!/usr/bin/env bash
# Tests the Python package as a user gets it: for the oldest and the newest Python 3 on this
# machine, a fresh venv, `pip install ./bindings/python` (which builds the Rust library),
# then pytest from a directory outside the source tree, so the installed copy is what runs.
#
# Pythons: every ${PYENV_ROOT:-~/.pyenv}/versions/*/bin/python3 plus python3 on PATH
# (3.6 or newer), or exactly the interpreters listed in $JDY_PYTHONS.
# The Rust release build is shared through cargo's usual target directory, so the second
# install does not rebuild it. Installs python3-venv when missing (Debian's python3 makes no
# venv without it); pip brings pytest and the build's setuptools from PyPI. Exits non-zero if
# anything fails.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
. "$repo/scripts/lib/common.sh"
started=$SECONDS

step "sandbox CLI (cargo build -p jdy-member-cli)"
(cd "$repo" && cargo build -p jdy-member-cli)
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$repo/$target_dir" ;; esac
export JDY_MEMBER_CLI="$target_dir/debug/jdy-member"
unset JDY_MEMBER_LIB  # test the library bundled in the installed package
export PYTHONDONTWRITEBYTECODE=1

mapfile -t found < <(list_pythons)
if [ "${#found[@]}" -eq 0 ]; then
    echo "no Python 3.6+ found (pyenv versions or python3 on PATH)" >&2
    exit 1
fi
chosen=("${found[0]}")
[ "${#found[@]}" -gt 1 ] && chosen+=("${found[${#found[@]}-1]}")

work="$(mktemp -d "${TMPDIR:-/tmp}/jdy-member-python.XXXXXX")"
trap 'rm -rf "$work"' EXIT

# Installs and tests with one interpreter in a fresh venv; returns non-zero on any failure.
test_with() {
    local version="$1" python="$2"
    local venv="$work/venv-$version" pin
    pin="$(pytest_pin "${version%.*}")"
    python_venv "$venv" "$python" || return 1
    local py="$venv/bin/python"
    # pip older than 21.3 builds in a copy of the directory, away from the Rust sources.
    if ! "$py" -c 'import sys, pip
sys.exit(tuple(int(p) for p in pip.__version__.split(".")[:2]) < (21, 3))'; then
        "$py" -m pip install -q --disable-pip-version-check --upgrade "pip>=21.3" || return 1
    fi
    echo "pip install ./bindings/python $pin (builds the Rust library unless it is up to date)"
    (cd "$repo" && "$py" -m pip install -q --disable-pip-version-check ./bindings/python "$pin") \
        || return 1
    mkdir -p "$work/run-$version" "$work/elsewhere-$version"
    (cd "$work/run-$version" && "$py" -m pytest -p no:cacheprovider -q "$here/tests") \
        | tee "$work/pytest-$version.log" || return 1
    (cd "$work/elsewhere-$version" && "$py" -c 'import sys, jdy_member
assert jdy_member.__file__.startswith(sys.prefix), "not installed: " + jdy_member.__file__
print(jdy_member.__version__)')
}

summary=()
failed=0
for entry in "${chosen[@]}"; do
    version="${entry%% *}"
    began=$SECONDS
    step "Python $version (${entry#* })"
    status=0
    test_with "$version" "${entry#* }" || status=$?
    result="$(grep -E '(passed|failed|error)' "$work/pytest-$version.log" 2>/dev/null \
        | tail -1 || true)"
    if [ "$status" -eq 0 ]; then
        summary+=("Python $version: $result ($((SECONDS - began)) s with venv and install)")
    else
        summary+=("Python $version: FAILED ${result} ($((SECONDS - began)) s)")
        failed=1
    fi
done

step "summary ($((SECONDS - started)) s in all)"
printf '%s\n' "${summary[@]}"
exit "$failed"
