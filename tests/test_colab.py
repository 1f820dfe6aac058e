"""tcpnb.widgets.colab: the setup cell's logic on a fake Colab, in JupyterLite, in Jupyter;
and a control panel under Colab's ipywidgets 7.7 as well as under ipywidgets 8."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from tcpnb.widgets import colab

REPO = "https://github.com/tcpnb/tcpnb"


@pytest.fixture(autouse=True)
def renderer(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """setup() sets $PLOTLY_RENDERER and plotly's default renderer: undo both after each test."""
    monkeypatch.setenv("PLOTLY_RENDERER", "")  # recorded, so that the undo removes it again
    monkeypatch.delenv("PLOTLY_RENDERER")
    pio = sys.modules.get("plotly.io")
    if pio is not None:
        monkeypatch.setattr(pio.renderers, "default", pio.renderers.default)
    yield


@pytest.fixture
def fake_colab(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Install a fake ``google.colab`` package; returns the list of calls made to it."""
    calls: list[str] = []
    google = types.ModuleType("google")
    package = types.ModuleType("google.colab")
    output = types.ModuleType("google.colab.output")
    output.enable_custom_widget_manager = lambda: calls.append("enable_custom_widget_manager")  # type: ignore[attr-defined]
    package.output = output  # type: ignore[attr-defined]
    google.colab = package  # type: ignore[attr-defined]
    for name, module in [("google", google), ("google.colab", package),
                         ("google.colab.output", output)]:
        monkeypatch.setitem(sys.modules, name, module)
    return calls


def _one_line(capsys: pytest.CaptureFixture[str]) -> str:
    out = capsys.readouterr().out
    assert out.count("\n") == 1 and out.endswith("\n"), out
    return out


def test_in_jupyter_setup_installs_nothing_and_picks_the_mimetype_renderer(
        capsys: pytest.CaptureFixture[str]) -> None:
    assert colab.front_end() == "jupyter" and not colab.in_colab()
    colab.setup()
    line = _one_line(capsys)
    assert "nothing to install" in line and "'plotly_mimetype' renderer" in line
    assert os.environ["PLOTLY_RENDERER"] == "plotly_mimetype"
    import plotly.io as pio

    assert pio.renderers.default == "plotly_mimetype"


def test_in_jupyterlite_setup_says_so_and_picks_the_mimetype_renderer(
        monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "platform", "emscripten")  # what Pyodide reports
    assert colab.front_end() == "jupyterlite"
    colab.setup()
    line = _one_line(capsys)
    assert "in JupyterLite" in line and "'plotly_mimetype' renderer" in line


def test_on_colab_setup_enables_the_custom_widget_manager_and_the_colab_renderer(
        fake_colab: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert colab.front_end() == "colab"
    colab.setup()
    line = _one_line(capsys)
    assert fake_colab == ["enable_custom_widget_manager"]
    assert "on Colab: custom widget manager enabled" in line and "'colab' renderer" in line
    assert "Restart" not in line
    assert os.environ["PLOTLY_RENDERER"] == "colab"


def test_a_renderer_the_user_chose_wins(monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("PLOTLY_RENDERER", "svg")
    colab.setup()
    assert "'svg' renderer" in _one_line(capsys)
    import plotly.io as pio

    assert pio.renderers.default == "svg"


def test_on_colab_setup_asks_for_a_restart_when_an_imported_package_was_upgraded(
        fake_colab: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    old = types.ModuleType("traitlets")
    old.__version__ = "0.0.1"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "traitlets", old)
    colab.setup()
    line = _one_line(capsys)
    assert "traitlets 0.0.1 -> " in line and "Restart session" in line


def _run_cell(source: str, pip_calls: list[str]) -> None:
    """Run a cell's source as IPython would, with %pip recorded instead of run."""
    code = TransformerManager().transform_cell(source)

    class Shell:
        def run_line_magic(self, name: str, line: str) -> None:
            pip_calls.append(f"%{name} {line}")

    exec(compile(code, "<setup cell>", "exec"), {"get_ipython": Shell})


def test_the_setup_cell_installs_from_the_repository_only_on_colab(
        fake_colab: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    source = colab.setup_cell_source(REPO)
    pip_calls: list[str] = []
    _run_cell(source, pip_calls)
    assert pip_calls == [f'%pip install --quiet "tcpnb @ git+{REPO}"']
    assert fake_colab == ["enable_custom_widget_manager"]
    assert "on Colab" in capsys.readouterr().out


def test_the_setup_cell_installs_nothing_elsewhere(capsys: pytest.CaptureFixture[str]) -> None:
    pip_calls: list[str] = []
    _run_cell(colab.setup_cell_source(REPO), pip_calls)
    assert pip_calls == []
    assert "nothing to install" in capsys.readouterr().out


def test_setup_imports_neither_plotly_nor_ipywidgets_and_plotly_follows_it_later() -> None:
    code = ("import sys, tcpnb; tcpnb.setup(); "
            "print(sorted(m for m in ('plotly', 'ipywidgets') if m in sys.modules)); "
            "import plotly.io as pio; print(pio.renderers.default)")
    env = {k: v for k, v in os.environ.items() if k != "PLOTLY_RENDERER"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True, env=env)
    assert out.stdout.splitlines()[-2:] == ["[]", "plotly_mimetype"]


# ------------------------------------------------------- Colab's ipywidgets 7.7, and 8
PANEL = """
import json, sys, types
if sys.argv[1] == "colab":  # a fake google.colab, as in the tests above
    calls = []
    google, package, output = (types.ModuleType(n) for n in
                               ("google", "google.colab", "google.colab.output"))
    output.enable_custom_widget_manager = lambda: calls.append("enabled")
    package.output, google.colab = output, package
    sys.modules.update({"google": google, "google.colab": package, "google.colab.output": output})
import tcpnb
tcpnb.setup()
import ipywidgets
panel = tcpnb.explore("syn_lost", delay=0.2)
before = panel.output.outputs[0]["data"]
panel.controls["delay"].value = 0.4          # what moving the slider does
panel.flush()                                # the redraw a kernel would run next
after = panel.output.outputs[0]["data"]
print(json.dumps({"ipywidgets": ipywidgets.__version__, "kinds": sorted(after),
                  "changed": before != after, "status": panel.status.value}))
"""


@pytest.fixture(scope="module")
def ipywidgets_7(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding Colab's ipywidgets 7.7 (with ipython_genutils, which 7.x imports)."""
    target = tmp_path_factory.mktemp("ipywidgets7")
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                    "--target", str(target), "ipywidgets==7.7.*", "ipython_genutils"],
                   check=True, capture_output=True)
    return target


@pytest.mark.parametrize("where", ["colab", "jupyter"])
@pytest.mark.parametrize("major", ["7.7", "8"])
def test_a_panel_redraws_under_ipywidgets_7_7_and_8(
        major: str, where: str, ipywidgets_7: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PLOTLY_RENDERER"}
    if major == "7.7":
        env["PYTHONPATH"] = str(ipywidgets_7)
    done = subprocess.run([sys.executable, "-W", "error", "-c", PANEL, where],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    first, *_, last = done.stdout.splitlines()
    shown = json.loads(last)
    assert shown["ipywidgets"].startswith(major + ".")
    assert shown["changed"] and "⚠" not in shown["status"]
    if where == "colab":  # Colab's frames have no plotly extension: a page that loads plotly.js
        assert "on Colab" in first and shown["kinds"] == ["text/html", "text/plain"]
    else:
        assert shown["kinds"] == ["application/vnd.plotly.v1+json", "text/plain"]
