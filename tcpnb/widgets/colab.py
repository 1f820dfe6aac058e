"""Set a notebook up for the front end it runs in: Colab, JupyterLite or Jupyter.

Every course notebook starts with the same small code cell, written by
``tools/sync_notebooks.py`` from :func:`setup_cell_source`::

    import sys
    if "google.colab" in sys.modules:  # on Colab only: install tcpnb first
        %pip install --quiet "tcpnb @ git+https://github.com/tcpnb/tcpnb"
    import tcpnb; tcpnb.setup()

The install has to stay in the cell (before it runs, Colab has no tcpnb to
ask); the rest lives here, where a test can reach it with a fake
``google.colab`` module.  :func:`setup` prints one line saying what it did.

* **Colab** (``google.colab`` imported): widgets other than Colab's own
  built-in ipywidgets 7 models (anywidget, and so plotly's ``FigureWidget``)
  render only through Colab's *custom widget manager*, which is off until
  ``output.enable_custom_widget_manager()``.  Colab ships ipywidgets 7.7 and an
  older plotly; tcpnb accepts both, so pip upgrades nothing it need not, but if
  it did replace a package the kernel had already imported, the runtime must
  restart, and :func:`setup` says so.  Figures use plotly's ``colab``
  renderer: Colab's output frames have no plotly extension.
* **JupyterLite** (Pyodide: ``sys.platform == "emscripten"``): tcpnb and the
  captures are already in the browser; nothing to install.
* **JupyterLab, JupyterLite, and any other Jupyter front end**: figures use
  plotly's ``plotly_mimetype`` renderer, drawn by the front end's plotly
  extension with the plotly.js it has loaded once.  (Plotly's own default adds
  a copy of plotly.js to the first figure's output: measured in JupyterLite,
  Run All of notebook 01 took 6-7 s with it and 3.4 s without.)

A renderer named in ``$PLOTLY_RENDERER`` wins over all of this.  This module
must not import plotly or ipywidgets (the setup cell stays light): it sets
``$PLOTLY_RENDERER``, which plotly reads when ``plotly.io`` is first imported,
and sets the default directly only if ``plotly.io`` is already loaded.
"""

from __future__ import annotations

import importlib
import os
import sys
from importlib import metadata

_WATCHED = ("ipywidgets", "plotly", "anywidget", "traitlets")


#: front end -> the plotly renderer that suits it.
RENDERERS = {"colab": "colab", "jupyterlite": "plotly_mimetype", "jupyter": "plotly_mimetype"}


def in_colab() -> bool:
    """True inside a Google Colab kernel (which imports ``google.colab`` at start)."""
    return "google.colab" in sys.modules


def front_end() -> str:
    """``"colab"``, ``"jupyterlite"`` (Python in the browser, on Pyodide) or ``"jupyter"``."""
    if in_colab():
        return "colab"
    return "jupyterlite" if sys.platform == "emscripten" else "jupyter"


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


def _use_renderer(name: str) -> str:
    """Make ``name`` plotly's default renderer, unless ``$PLOTLY_RENDERER`` names one; say which."""
    chosen = os.environ.setdefault("PLOTLY_RENDERER", name)
    pio = sys.modules.get("plotly.io")
    if pio is not None:
        pio.renderers.default = chosen
    return chosen


def setup() -> None:
    """Prepare this kernel for the course and print one line saying what was done."""
    where = front_end()
    line = f"tcpnb {_version()}"
    if where == "colab":
        output = importlib.import_module("google.colab.output")
        output.enable_custom_widget_manager()
        line += " on Colab: custom widget manager enabled"
    elif where == "jupyterlite":
        line += " in JupyterLite (Python in this browser tab): nothing to install"
    else:
        line += ": nothing to install"
    line += f"; figures drawn by plotly's {_use_renderer(RENDERERS[where])!r} renderer."
    if where == "colab":
        stale = _stale_imports()
        if stale:
            line += (" Upgraded after import (" + ", ".join(stale) + "): choose Runtime > "
                     "Restart session, then run this cell again.")
    print(line)
