"""Builds the `jdy-member` wheel: compiles the Rust library and ships it inside the package.

The package loads the library with ctypes, so it is no Python extension module: the build
step is one `cargo build --release --lib` at the repository root (two directories up) and a
copy of the resulting shared library next to `jdy_member/__init__.py`. Cargo's own JSON
messages name the built file, so `CARGO_TARGET_DIR` and a shared `target/` both just work.

The wheel is tagged `py3-none-<platform>`: it holds native code for one platform but no
CPython ABI, so one wheel serves every Python 3 on that platform.

Release wheels (scripts/dist) are built without cargo, from libraries already built and
checked for their platform:
  JDY_MEMBER_PREBUILT_LIBRARY  path of the shared library to ship (jdy_member.dll,
                               libjdy_member.so or libjdy_member.dylib: the name says which)
  JDY_MEMBER_WHEEL_PLATFORM    the wheel's platform tag (win_amd64, win32, linux_x86_64, ...),
                               when it is not this machine's
"""

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

try:  # setuptools >= 70.1 carries bdist_wheel itself
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # older setuptools: the `wheel` package's command
    from wheel.bdist_wheel import bdist_wheel

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
PACKAGE = "jdy_member"
PREBUILT_ENV = "JDY_MEMBER_PREBUILT_LIBRARY"
PLATFORM_ENV = "JDY_MEMBER_WHEEL_PLATFORM"
LIBRARY_FILENAMES = ("jdy_member.dll", "libjdy_member.so", "libjdy_member.dylib")


def library_filename():
    """The cdylib's file name on this platform (cargo's naming)."""
    if sys.platform == "win32":
        return "jdy_member.dll"
    if sys.platform == "darwin":
        return "libjdy_member.dylib"
    return "libjdy_member.so"


def crate_version():
    """The Rust crate's version, so the wheel and the library it carries never disagree."""
    manifest = REPO / "Cargo.toml"
    try:
        text = manifest.read_text(encoding="utf-8")
    except OSError:
        raise SystemExit(
            "jdy-member: {} is missing. The Python package is built from a checkout of the "
            "jdy-member repository (pip install ./bindings/python). pip older than 21.3 copies "
            "the package to a temporary directory first, away from the Rust sources: upgrade "
            "pip (python -m pip install --upgrade 'pip>=21.3').".format(manifest)
        )
    # The version lives in [workspace.package]; [package] says `version.workspace = true`.
    section = text.split("[workspace.package]", 1)[-1] if "[workspace.package]" in text \
        else text.split("[package]", 1)[-1]
    found = re.search(r'^version\s*=\s*"([^"]+)"', section, re.MULTILINE)
    if not found or 'name = "jdy-member"' not in text:
        raise SystemExit("jdy-member: {} is not the jdy-member crate".format(manifest))
    return found.group(1)


def find_cargo():
    """cargo from $CARGO, PATH or rustup's default place (pip may run with a minimal PATH)."""
    candidates = [os.environ.get("CARGO"), shutil.which("cargo"),
                  str(Path.home() / ".cargo" / "bin" / "cargo")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return candidate
    raise SystemExit("jdy-member: cargo was not found (looked at $CARGO, PATH and "
                     "~/.cargo/bin); install Rust from https://rustup.rs and retry")


def cargo_build_library():
    """Runs the release build and returns the path of the shared library cargo produced."""
    command = [find_cargo(), "build", "--release", "--lib",
               "--message-format=json-render-diagnostics"]
    print("jdy-member: running {} in {}".format(" ".join(command[1:]), REPO), flush=True)
    process = subprocess.Popen(command, cwd=str(REPO), stdout=subprocess.PIPE,
                               universal_newlines=True)
    built = None
    for line in process.stdout:
        try:
            message = json.loads(line)
        except ValueError:
            continue
        target = message.get("target") or {}
        if (message.get("reason") == "compiler-artifact" and target.get("name") == PACKAGE
                and "cdylib" in target.get("kind", [])):
            for filename in message.get("filenames", []):
                if Path(filename).name == library_filename():
                    built = Path(filename)
    if process.wait() != 0:
        raise SystemExit("jdy-member: cargo build failed (exit {}); its messages are above"
                         .format(process.returncode))
    if built is None or not built.is_file():
        raise SystemExit("jdy-member: cargo succeeded but reported no "
                         + library_filename())
    return built


def prebuilt_library():
    """The library named by $JDY_MEMBER_PREBUILT_LIBRARY and the name it has in the package,
    or None when the variable is unset."""
    given = os.environ.get(PREBUILT_ENV)
    if not given:
        return None
    path = Path(given)
    if not path.is_file():
        raise SystemExit("jdy-member: {}={} is not a file".format(PREBUILT_ENV, given))
    for name in LIBRARY_FILENAMES:
        if path.name.endswith(Path(name).suffix):
            break
    else:
        raise SystemExit("jdy-member: {}={}: not a .dll, .so or .dylib".format(PREBUILT_ENV, given))
    platform = os.environ.get(PLATFORM_ENV, "")
    expected = {"win": ".dll", "linux": ".so", "manylinux": ".so", "macosx": ".dylib"}
    for prefix, suffix in sorted(expected.items(), key=lambda item: -len(item[0])):
        if platform.startswith(prefix) and path.suffix != suffix:
            raise SystemExit("jdy-member: a {} wheel needs a {} library, not {}"
                             .format(platform, suffix, path.name))
    return path, name


class BuildPyWithLibrary(build_py):
    """build_py that also builds the Rust library (or takes the prebuilt one) and copies it
    into the package."""

    def run(self):
        super().run()
        prebuilt = prebuilt_library()
        if prebuilt:
            library, filename = prebuilt
            print("jdy-member: packaging the prebuilt {} (no cargo build)".format(library),
                  flush=True)
        else:
            library, filename = cargo_build_library(), library_filename()
        if getattr(self, "editable_mode", False):  # pip install -e: next to the sources
            destination = HERE / "src" / PACKAGE
        else:
            destination = Path(self.build_lib) / PACKAGE
        destination.mkdir(parents=True, exist_ok=True)
        for stale in LIBRARY_FILENAMES:  # a build directory reused for another platform
            if (destination / stale).exists():
                (destination / stale).unlink()
        shutil.copy2(str(library), str(destination / filename))


class BinaryDistribution(Distribution):
    """Marks the distribution as platform-specific so it installs into platlib."""

    def has_ext_modules(self):
        return True


class PlatformWheel(bdist_wheel):
    """A wheel tagged for this platform but for any Python 3 (ctypes needs no CPython ABI)."""

    def finalize_options(self):
        if not self.plat_name and os.environ.get(PLATFORM_ENV):
            self.plat_name = os.environ[PLATFORM_ENV]  # a wheel for another platform
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(
    name="jdy-member",
    version=crate_version(),
    description="Save shop members into Kingdee JDY (金蝶精斗云) retail cloud: "
                "Python bindings over the jdy-member C library",
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="MIT OR Apache-2.0",
    python_requires=">=3.6",
    package_dir={"": "src"},
    packages=[PACKAGE],
    package_data={PACKAGE: ["py.typed"]},
    zip_safe=False,
    distclass=BinaryDistribution,
    cmdclass={"build_py": BuildPyWithLibrary, "bdist_wheel": PlatformWheel},
    classifiers=[
        "Programming Language :: Python :: 3",
        "Operating System :: POSIX :: Linux",
        "Operating System :: MacOS",
        "Operating System :: Microsoft :: Windows",
        "Typing :: Typed",
    ],
)
