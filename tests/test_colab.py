"""tcpnb.widgets.colab: the setup cell's logic, on a fake Colab and off Colab."""

from __future__ import annotations

import subprocess
import sys
import types

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from tcpnb.widgets import colab

REPO = "https://github.com/tcpnb/tcpnb"


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


def test_off_colab_setup_does_nothing_and_says_so_in_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert not colab.in_colab()
    colab.setup()
    out = capsys.readouterr().out
    assert "not on Colab, nothing to set up" in out
    assert out.count("\n") == 1 and out.endswith("\n")


def test_on_colab_setup_enables_the_custom_widget_manager(
        fake_colab: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert colab.in_colab()
    colab.setup()
    line = capsys.readouterr().out
    assert fake_colab == ["enable_custom_widget_manager"]
    assert "on Colab: custom widget manager enabled." in line
    assert "Restart" not in line


def test_on_colab_setup_asks_for_a_restart_when_an_imported_package_was_upgraded(
        fake_colab: list[str], monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    old = types.ModuleType("traitlets")
    old.__version__ = "0.0.1"  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "traitlets", old)
    colab.setup()
    line = capsys.readouterr().out
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
    assert "nothing to set up" in capsys.readouterr().out


def test_colab_module_imports_neither_plotly_nor_ipywidgets() -> None:
    code = ("import sys, tcpnb; tcpnb.setup(); "
            "print(sorted(m for m in ('plotly', 'ipywidgets') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "[]"
