"""The test matrix (`make test-all`): the suite on every Python yicam supports, each run
against the wheel a user would install, never the source tree.

`nox` builds the sdist and, from it, the wheel once (session `wheel`), then each `tests-3.x`
session installs that wheel with the test extra into its own virtual environment and runs
tests/ from an empty folder with `--import-mode=importlib`, so no `yicam/` folder is on
sys.path: `YICAM_TEST_INSTALLED=1` makes tests/test_packaging.py fail if `yicam` was imported
from anywhere but the environment's site-packages. .github/workflows/ci.yml runs the same
sessions on Linux, Windows and macOS.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nox

PYTHONS = ["3.11", "3.12", "3.13"]
ROOT = Path(__file__).resolve().parent
DIST = ROOT / ".nox" / "dist"
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

# Printed at the start of each session: which yicam the tests are about to import.
WHERE = (
    "import sys, importlib.metadata as m, yicam\n"
    "print('yicam', m.version('yicam'), 'from', yicam.__file__, 'on', sys.version.split()[0])"
)

nox.options.sessions = ["tests"]
nox.options.default_venv_backend = "uv|virtualenv"  # uv when installed: seconds, not minutes
nox.options.reuse_venv = "yes"  # the wheel is reinstalled every run; its dependencies stay
nox.options.error_on_missing_interpreters = True  # a Python that is not found is a failure


@nox.session
def wheel(session: nox.Session) -> None:
    """Build the sdist and, from it, the wheel into .nox/dist (once per `nox` run)."""
    shutil.rmtree(DIST, ignore_errors=True)
    # From a clean copy: a stale yicam.egg-info here lists moved files, and setuptools reads
    # that list back into the sdist.
    source = Path(session.create_tmp()) / "source"
    shutil.rmtree(source, ignore_errors=True)
    shutil.copytree(ROOT, source, ignore=NOT_SOURCE)
    session.install("build[uv]>=1.2")
    session.run("python", "-m", "build", "--installer", "uv", "--outdir", str(DIST), str(source))


@nox.session(python=PYTHONS, requires=["wheel"])
def tests(session: nox.Session) -> None:
    """The whole suite against the installed wheel, Qt offscreen, four workers."""
    (built,) = DIST.glob("yicam-*.whl")
    session.install(f"yicam[test] @ {built.as_uri()}")
    # Same version number as last time in a reused environment: put this build in anyway.
    session.install("--force-reinstall", "--no-deps", str(built))
    here = Path(session.create_tmp())  # an empty folder: nothing named yicam next to the tests
    shutil.rmtree(here, ignore_errors=True)
    here.mkdir()
    session.chdir(here)
    session.run("python", "-c", WHERE)
    session.run(
        "pytest",
        "-n",
        "4",
        "--dist",
        "loadgroup",
        "-p",
        "no:cacheprovider",
        "--import-mode=importlib",
        "--rootdir",
        str(ROOT),
        "-c",
        str(ROOT / "pyproject.toml"),
        *_test_args(session.posargs),
        env={
            "QT_QPA_PLATFORM": "offscreen",
            "YICAM_TEST_INSTALLED": "1",
            "YICAM_WHEEL": str(built),
        },
    )


def _test_args(posargs: list[str]) -> list[str]:
    """`nox -- tests/test_x.py -x`: paths are the repository's (the session runs elsewhere)."""
    args = [str(ROOT / a) if (ROOT / a.split("::")[0]).exists() else a for a in posargs]
    if not any(a.startswith(str(ROOT)) for a in args):
        args.insert(0, str(ROOT / "tests"))
    return args
