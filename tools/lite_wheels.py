"""The Python side of the JupyterLite edition: Pyodide, the wheels its kernel loads, and their lock.

Pyodide's core files come from the npm package ``pyodide`` of the version that the installed
``jupyterlite-pyodide-kernel`` was made for.  That package holds none of Pyodide's own wheels
(those live on a CDN the site must not need), so the wheels come from PyPI instead: pure-Python
wheels for Pyodide's Python, resolved by pip from tcpnb's dependencies and the kernel's.  The
packages whose front end the site serves from this machine (plotly's renderer, ipywidgets' widget
manager) are pinned to the versions installed here, so that both halves match.

``pyodide-lock.json`` then lists exactly the wheels served, each with its sha256 (Pyodide checks
it) and its dependencies as they apply in the browser (markers evaluated for Emscripten).  Two
stand-ins complete the set, in the kernel's own manner (it ships ipykernel and
widgetsnbextension shims): ``nbformat``, whose only use in the browser is plotly asking its
version before it renders a figure (the real one needs the compiled ``rpds-py``), and tcpnb's
own wheel, built from this repository.
"""

from __future__ import annotations

import base64
import email.parser
import hashlib
import json
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
#: What a wheel is not built from: hidden folders (.git, .venv), builds, caches, artifacts.
NOT_SOURCE = shutil.ignore_patterns(".*", "build", "dist", "*.egg-info", "__pycache__",
                                    "test-artifacts", "node_modules")
#: Pyodide's core: the loader, the WebAssembly interpreter and the standard library.
PYODIDE_CORE = ("pyodide.mjs", "pyodide.asm.mjs", "pyodide.asm.wasm", "python_stdlib.zip",
                "pyodide-lock.json")
#: What the kernel imports at start (see the kernel's worker), the course, and the nbformat shim.
PRELOAD = ("micropip", "piplite", "pyodide-kernel", "ipykernel", "comm", "jedi", "ipython",
           "tcpnb", "nbformat")
#: Packages whose front end is served from this machine: the browser's copy must match.
FRONT_ENDS = ("plotly", "ipywidgets", "jupyterlab-widgets")
NBFORMAT_SHIM = "5.10.999"
NBFORMAT_MODULE = '''"""A stand-in for nbformat in the JupyterLite edition of tcpnb.

plotly checks nbformat's version before it renders a figure in a notebook, and uses nothing
else of it there; the real nbformat needs compiled packages that are not served here.
"""

__version__ = "{version}"
'''


def canonical(name: str) -> str:
    """A distribution name as PEP 503 writes it: ``Prompt_Toolkit`` -> ``prompt-toolkit``."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pyodide_version() -> str:
    """The Pyodide release the installed JupyterLite kernel was made for."""
    from jupyterlite_pyodide_kernel.constants import PYODIDE_VERSION  # type: ignore[import-untyped]

    return str(PYODIDE_VERSION)


def _run(command: list[str], cwd: Path | None = None) -> str:
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"lite: {' '.join(command[:4])} ... failed:\n{done.stderr[-3000:]}")
    return done.stdout


def npm_pack(spec: str, work: Path) -> Path:
    """The tarball of the npm package ``spec`` (e.g. ``pyodide@314.0.6``), fetched into ``work``."""
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit(f"build: npm is needed to fetch {spec} from the npm registry "
                         "(Debian: apt-get install npm)")
    name = _run([npm, "pack", "--silent", spec, "--pack-destination", str(work)], cwd=work)
    return work / name.strip().splitlines()[-1]


def fetch_pyodide(version: str, into: Path, work: Path) -> dict[str, object]:
    """Pyodide's core files from npm into ``into``; returns its own lock file (for its ``info``)."""
    tarball = npm_pack(f"pyodide@{version}", work)
    into.mkdir(parents=True)
    with tarfile.open(tarball) as archive:
        for name in PYODIDE_CORE:
            member = archive.extractfile(f"package/{name}")
            if member is None:
                raise SystemExit(f"lite: {tarball.name} has no {name}")
            (into / name).write_bytes(member.read())
    lock: dict[str, object] = json.loads((into / "pyodide-lock.json").read_text())
    return lock


def _kernel_wheels() -> Path:
    """The folder of wheels that jupyterlite-pyodide-kernel ships (piplite, the kernel, shims)."""
    for file in metadata.files("jupyterlite-pyodide-kernel") or []:
        if file.name.startswith("pyodide_kernel-") and file.name.endswith(".whl"):
            return Path(str(file.locate())).parent
    raise SystemExit("lite: the installed jupyterlite-pyodide-kernel ships no wheels")


def _nbformat_shim(into: Path) -> Path:
    """A wheel of one module: ``nbformat.__version__``."""
    wheel = into / f"nbformat-{NBFORMAT_SHIM}-py3-none-any.whl"
    info = f"nbformat-{NBFORMAT_SHIM}.dist-info"
    files = {
        "nbformat/__init__.py": NBFORMAT_MODULE.format(version=NBFORMAT_SHIM),
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: nbformat\nVersion: {NBFORMAT_SHIM}\n"
                            "Summary: tcpnb's stand-in for nbformat in JupyterLite\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tcpnb tools/lite_wheels.py\n"
                         "Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{name},sha256={_digest(text.encode())},{len(text.encode())}"
              for name, text in files.items()] + [f"{info}/RECORD,,"]
    files[f"{info}/RECORD"] = "\n".join(record) + "\n"
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), text)
    return wheel


def _digest(data: bytes) -> str:
    """A file's hash as a wheel's RECORD writes it."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def build_wheel(into: Path) -> Path:
    """tcpnb's wheel, built from a copy of the repository in a fresh folder.

    setuptools builds in the project's ``build/`` folder and reuses what it finds there, so a
    file deleted from the source could live on in the wheel; a copy cannot have that past.
    """
    with tempfile.TemporaryDirectory(prefix="tcpnb-wheel-") as tmp:
        source = Path(tmp) / "tcpnb"
        shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
        _run(PIP + ["wheel", "--quiet", "--no-deps", "--wheel-dir", str(into), str(source)])
    return next(into.glob("tcpnb-*.whl"))


def download_wheels(into: Path, python: str) -> None:
    """tcpnb's wheel, the kernel's, and every dependency of both, for Pyodide's ``python``."""
    into.mkdir(parents=True)
    ours = build_wheel(into).name.split("-")[1]
    shims = _kernel_wheels()
    pins = {**{name: metadata.version(name) for name in FRONT_ENDS}, "tcpnb": ours,
            "widgetsnbextension": _shim_version(shims, "widgetsnbextension")}
    constraints = into.parent / "constraints.txt"
    constraints.write_text("".join(f"{name}=={version}\n" for name, version in pins.items()))
    _run(PIP + ["download", "--quiet", "--only-binary=:all:", "--python-version", python,
                "--implementation", "py", "--abi", "none", "--platform", "any",
                "--dest", str(into), "--find-links", str(shims), "--find-links", str(into),
                "--constraint", str(constraints),
                *[name for name in PRELOAD if name not in ("ipykernel", "nbformat")]])
    # ipykernel is the kernel's shim: PyPI's real one (same version number) would win in pip.
    shutil.copy(next(shims.glob("ipykernel-*.whl")), into)
    _nbformat_shim(into)


def _shim_version(folder: Path, name: str) -> str:
    """The newest version of the shim wheel ``name`` in ``folder``, e.g. widgetsnbextension 4.0.999."""
    found = [w.name.split("-")[1] for w in folder.glob(f"{name}-*.whl")]
    return max(found, key=lambda v: tuple(int(p) for p in v.split(".")))


# ----------------------------------------------------------------------------- the lock
def _metadata(wheel: Path) -> email.message.Message:
    with zipfile.ZipFile(wheel) as archive:
        name = next(n for n in archive.namelist() if re.fullmatch(r"[^/]+\.dist-info/METADATA", n))
        return email.parser.Parser().parsestr(archive.read(name).decode())


def _imports(wheel: Path) -> list[str]:
    """The top-level modules and packages a wheel installs."""
    with zipfile.ZipFile(wheel) as archive:
        tops = {n.split("/")[0].removesuffix(".py") for n in archive.namelist()
                if "/" in n or n.endswith(".py")}
    return sorted(t for t in tops if t.isidentifier())


def _browser(python: str) -> dict[str, str]:
    """The environment markers of Pyodide's Python, e.g. ``sys_platform == "emscripten"``."""
    return {"implementation_name": "cpython", "os_name": "posix",
            "platform_machine": "wasm32", "platform_python_implementation": "CPython",
            "platform_release": "", "platform_system": "Emscripten", "platform_version": "",
            "python_full_version": python, "python_version": ".".join(python.split(".")[:2]),
            "implementation_version": python, "sys_platform": "emscripten", "extra": ""}


def write_lock(wheels: Path, original: dict[str, object], into: Path) -> list[str]:
    """Copy the wheels that :data:`PRELOAD` needs from ``wheels`` to ``into``, with their lock.

    ``into/pyodide-lock.json`` (Pyodide's own, from :func:`fetch_pyodide`) is replaced by one
    that lists exactly the wheels copied, keeping its ``info``.  Wheels nothing in the browser
    needs stay behind (e.g. pexpect, which IPython uses only off Emscripten).  Returns the
    packages in the lock.
    """
    info = original["info"]
    assert isinstance(info, dict)
    environment = _browser(str(info["python"]))
    found = {}
    for wheel in sorted(wheels.glob("*.whl")):
        meta = _metadata(wheel)
        needs = [Requirement(line) for line in meta.get_all("Requires-Dist") or []]
        found[canonical(meta["Name"])] = {
            "name": canonical(meta["Name"]), "version": meta["Version"], "file_name": wheel.name,
            "install_dir": "site", "package_type": "package", "imports": _imports(wheel),
            "depends": sorted({canonical(r.name) for r in needs
                               if r.marker is None or r.marker.evaluate(environment)}),
            "sha256": hashlib.sha256(wheel.read_bytes()).hexdigest(), "unvendored_tests": False}
    needed: set[str] = set()
    todo = list(PRELOAD)
    while todo:
        name = todo.pop()
        if name in needed:
            continue
        if name not in found:
            raise SystemExit(f"lite: no wheel for {name!r}, which the browser needs")
        needed.add(name)
        todo += found[name]["depends"]  # type: ignore[arg-type]
        shutil.copy(wheels / str(found[name]["file_name"]), into)
    lock = {"info": info, "packages": {name: found[name] for name in sorted(needed)}}
    (into / "pyodide-lock.json").write_text(json.dumps(lock, indent=1) + "\n")
    return sorted(needed)
