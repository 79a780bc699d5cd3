"""Output made outside any cell, shown in the cell it concerns.

An IPython kernel tags every output with the request it is handling, and JupyterLab shows an
output in the cell whose ``execute_request`` it belongs to. A widget's comm message is a request
of its own that belongs to no cell: what a comm handler prints or warns ends up in JupyterLab's
log console, below the level it shows by default. Remembering the cell's request and routing
output back to it (as the kernel does while that cell runs) puts it where the user looks.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from IPython.core import getipython


def _kernel_shell() -> Any:
    """IPython's shell when it runs in a kernel that routes output by request, else None."""
    get: Any = getipython.get_ipython  # typed in some IPython versions, not in others
    shell = get()
    return shell if hasattr(shell, "get_parent") and hasattr(shell, "set_parent") else None


def current_request() -> dict[str, Any] | None:
    """The request whose output the kernel is producing now (a running cell's
    ``execute_request``), or None outside a kernel."""
    shell = _kernel_shell()
    parent = shell.get_parent() if shell is not None else None
    return parent if isinstance(parent, dict) and parent.get("header") else None


@contextmanager
def output_to(request: dict[str, Any] | None) -> Iterator[None]:
    """While the block runs, what it prints, warns or displays belongs to ``request`` (shows in
    that cell); afterwards output goes where it went before. Without a kernel or a request, the
    block runs as is."""
    shell = _kernel_shell()
    if shell is None or request is None:
        yield
        return
    previous = shell.get_parent()
    shell.set_parent(request)
    try:
        yield
    finally:
        sys.stdout.flush()  # older ipykernels tag buffered output when it is sent
        sys.stderr.flush()
        shell.set_parent(previous)
