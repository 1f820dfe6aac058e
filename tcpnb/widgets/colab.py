"""Set a notebook up on Google Colab; anywhere else, do nothing and say so.

Every course notebook starts with the same small code cell, written by
``tools/sync_notebooks.py`` from :func:`setup_cell_source`::

    import sys
    if "google.colab" in sys.modules:  # on Colab only: install tcpnb first
        %pip install --quiet "tcpnb @ git+https://github.com/tcpnb/tcpnb"
    import tcpnb; tcpnb.setup()

The install has to stay in the cell (before it runs, Colab has no tcpnb to
ask); the rest lives here, where a test can reach it with a fake
``google.colab`` module.  What Colab needs, from its issue trackers:

* Widgets other than Colab's own built-in ipywidgets 7 models (anywidget, and
  so plotly's ``FigureWidget``) render only through Colab's *custom widget
  manager*, which is off until ``output.enable_custom_widget_manager()``.
* Colab ships ipywidgets 7.7 and an older plotly.  tcpnb accepts both, so pip
  upgrades nothing it need not; if it did replace a package that the kernel had
  already imported, the runtime must restart, and :func:`setup` says so.

This module must not import plotly or ipywidgets.
"""

from __future__ import annotations

import importlib
import sys
from importlib import metadata

_WATCHED = ("ipywidgets", "plotly", "anywidget", "traitlets")


def in_colab() -> bool:
    """True inside a Google Colab kernel (which imports ``google.colab`` at start)."""
    return "google.colab" in sys.modules


def setup_cell_source(repository: str) -> str:
    """The source of the setup cell for a notebook of the repository at ``repository``."""
    return (
        "import sys\n"
        'if "google.colab" in sys.modules:  # on Colab only: install tcpnb first\n'
        f'    %pip install --quiet "tcpnb @ git+{repository}"\n'
        "import tcpnb; tcpnb.setup()"
    )


def _stale_imports() -> list[str]:
    """Packages imported in this kernel whose installed version has since changed."""
    stale = []
    for name in _WATCHED:
        module = sys.modules.get(name)
        loaded = getattr(module, "__version__", None)
        if module is None or loaded is None:
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
        if installed != loaded:
            stale.append(f"{name} {loaded} -> {installed}")
    return stale


def _version() -> str:
    try:
        return metadata.version("tcpnb")
    except metadata.PackageNotFoundError:  # running from a source tree that is not installed
        return "(source tree)"


def setup() -> None:
    """Prepare this kernel for the course and print one line saying what was done."""
    if not in_colab():
        line = f"tcpnb {_version()}: not on Colab, nothing to set up."
    else:
        output = importlib.import_module("google.colab.output")
        output.enable_custom_widget_manager()
        line = f"tcpnb {_version()} on Colab: custom widget manager enabled."
        stale = _stale_imports()
        if stale:
            line += (" Upgraded after import (" + ", ".join(stale) + "): choose Runtime > "
                     "Restart session, then run this cell again.")
    print(line)
