"""The built wheel carries its package data: install it into a fresh venv and run the demo."""

from __future__ import annotations

import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_demo_runs_from_an_installed_wheel(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(wheels),
            str(ROOT),
        ],
        check=True,
        cwd=tmp_path,
    )
    (wheel,) = wheels.glob("mentorbot-*.whl")
    fresh = tmp_path / "fresh"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--quiet", "--no-deps", wheel], check=True)
    # The dependencies come from the test environment (no network needed), but not the
    # project itself: a path added by a .pth file does not run that folder's .pth files, so
    # the editable install of the working tree stays invisible.
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "test-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run = tmp_path / "elsewhere"
    run.mkdir()
    result = subprocess.run(
        [fresh / "bin" / "mentorbot", "demo"],
        cwd=run,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    where = subprocess.run(
        [python, "-c", "import conversations; print(conversations.__file__)"],
        cwd=run,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    assert str(fresh) in where  # the demo really ran the installed copy
    assert "Imported" in result.stdout and "programme report" in result.stdout
