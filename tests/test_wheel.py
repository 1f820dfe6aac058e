"""The wheel carries what the notebooks need: ``pip install tcpnb`` alone runs the whole course.

Builds tcpnb's wheel (tools/lite_wheels.build_wheel, from a clean copy of the repository),
checks that it carries the captures of the Linux kernel byte for byte, installs it into a fresh
venv outside the repository, copies ``notebooks/`` there and executes every notebook from that
copy with nbclient, on a kernel of that venv.  Also: the one capture loader, and what a missing
optional package says.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
import venv
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tcpnb import real

ROOT = Path(__file__).resolve().parent.parent
CAPTURES = ROOT / "tcpnb" / "real" / "captures"
sys.path.insert(0, str(ROOT / "tools"))
import lite_wheels  # noqa: E402

EXECUTE = """
import json, sys, time
from pathlib import Path
import nbformat
from nbclient import NotebookClient

folder = Path(sys.argv[1])
for path in sorted(folder.glob("[0-9][0-9]_*.ipynb")):
    started = time.perf_counter()
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("import sys, tcpnb; print(tcpnb.__file__)"))
    NotebookClient(nb, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(folder)}}).execute()
    print(json.dumps({"notebook": path.name, "tcpnb": nb.cells[-1].outputs[0]["text"].strip(),
                      "seconds": round(time.perf_counter() - started, 1)}), flush=True)
"""


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return lite_wheels.build_wheel(tmp_path_factory.mktemp("wheel"))


def test_the_wheel_carries_the_captures_byte_for_byte(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        packed = {Path(n).name: _digest(archive.read(n)) for n in archive.namelist()
                  if n.startswith("tcpnb/real/captures/")}
    source = {p.name: _digest(p.read_bytes()) for p in CAPTURES.iterdir() if p.is_file()}
    assert packed == source
    # every scenario that data/make_captures.py records is there, as pcap and summary
    text = (ROOT / "data" / "make_captures.py").read_text()
    scenarios = set(real.RUNS)
    assert {f"{s}{x}" for s in scenarios for x in (".pcap", ".json")} | {"environment.json"} \
        == set(packed), "tcpnb.real.RUNS and the captures disagree"
    assert all(f'"{s}"' in text or f"def {s}(" in text for s in scenarios)


def test_the_one_capture_loader(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert real.captures_dir() == CAPTURES  # inside the package, found by importlib.resources
    assert real.summary("syn_lost")["scenario"] == "syn_lost"
    assert real.summary("environment")["sysctls"]["net.ipv4.tcp_syn_retries"] == "6"
    assert len(real.kernel("syn_lost").transmissions) == 12
    with pytest.raises(ValueError, match=r"capture must be one of .*'syn_lost'.*got 'nope'"):
        real.summary("nope")
    (tmp_path / "mine.json").write_text(json.dumps({"scenario": "mine"}))
    monkeypatch.setenv("TCPNB_CAPTURES", str(tmp_path))  # captures of one's own machine
    assert real.summary("mine") == {"scenario": "mine"}
    with pytest.raises(ValueError, match="capture must be one of 'mine', got 'syn_lost'"):
        real.summary("syn_lost")


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A fresh venv (outside the repository) with the wheel, nbclient and ipykernel."""
    home = tmp_path_factory.mktemp("wheel-only")
    assert ROOT not in home.parents
    venv.create(home / "venv", with_pip=True)
    python = home / "venv" / "bin" / "python"
    started = time.perf_counter()
    subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    str(wheel), "nbclient", "ipykernel"], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PLOTLY_RENDERER", "VIRTUAL_ENV")}
    env.update(JUPYTER_DATA_DIR=str(home / "jupyter"), JUPYTER_PATH="",
               PATH=f"{python.parent}{os.pathsep}{env.get('PATH', '')}")
    return {"home": home, "python": python, "env": env,
            "install": time.perf_counter() - started}


def test_every_notebook_runs_from_the_wheel_alone(
        installed: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> None:
    import shutil

    course = installed["home"] / "course" / "notebooks"
    shutil.copytree(ROOT / "notebooks", course,
                    ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    done = subprocess.run([str(installed["python"]), "-c", EXECUTE, str(course)], cwd=course,
                          env=installed["env"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-4000:]
    runs = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert [r["notebook"] for r in runs] == sorted(p.name for p in course.glob("[0-9][0-9]_*.ipynb"))
    site_packages = installed["home"] / "venv" / "lib"
    for run in runs:  # the kernel imported the installed wheel, not this repository
        assert Path(run["tcpnb"]).is_relative_to(site_packages), run
    with capsys.disabled():
        print(f"\nwheel only: installed in {installed['install']:.0f} s; notebooks "
              + ", ".join(f"{r['notebook'][:2]} {r['seconds']} s" for r in runs))


def test_the_console_script_and_the_widget_dependencies_in_the_fresh_venv(
        installed: dict[str, Any]) -> None:
    tcpnb = installed["python"].parent / "tcpnb"
    done = subprocess.run([str(tcpnb), "run", "refused"], capture_output=True, text=True,
                          env=installed["env"], cwd=installed["home"])
    assert done.returncode == 0 and "connection refused" in done.stdout
    # anywidget comes with the wheel (the number questions need it), but `import tcpnb` leaves it out.
    check = ("import sys, tcpnb\nassert 'anywidget' not in sys.modules\n"
             "from tcpnb.course.numberbox import NumberBox\n"
             "tcpnb.explore('syn_lost')\nprint('ok')")
    done = subprocess.run([str(installed["python"]), "-c", check], capture_output=True,
                          text=True, env=installed["env"], cwd=installed["home"])
    assert done.stdout.strip().endswith("ok"), done.stderr[-2000:]


def test_the_wheel_metadata_one_version_an_spdx_licence_and_the_console_script(wheel: Path) -> None:
    import email.parser

    import tcpnb

    with zipfile.ZipFile(wheel) as archive:
        info = next(n.split("/")[0] for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.parser.Parser().parsestr(archive.read(f"{info}/METADATA").decode())
        entry_points = archive.read(f"{info}/entry_points.txt").decode()
        names = archive.namelist()
    assert meta["Version"] == tcpnb.__version__  # written once, in tcpnb/__init__.py
    assert meta["License-Expression"] == "MIT AND CC-BY-SA-4.0"
    assert sorted(meta.get_all("License-File") or []) == ["LICENSE", "LICENSE-COURSE.md"]
    assert all(f"{info}/licenses/{name}" in names for name in ("LICENSE", "LICENSE-COURSE.md"))
    assert "tcpnb = tcpnb.cli:main" in entry_points
    assert meta["Requires-Python"] == ">=3.11"
    requires = meta.get_all("Requires-Dist") or []
    assert [r for r in requires if r.startswith("anywidget") and "extra ==" not in r]
