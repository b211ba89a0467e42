"""Packaging metadata: the licence, classifiers and pinned tools a release ships with."""

from __future__ import annotations

import os
import sysconfig
import tomllib
from importlib.metadata import metadata
from pathlib import Path

import pytest

import yicam

ROOT = Path(__file__).resolve().parent.parent


def test_license_file_is_the_mit_licence() -> None:
    text = (ROOT / "LICENSE").read_text()
    assert text.startswith("MIT License")
    assert "Permission is hereby granted, free of charge" in text
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["license"] == "MIT"
    assert project["license-files"] == ["LICENSE"]


def test_installed_metadata_is_typed_and_classified() -> None:
    classifiers = metadata("yicam").get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert "Framework :: AsyncIO" in classifiers
    assert (Path(yicam.__file__).parent / "py.typed").is_file()


def test_nox_sessions_test_the_installed_wheel() -> None:
    if not os.environ.get("YICAM_TEST_INSTALLED"):
        pytest.skip("make test tests the editable install; the nox sessions set this")
    installed = Path(yicam.__file__).resolve().parent
    assert installed.parent == Path(sysconfig.get_paths()["purelib"]).resolve()
    assert installed != (ROOT / "yicam").resolve()


def test_lint_tools_are_pinned() -> None:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pins = {d.split("==")[0]: d for d in dev["dev"] if d.startswith(("ruff", "mypy"))}
    assert set(pins) == {"ruff", "mypy"}
    assert all("==" in spec for spec in pins.values()), pins


def test_workflow_nox_and_classifiers_name_the_same_pythons() -> None:
    import ast

    import yaml  # type: ignore[import-untyped]  # PyYAML, from mkdocs

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    prefix = "Programming Language :: Python :: 3."
    classified = [c.removeprefix("Programming Language :: Python :: ") for c in
                  project["classifiers"] if c.startswith(prefix)]  # fmt: skip
    noxfile = ast.parse((ROOT / "noxfile.py").read_text())
    (pythons,) = [
        ast.literal_eval(node.value)
        for node in noxfile.body
        if isinstance(node, ast.Assign) and ast.unparse(node.targets[0]) == "PYTHONS"
    ]
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    matrix = workflow["jobs"]["tests"]["strategy"]["matrix"]
    assert pythons == classified == matrix["python"] == ["3.11", "3.12", "3.13"]
    assert project["requires-python"] == ">=3.11"
    assert matrix["os"] == ["ubuntu-latest", "windows-latest", "macos-latest"]
    steps = workflow["jobs"]["tests"]["steps"]
    assert any("nox --session" in step.get("run", "") for step in steps)
