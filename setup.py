"""Builds the audit search kernel as an optional C extension, the way MarkupSafe builds its speedups.

The project's metadata is in pyproject.toml; this file only adds the extension
``flasksess_cli.audit._scan`` (``flasksess_cli/audit/_scan.c``). A compiler failure becomes a
warning and the package installs without it: ``audit cookie`` then runs the pure-Python twin
(``flasksess_cli/audit/scan.py``), slower. Under cibuildwheel (``CIBUILDWHEEL=1``) a failed build
is an error, since a wheel without the extension would be a broken release.

Compiled for the generic target, never ``-march=native``: a wheel runs on other machines, and
``-march=native`` made the SHA-NI path 50x slower where this was measured. The SHA-NI, AVX2 and
AVX-512 functions carry their own ``target`` attributes and are chosen at run time by CPUID;
elsewhere (ARM, MSVC) only the portable scalar engine is compiled.
"""

from __future__ import annotations

import os
import platform
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext
from setuptools.errors import CCompilerError, ExecError, PlatformError

ext_modules = [
    Extension(
        "flasksess_cli.audit._scan",
        sources=["flasksess_cli/audit/_scan.c"],
        depends=["flasksess_cli/audit/_scan_batch.h", "flasksess_cli/audit/_scan_simd.h"],
    )
]


class BuildFailed(Exception):
    pass


class optional_build_ext(build_ext):  # noqa: N801 - setuptools' naming
    """build_ext that reports a failed compile as BuildFailed instead of stopping the install."""

    def run(self) -> None:
        try:
            super().run()
        except PlatformError as e:
            raise BuildFailed() from e

    def build_extensions(self) -> None:
        if self.compiler.compiler_type != "msvc":
            for ext in self.extensions:
                ext.extra_compile_args = ["-O3", *ext.extra_compile_args]
        super().build_extensions()

    def build_extension(self, ext: Extension) -> None:
        try:
            super().build_extension(ext)
        except (CCompilerError, ExecError, PlatformError) as e:
            raise BuildFailed() from e
        except ValueError as e:
            # this can happen on Windows 64 bit, see Python issue 7511
            if "'path'" in str(sys.exc_info()[1]):
                raise BuildFailed() from e
            raise


def run_setup(with_binary: bool) -> None:
    setup(cmdclass={"build_ext": optional_build_ext}, ext_modules=ext_modules if with_binary else [])


def show_message(*lines: str) -> None:
    print("=" * 74)  # noqa: T201 - setup output
    for line in lines:
        print(line)  # noqa: T201
    print("=" * 74)  # noqa: T201


supports_speedups = platform.python_implementation() not in {"PyPy", "Jython", "GraalVM"}

if os.environ.get("CIBUILDWHEEL", "0") == "1" and supports_speedups:
    run_setup(True)
elif supports_speedups:
    try:
        run_setup(True)
    except BuildFailed:
        show_message(
            "WARNING: The C extension could not be compiled: flasksess audit cookie runs its pure-Python engine.",
            "Failure information, if any, is above.",
            "Retrying the build without the C extension now.",
        )
        run_setup(False)
        show_message(
            "WARNING: The C extension could not be compiled: flasksess audit cookie runs its pure-Python engine.",
            "Plain-Python build succeeded.",
        )
else:
    run_setup(False)
    show_message(
        "WARNING: C extensions are not supported on this Python: flasksess audit cookie runs its pure-Python engine.",
        "Plain-Python build succeeded.",
    )
