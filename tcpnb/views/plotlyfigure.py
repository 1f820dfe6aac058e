"""Build a plotly figure from plain data and layout dicts, without plotly's slow validation.

Every figure of :mod:`tcpnb.views` is first written as plain dicts (``data``: a
list of trace dicts, ``layout``: a dict), then wrapped in a ``go.Figure``.
plotly checks every property of every dict against its schema as it builds the
figure's objects, and copies the whole named template in each time; for a ladder
that is 30-150 ms, five to twenty times the cost of laying the figure out, and a
slider redraws the figure on every move.  :func:`make_figure` skips that check:

* the template is looked up once by name and its plotly JSON reused;
* empty lists of shapes or annotations are left out, as plotly leaves them out;
* everything else is handed to ``go.Figure(..., _validate=False)`` as it is.

The figure is the same: ``tests/test_plotlyfigure.py`` builds the course's
figures both ways (``VALIDATE = True`` is plotly's checked way) and compares
their JSON.  A property plotly does not know is not caught here; that test (and
any test run with ``VALIDATE = True``) catches it.  Once built, the figure checks
changes made to it as any plotly figure does.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go

#: Build figures the checked (slow) way: plotly validates every property.
VALIDATE = False


@functools.lru_cache(maxsize=8)
def _template(name: str) -> dict[str, Any]:
    """The plotly JSON of the registered template ``name`` (as a validated figure holds it)."""
    import plotly.io as pio

    return dict(pio.templates[name].to_plotly_json())


def make_figure(data: Sequence[dict[str, Any]], layout: dict[str, Any]) -> go.Figure:
    """``go.Figure(dict(data=data, layout=layout))``, the same figure, without validation."""
    if VALIDATE:
        return go.Figure(dict(data=list(data), layout=layout))
    layout = {key: value for key, value in layout.items()
              if not (isinstance(value, (list, tuple)) and not value)}
    template = layout.get("template")
    if isinstance(template, str):
        layout["template"] = copy.deepcopy(_template(template))
    figure = go.Figure(dict(data=list(data), layout=layout), _validate=False)
    # What is changed from now on (a learner's update_layout, say) is checked as usual.
    figure._validate = figure._layout_obj._validate = True
    for trace in figure.data:
        trace._validate = True
    return figure
