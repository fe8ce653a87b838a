"""TAB completion callbacks for values that name files.

Cheap to import: click's own ``click.Path`` type looks up translations when it is
built, which would cost every start-up a few milliseconds.
"""

from __future__ import annotations

import os
from typing import Any

import click


def complete_path(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """The shell completes file names (what click.Path offers, without building one at every start-up)."""
    from click.shell_completion import CompletionItem

    return [CompletionItem(incomplete, type="file")]


def complete_at_file(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    """TAB completion for ``@FILE`` values: list the directory being typed, nothing else."""
    from click.shell_completion import CompletionItem

    if not incomplete.startswith("@"):
        return []
    directory, _, prefix = incomplete[1:].rpartition("/")
    try:
        names = sorted(os.listdir(directory or "."))
    except OSError:
        return []
    items = []
    for name in names:
        if name.startswith(prefix) and (prefix.startswith(".") or not name.startswith(".")):
            path = f"{directory}/{name}" if directory else name
            items.append(CompletionItem("@" + path + ("/" if os.path.isdir(path) else "")))
    return items
