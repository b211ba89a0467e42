"""The wheel a user installs: what it carries, what twine says of it, and that it runs.

The sdist and wheel are built once per test run (the nox sessions pass theirs in YICAM_WHEEL);
the tests share one xdist group so that one worker builds them. The fresh environment gets the
wheel with the `live` extra from pip (pip's own cache makes a second run quicker)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
# One group, so that one worker builds; minutes, not the suite's 60 s: a build and a pip install
# on a busy two-core machine.
pytestmark = [pytest.mark.xdist_group("wheel"), pytest.mark.timeout(600)]
# What a clean checkout has: no virtual environments, caches, or a stale yicam.egg-info whose
# SOURCES.txt still names moved files (setuptools reads it back into the sdist).
NOT_SOURCE = shutil.ignore_patterns(
    ".git",
    ".venv",
    ".nox",
    "*.egg-info",
    "build",
    "dist",
    "site",
    "__pycache__",
    ".*cache",
    ".hypothesis",
)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(wheel, sdist): the nox session's, else built here from the source tree."""
    given = os.environ.get("YICAM_WHEEL")
    if given:
        wheel = Path(given)
    else:
        out = tmp_path_factory.mktemp("dist")
        source = tmp_path_factory.mktemp("source") / "yicam"
        shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
        # No isolation: the test environment already has the build backend pyproject.toml asks
        # for (nox's `wheel` session builds with isolation, as a release would).
        built = subprocess.run(
            [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(source)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
        (wheel,) = out.glob("yicam-*.whl")
    (sdist,) = wheel.parent.glob("yicam-*.tar.gz")
    return wheel, sdist


def test_twine_accepts_both(dists: tuple[Path, Path]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dists)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("PASSED") == 2


def test_wheel_carries_the_package_its_data_and_licence_and_no_tests(
    dists: tuple[Path, Path],
) -> None:
    names = zipfile.ZipFile(dists[0]).namelist()
    files = {n for n in names if not n.endswith("/")}
    source = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "yicam").rglob("*")
        if p.is_file() and "__pycache__" not in p.parts and p.suffix != ".pyc"
    }
    assert source <= files  # every module, emulator asset, icon and py.typed
    assert "yicam/py.typed" in files
    assert {f"yicam/emulator/assets/{n}" for n in ("sample.jpg", "sample.mp4")} <= files
    assert {f"yicam/gui/icons/yicam.{s}" for s in ("svg", "png", "ico", "icns")} <= files
    info = next(n for n in files if n.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
    assert f"{info}/licenses/LICENSE" in files
    assert not [n for n in files if n.startswith("tests/") or n.endswith((".pyc", ".pyo"))]
    assert {n.split("/")[0] for n in files} == {"yicam", info}


def test_gui_extra_skips_the_pyside_release_that_crashes_python_3_11(
    dists: tuple[Path, Path],
) -> None:
    raw = zipfile.ZipFile(dists[0]).read(
        next(n for n in zipfile.ZipFile(dists[0]).namelist() if n.endswith("METADATA"))
    )
    requires = Parser().parsestr(raw.decode()).get_all("Requires-Dist") or []
    pyside = [Requirement(r) for r in requires if r.startswith("PySide6-Essentials")]

    def allowed(version: str, python: str) -> bool:
        env = {"python_version": python, "extra": "gui"}
        return any(
            r.marker is not None and r.marker.evaluate(env) and r.specifier.contains(version)
            for r in pyside
        )

    assert not allowed("6.12.0", "3.11")
    assert allowed("6.11.3", "3.11")
    assert allowed("6.12.0", "3.12")
    assert allowed("6.12.0", "3.13")


def test_wheel_installs_with_its_extra_and_runs(dists: tuple[Path, Path], tmp_path: Path) -> None:
    env_dir = tmp_path / "fresh"
    venv.create(env_dir, with_pip=False)  # pip below installs into it from this environment
    scripts = env_dir / ("Scripts" if sys.platform == "win32" else "bin")
    python = scripts / ("python.exe" if sys.platform == "win32" else "python")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    subprocess.run(
        [*pip, f"yicam[live] @ {dists[0].as_uri()}"], check=True, capture_output=True, timeout=600
    )
    home = tmp_path / "home"  # a user with no config yet
    env = {
        **os.environ,
        "HOME": str(home),
        "USERPROFILE": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "PYTHONPATH": "",
    }
    yicam = str(scripts / ("yicam.exe" if sys.platform == "win32" else "yicam"))

    def run(*args: str) -> str:
        done = subprocess.run(
            [yicam, *args],
            capture_output=True,
            text=True,
            cwd=tmp_path,
            env=env,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    assert run("--version").strip() == f"yicam, version {_version(dists[0])}"
    demo = run("demo", "--time-scale", "0.05")
    assert demo.splitlines()[-1] == "Demo finished: every step worked.", demo
    assert re.search(r"Live view +\d+x\d+, [1-9]\d* frames", demo), demo  # PyAV decodes there
    where = subprocess.run(
        [str(python), "-c", "import yicam; print(yicam.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    ).stdout
    assert Path(where.strip()).is_relative_to(env_dir)  # the wheel's copy, not the source tree


def _version(wheel: Path) -> str:
    return wheel.name.split("-")[1]
