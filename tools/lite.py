"""Build the JupyterLite edition: the live course in a browser tab, Python included, no server.

    python tools/build.py lite          # -> build/lite/
    python -m http.server -d build/lite # then open http://127.0.0.1:8000/ (or any static host)

JupyterLite runs the notebooks on Pyodide (CPython compiled to WebAssembly) inside the page,
sliders and all.  Everything the page loads comes from the site itself, so it works offline, from
a USB stick or from GitHub Pages, and makes no request to a CDN:

* Pyodide and the wheels its kernel loads (see lite_wheels.py);
* the front-end extensions: the Pyodide kernel, ipywidgets' widget manager and plotly's renderer,
  copied from the Python packages installed here (``pip install -e ".[lite]"``);
* the course notebooks and the data folders beside them (``notebooks/*/``), with the Colab and
  Binder badges left out (their images cannot load offline) and the Pyodide kernel named.

Each build starts from a fresh work folder: a stale ``.jupyterlite.doit.db`` once silently
dropped the Pyodide URL from the configuration, and the kernel then hung without an error.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
import lite_wheels  # noqa: E402
import sync_notebooks as sync  # noqa: E402

#: Python distributions whose JupyterLab extension the site needs.
EXTENSIONS = ("jupyterlite-pyodide-kernel", "jupyterlab-widgets", "plotly", "anywidget")
KERNEL_PLUGIN = "@jupyterlite/pyodide-kernel-extension:kernel"
KERNELSPEC = {"name": "python", "display_name": "Python (Pyodide)", "language": "python"}
#: A markdown image whose address is on the network, with the link around it if there is one.
REMOTE_IMAGE = re.compile(r"\[!\[[^\]]*\]\((?:https?:)?//[^)]*\)\]\([^)]*\)|!\[[^\]]*\]\((?:https?:)?//[^)]*\)")
SKIPPED = shutil.ignore_patterns(".*", "__pycache__", "*.pyc")


@dataclass
class Site:
    """What a lite build made."""

    folder: Path
    notebooks: list[str]
    packages: list[str]
    pyodide: str
    seconds: float

    def bytes(self) -> int:
        return sum(p.stat().st_size for p in self.folder.rglob("*") if p.is_file())


def lite_notebook(nb: dict[str, object]) -> dict[str, object]:
    """``nb`` (notebook JSON) for JupyterLite: no remote images, no outputs, the Pyodide kernel."""
    cells = nb["cells"]
    assert isinstance(cells, list)
    for cell in cells:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown" and REMOTE_IMAGE.search(source):
            cell["source"] = REMOTE_IMAGE.sub("", source).strip()
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    metadata_ = nb["metadata"]
    assert isinstance(metadata_, dict)
    metadata_["kernelspec"] = dict(KERNELSPEC)
    return nb


def write_contents(notebooks: Path, into: Path) -> list[str]:
    """The course notebooks (lite copies) and every data folder beside them into ``into``."""
    into.mkdir(parents=True)
    names = []
    for path in sync.course(notebooks):
        nb = lite_notebook(json.loads(path.read_text(encoding="utf-8")))
        (into / path.name).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n",
                                      encoding="utf-8")
        names.append(path.name)
    for folder in sorted(p for p in notebooks.iterdir() if p.is_dir()):
        if not folder.name.startswith((".", "_")):
            shutil.copytree(folder, into / folder.name, ignore=SKIPPED)
    return names


def _extension_folders() -> list[Path]:
    """The installed folder of each JupyterLab extension in :data:`EXTENSIONS`."""
    folders: list[Path] = []
    for dist in EXTENSIONS:
        found = {Path(str(f.locate())).parent for f in metadata.files(dist) or []
                 if f.name == "package.json" and "labextensions" in f.parts}
        if len(found) != 1:
            raise SystemExit(f"lite: expected one JupyterLab extension in {dist}, found {found}")
        folders += found
    return folders


def config(packages: list[str]) -> dict[str, object]:
    """``jupyter-lite.json``: the kernel preloads every packaged wheel and never asks PyPI."""
    return {"jupyter-lite-schema-version": 0, "jupyter-config-data": {
        "appName": "tcpnb", "faviconUrl": "",
        "litePluginSettings": {KERNEL_PLUGIN: {
            "disablePyPIFallback": True,
            "loadPyodideOptions": {"packages": packages}}}}}


def build_lite(notebooks: Path, out: Path) -> Site:
    """Build the site into ``out`` (replaced) from a fresh work folder."""
    started = time.perf_counter()
    version = lite_wheels.pyodide_version()
    with tempfile.TemporaryDirectory(prefix="tcpnb-lite-") as tmp:
        work = Path(tmp)
        pyodide = work / "static" / "pyodide"  # where jupyterlite's pyodide addon looks for it
        original = lite_wheels.fetch_pyodide(version, pyodide, work)
        python = str(original["info"]["python"])  # type: ignore[index]
        lite_wheels.download_wheels(work / "wheels", python)
        packages = lite_wheels.write_lock(work / "wheels", original, pyodide)
        names = write_contents(notebooks, work / "content")
        (work / "jupyter-lite.json").write_text(json.dumps(config(packages), indent=1))
        if out.exists():
            shutil.rmtree(out)
        command = [sys.executable, "-m", "jupyterlite_core", "build", "--lite-dir", str(work),
                   "--contents", str(work / "content"), "--output-dir", str(out.resolve()),
                   "--apps", "lab", "--no-sourcemaps", "--no-unused-shared-packages",
                   "--ignore-sys-prefix"]
        for folder in _extension_folders():
            command += ["--LiteBuildConfig.federated_extensions", str(folder)]
        done = subprocess.run(command, cwd=work, capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"lite: jupyter lite build failed:\n{done.stdout[-3000:]}"
                             f"{done.stderr[-3000:]}")
    return Site(out, names, packages, version, time.perf_counter() - started)
