"""Packaging metadata: the licence, classifiers and pinned tools a release ships with."""

from __future__ import annotations

import tomllib
from importlib.metadata import metadata
from pathlib import Path

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
    assert (ROOT / "yicam" / "py.typed").is_file()


def test_lint_tools_are_pinned() -> None:
    dev = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    pins = {d.split("==")[0]: d for d in dev["dev"] if d.startswith(("ruff", "mypy"))}
    assert set(pins) == {"ruff", "mypy"}
    assert all("==" in spec for spec in pins.values()), pins
