"""tcpnb / python -m tcpnb: list, run, --help; bad values give one line and exit status 2;
a reader that stops early ends it quietly."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tcpnb import scenarios
from tcpnb.cli import main


def test_list_prints_one_line_per_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == [name for name, _ in scenarios.describe()]


def test_run_prints_the_ladder_then_the_outcome(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", "syn_lost", "--delay", "0.2", "--loss", "0.1", "--seed", "3"]) == 0
    out = capsys.readouterr().out
    assert "<SEQ=100><CTL=SYN>" in out and "XXX" in out
    assert out.rstrip().splitlines()[-1].startswith("SYN lost once")


def test_options_reach_the_simulation(capsys: pytest.CaptureFixture[str]) -> None:
    main(["run", "normal_close", "--profile", "linux", "--relative", "--knowledge"])
    out = capsys.readouterr().out
    assert "(relative sequence numbers)" in out and "the peer knows my ISN" in out
    assert "  62.400  CLOSED (Timeout=2MSL)" in out  # Linux: TIME-WAIT is 60 s, from 2.4 s
    main(["run", "normal_close", "--msl", "5"])
    assert "  12.400  CLOSED (Timeout=2MSL)" in capsys.readouterr().out


@pytest.mark.parametrize("argv, words", [
    (["run", "syn_lost", "--delay", "-1"], "delay"),
    (["run", "nope"], "unknown scenario 'nope'"),
    (["run", "syn_lost", "--loss", "x"], "--loss"),
    (["run", "syn_lost", "--loss", "2"], "loss"),
    (["run", "syn_lost", "--profile", "bsd"], "--profile"),
    (["frobnicate"], "invalid choice"),
    ([], "required"),
])
def test_bad_values_give_one_line_and_exit_status_2(
        argv: list[str], words: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and words in err


def test_python_dash_m_and_help_work_without_plotly() -> None:
    done = subprocess.run([sys.executable, "-c", "import sys, runpy; sys.argv=['tcpnb', 'run', "
                           "'refused']; runpy.run_module('tcpnb', run_name='__main__')\n"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "connection refused" in done.stdout
    helped = subprocess.run([sys.executable, "-m", "tcpnb", "--help"], capture_output=True,
                            text=True)
    assert helped.returncode == 0 and "run" in helped.stdout and "list" in helped.stdout
    quiet = subprocess.run([sys.executable, "-c", "import sys; from tcpnb.cli import main; "
                            "main(['list']); print('plotly' in sys.modules)"],
                           capture_output=True, text=True)
    assert quiet.stdout.strip().endswith("False")


def test_the_console_script_is_installed_beside_python_dash_m() -> None:
    script = shutil.which("tcpnb", path=str(Path(sys.executable).parent))
    assert script, "no tcpnb script beside this Python: pip install -e . declares it"
    done = subprocess.run([script, "run", "refused"], capture_output=True, text=True)
    assert done.returncode == 0 and "connection refused" in done.stdout


@pytest.mark.parametrize("module", [True, False], ids=["python -m tcpnb", "tcpnb"])
def test_a_reader_that_stops_early_ends_it_quietly(module: bool) -> None:
    """``tcpnb run ... | head -1``: the pipe is closed before tcpnb writes, so it must notice."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before the first byte
    command = ([sys.executable, "-m", "tcpnb"] if module
               else [shutil.which("tcpnb", path=str(Path(sys.executable).parent)) or "tcpnb"])
    try:
        done = subprocess.run(command + ["run", "normal_close", "--knowledge"], stdout=write,
                              stderr=subprocess.PIPE, text=True)
    finally:
        os.close(write)
    assert done.stderr == "", done.stderr  # no BrokenPipeError traceback
    assert done.returncode == 141  # 128 + SIGPIPE, what a shell reports for cat | head
