"""The package's layering, read from the import statements of every module.

- The faces (`yicam/cli/`, `yicam/gui/`) import only public packages: `yicam`, `yicam.live`,
  `yicam.emulator`, `yicam.agent`, and their own package.
- The emulator imports only the wire core (`yicam._wire`), the errors, the task helper
  (`yicam._tasks`) and its own package: the camera shares the codecs with the client.
- The wire core does no I/O and imports nothing of yicam but the errors.
- The library (everything else) never imports a face.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "yicam"
PUBLIC = ("yicam", "yicam.live", "yicam.emulator", "yicam.agent")
FACES = ("yicam.cli", "yicam.gui")


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str | None = None) -> Iterator[tuple[int, str]]:
    """(line, absolute module) for every import in the file, relative ones resolved."""
    module = module or _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if node.module is None or not node.level:
                # `from . import x` and `from yicam import x` may name submodules
                for alias in node.names:
                    yield node.lineno, f"{target}.{alias.name}"
            else:
                yield node.lineno, target


def _yicam_imports(where: str) -> Iterator[tuple[str, int, str]]:
    for path in sorted((PACKAGE.parent / where.replace(".", "/")).rglob("*.py")):
        for line, target in _imports(path):
            if target == "yicam" or target.startswith("yicam."):
                yield f"{path.relative_to(PACKAGE.parent)}:{line}", line, target


def _within(target: str, packages: tuple[str, ...]) -> bool:
    return any(target == p or target.startswith(p + ".") for p in packages)


def _public(target: str) -> bool:
    """`yicam.X` where X is a public name or package (no `_private` part)."""
    return not any(part.startswith("_") for part in target.split(".")[1:])


@pytest.mark.parametrize("face", FACES)
def test_faces_import_only_public_names(face: str) -> None:
    wrong = [
        f"{where}: {target}"
        for where, _line, target in _yicam_imports(face)
        if not _within(target, (face,)) and not _public(target)
    ]
    assert not wrong, "a face imports a private module:\n" + "\n".join(wrong)


def test_the_emulator_shares_only_the_wire_core() -> None:
    allowed = ("yicam.emulator", "yicam._wire", "yicam._errors", "yicam._tasks")
    wrong = [
        f"{where}: {target}"
        for where, _line, target in _yicam_imports("yicam.emulator")
        if not _within(target, allowed)
    ]
    assert not wrong, "the emulator imports more than the wire core:\n" + "\n".join(wrong)


def test_the_wire_core_stands_alone() -> None:
    wrong = [
        f"{where}: {target}"
        for where, _line, target in _yicam_imports("yicam._wire")
        if not _within(target, ("yicam._wire", "yicam._errors"))
    ]
    io = {"asyncio", "socket", "av", "selectors", "threading", "PySide6", "click"}
    for path in (PACKAGE / "_wire").rglob("*.py"):
        wrong += [
            f"{path.name}:{line}: {target}"
            for line, target in _imports(path)
            if target.split(".")[0] in io
        ]
    assert not wrong, "the wire core imports I/O or the rest of yicam:\n" + "\n".join(wrong)


def test_the_library_never_imports_a_face() -> None:
    wrong = []
    for path in sorted(PACKAGE.rglob("*.py")):
        module = _module_name(path)
        if _within(module, (*FACES, "yicam.agent")):
            continue
        wrong += [
            f"{path.relative_to(PACKAGE.parent)}:{line}: {target}"
            for line, target in _imports(path)
            if _within(target, FACES)
        ]
    assert not wrong, "the library imports the CLI or the GUI:\n" + "\n".join(wrong)


def test_relative_imports_resolve_to_what_they_name(tmp_path: Path) -> None:
    source = tmp_path / "base.py"
    source.write_text("from .. import Camera\nfrom .._camera import Camera\nfrom . import output\n")
    assert list(_imports(source, "yicam.cli.base")) == [
        (1, "yicam.Camera"),
        (2, "yicam._camera"),
        (3, "yicam.cli.output"),
    ]
    assert not _public("yicam._camera")
    assert _public("yicam.live.LiveView")
