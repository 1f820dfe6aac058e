"""The protocol core never loads plotting or widget libraries (fast start, clean layers)."""

from __future__ import annotations

import subprocess
import sys

CORE = ["tcpnb", "tcpnb.sim", "tcpnb.endpoint", "tcpnb.scenarios", "tcpnb.analysis", "tcpnb.quiz"]


def test_core_modules_do_not_import_plotly_or_ipywidgets() -> None:
    code = ("import sys\n" + "".join(f"import {m}\n" for m in CORE) +
            "bad = [m for m in ('plotly', 'ipywidgets', 'IPython') if m in sys.modules]\n"
            "print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
