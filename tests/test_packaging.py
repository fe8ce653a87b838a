"""The package builds without a C compiler (the search kernel is optional) and its sdist carries the kernel's sources.

Built from a clean copy of the sources (no ``build/``, no built module: pip builds a local
directory in place, and a leftover would hide a failed compile), as a user's pip would.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ["pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "LICENSE", "flasksess_cli"]


def clean_copy(target: Path) -> Path:
    target.mkdir(parents=True)
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, target / name, ignore=shutil.ignore_patterns("*.so", "*.pyd", "__pycache__"))
        elif source.exists():
            shutil.copy2(source, target / name)
    return target


def pip(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pip", *args, "--no-deps", "--quiet", "--disable-pip-version-check"],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip


def test_without_a_compiler_the_wheel_is_pure_python_and_a_release_build_fails(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src")
    env = {k: v for k, v in os.environ.items() if k != "CIBUILDWHEEL"} | {"CC": "/bin/false"}
    built = pip("wheel", ".", "-w", str(tmp_path / "wheels"), cwd=source, env=env)
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "wheels").glob("flasksess-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "flasksess_cli/audit/scan.py" in names
    assert not [n for n in names if "_scan" in n], "no compiler, yet the wheel holds the kernel"
    assert wheel.name.endswith("-py3-none-any.whl")
    release = pip("wheel", ".", "-w", str(tmp_path / "release"), cwd=clean_copy(tmp_path / "again"),
                  env=env | {"CIBUILDWHEEL": "1"})  # fmt: skip
    assert release.returncode != 0, "a release build (cibuildwheel) must fail without the kernel"


def test_the_sdist_carries_the_kernel_sources(tmp_path: Path) -> None:
    source = clean_copy(tmp_path / "src")
    made = subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "--outdir", str(tmp_path / "dist"), str(source)],
        capture_output=True, text=True, timeout=600, check=False,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr[-2000:]
    (sdist,) = (tmp_path / "dist").glob("flasksess-*.tar.gz")
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
    for name in ("setup.py", "flasksess_cli/audit/_scan.c", "flasksess_cli/audit/_scan_batch.h",
                 "flasksess_cli/audit/_scan_simd.h", "flasksess_cli/audit/scan.py"):  # fmt: skip
        assert any(n.endswith(name) for n in names), name
