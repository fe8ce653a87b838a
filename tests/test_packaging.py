"""The package packagers build: its metadata, an sdist that runs its own tests, a wheel without a compiler.

Debian, conda-forge and BlackArch build from the sdist and run the tests in it: the sdist
is built here with setuptools (the build backend pyproject.toml names), unpacked, and a
quick subset of its own tests runs inside it against its own copy of the package. The C
search kernel of ``audit cookie`` is optional: without a compiler the wheel is pure Python,
except under cibuildwheel, where that must fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from importlib.metadata import metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: A subset that needs the vectors, completions/, scripts/regenerate.py, conftest.py and the package.
QUICK = ["tests/test_keys.py", "tests/codec/test_cookie.py", "tests/test_docs.py", "tests/test_architecture.py"]


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    build = "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))"
    result = subprocess.run(
        [sys.executable, "-c", build, str(out)], cwd=ROOT, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, result.stderr
    return out / result.stdout.strip().splitlines()[-1]


def test_the_sdist_holds_what_its_tests_need(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
        modes = {member.name.split("/", 1)[1]: member.mode for member in archive.getmembers() if "/" in member.name}
    needed = {
        "LICENSE", "tests/conftest.py", "tests/vectors/cookies.jsonl", "completions/flasksess.bash",
        "completions/_flasksess", "completions/flasksess.fish", "scripts/test", "scripts/regenerate.py",
        "flasksess_cli/audit/known_keys.json", "flasksess_cli/py.typed",
        "flasksess_cli/integrations/mitmproxy_addon.py", "setup.py", "flasksess_cli/audit/_scan.c",
        "flasksess_cli/audit/_scan_batch.h", "flasksess_cli/audit/_scan_simd.h", "flasksess_cli/audit/scan.py",
    }  # fmt: skip
    assert needed <= names, sorted(needed - names)
    assert modes["scripts/test"] & 0o111, "scripts/test lost its executable bit"
    assert not [name for name in names if "__pycache__" in name or name.endswith((".pyc", ".so", ".pyd"))]


def test_a_quick_subset_of_the_sdists_own_tests_passes_inside_it(sdist: Path, tmp_path: Path) -> None:
    with tarfile.open(sdist) as archive:
        archive.extractall(tmp_path, filter="data")
    unpacked = tmp_path / sdist.name.removesuffix(".tar.gz")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [sys.executable, "-c", "import flasksess_cli; print(flasksess_cli.__file__)"],
        cwd=unpacked, capture_output=True, text=True, timeout=60, check=True, env=env,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(unpacked), "the tests would run against another copy"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *QUICK],
        cwd=unpacked, capture_output=True, text=True, timeout=600, check=False, env=env,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert " passed" in result.stdout.splitlines()[-1]


def test_metadata_packagers_read() -> None:
    meta = metadata("flasksess")
    assert meta["License-Expression"] == "BSD-3-Clause"
    assert "LICENSE" in (meta.get_all("License-File") or [])
    assert "Typing :: Typed" in (meta.get_all("Classifier") or [])
    assert any("Flask" in r and "!=3.1.0" in r for r in meta.get_all("Requires-Dist") or [])
    assert meta["Requires-Python"] == ">=3.10"
    assert "flask" in (meta["Keywords"] or "")


def clean_copy(target: Path) -> Path:
    """The sources without build/ or a built kernel: pip builds a local tree in place, and a leftover would
    hide a failed compile."""
    ignore = shutil.ignore_patterns("*.so", "*.pyd", "__pycache__", "build", "dist", "*.egg-info", ".venv*", ".*cache")
    target.mkdir(parents=True)
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "flasksess_cli"):
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=ignore)
        else:
            shutil.copy2(source, target / name)
    return target


def build_wheel(source: Path, out: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    build = "import sys; from setuptools import build_meta; print(build_meta.build_wheel(sys.argv[1]))"
    return subprocess.run(
        [sys.executable, "-c", build, str(out)], cwd=source, capture_output=True, text=True, timeout=600, check=False,
        env=env,
    )  # fmt: skip


def test_without_a_compiler_the_wheel_is_pure_python_and_a_release_build_fails(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "CIBUILDWHEEL"} | {"CC": "/bin/false", "CXX": "/bin/false"}
    built = build_wheel(clean_copy(tmp_path / "src"), tmp_path / "wheels", env)
    assert built.returncode == 0, built.stderr[-2000:]
    assert "The C extension could not be compiled" in built.stdout + built.stderr
    (wheel,) = (tmp_path / "wheels").glob("flasksess-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert wheel.name.endswith("-py3-none-any.whl")
    assert "flasksess_cli/audit/scan.py" in names
    assert not [n for n in names if n.endswith((".so", ".pyd"))], "no compiler, yet the wheel holds the kernel"
    release = build_wheel(clean_copy(tmp_path / "again"), tmp_path / "release", env | {"CIBUILDWHEEL": "1"})
    assert release.returncode != 0, "under cibuildwheel a wheel without the kernel must not be built"
