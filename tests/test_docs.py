"""The documentation site: it builds with --strict, its references cover every public name and
command, every task of the README is two clicks from its home page, and every example runs.

Examples run the way the README's do (tests/test_cli_readme.py): `$ yicam ...` lines in-process
against emulators, with the output shown under them compared line by line (`...` matches any
text within a line); other `$` lines (pipes, other programs) in a shell with `yicam` on PATH and
a named camera, all against the same cameras in page order; each Python block on a fresh
emulator, with its `Camera("192.168.42.1")` pointed at it (named cameras are the page's), and a
`text title="Output"` block after one lists lines its output must contain, in order. Blocks
titled `conftest.py` and `test_*.py` are written to a folder and run with pytest. A block that
cannot run here says why in a `<!-- not run: REASON -->` line just above it.
"""

from __future__ import annotations

import ast
import builtins
import inspect
import os
import re
import shlex
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

import click
import pytest
from click.testing import CliRunner

import yicam
import yicam._errors as yicam_errors
from yicam import CameraConfig, add_camera
from yicam.cli.emulate import settings_of
from yicam.cli.main import cli
from yicam.emulator import Emulator

from .cli_helpers import LoopThread
from .conftest import wait_until
from .test_cli_readme import README, fences, quiet, retarget, retarget_python

ROOT = Path(__file__).resolve().parent.parent
# The strict site build alone takes a minute on a loaded two-core machine (the default is 60 s).
pytestmark = pytest.mark.timeout(300)
DOCS = ROOT / "docs"
PAGES = sorted(p for p in DOCS.rglob("*.md") if p.name != "protocol.md")
RUNNABLE = {"python", "console"}
NOT_RUN = re.compile(r"<!-- not run: \S[^>]*-->\n+```$")
NOT_RUN_BLOCK = re.compile(r"<!-- not run: \S[^>]*-->\n+```\w+[^\n]*\n(.*?)^```", re.M | re.S)
# Commands that run until Ctrl-C or open a window: tests/test_cli_process.py, test_cli.py,
# test_cli_tether.py and tests/gui run them.
LONG_RUNNING = {"emulate", "watch", "demo", "tether", "gui"}
MANY = {"discover", "cameras", "fleet", "--all", "-c"}  # the named cameras' commands
SUBNET = "127.77.2"
NAMES = ("left", "right", "back")
SHELL = re.compile(r"[|<>;&$`]")


def _env() -> dict[str, str]:
    return {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site built with `mkdocs build --strict` into a temporary folder."""
    out = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    assert built.returncode == 0, built.stderr
    return out


def test_site_builds_strict(site: Path) -> None:
    assert (site / "index.html").is_file()
    assert (site / "cli" / "reference" / "index.html").is_file()
    assert (site / "screenshots" / "main-window.png").is_file()


def _ids(page: Path) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', page.read_text()))


def _first_line(obj: object, name: str = "") -> str:
    if isinstance(obj, type):
        doc = obj.__dict__.get("__doc__")
    elif inspect.isfunction(obj):
        doc = obj.__doc__
    else:  # a type alias: its docstring is the string literal after it (as mkdocstrings reads)
        import griffe

        doc = griffe.load("yicam", resolve_aliases=True)[name].docstring.value
    return (inspect.cleandoc(doc or "").splitlines() or [""])[0]


def test_every_public_name_is_in_the_api_reference(site: Path) -> None:
    ids = _ids(site / "library" / "reference" / "index.html")
    missing = [n for n in yicam.__all__ if f"yicam.{n}" not in ids]
    assert not missing, f"not in docs/library/reference.md: {missing}"
    undocumented = []
    for name in yicam.__all__:
        obj = getattr(yicam, name)
        if not _first_line(obj, name).endswith((".", ":")):
            undocumented.append(name)
        if not isinstance(obj, type):
            continue
        for attr, value in vars(obj).items():
            member = value.fget if isinstance(value, property) else value
            member = getattr(member, "__func__", member)
            if attr.startswith("_") or not inspect.isfunction(member):
                continue
            if not _first_line(member) or f"yicam.{name}.{attr}" not in ids:
                undocumented.append(f"{name}.{attr}")
    assert not undocumented, f"no docstring or not in the reference: {undocumented}"


# The docstring rule for library calls: one line where the signature says it all, and
# `Raises` only where something is raised. A public function or method that raises an
# exception itself (a `raise SomeError(...)` in its own body) names that class, or one of its
# bases, in its docstring. What its callees raise is reviewed, not checked here.
_NAMED_ERROR = re.compile(r"\b[A-Z]\w*(?:Error|Exception)\b")


def _raised_classes(func: Callable[..., object]) -> set[type[BaseException]]:
    """Exception classes that `func` raises by name in its own body (not in nested functions)."""
    try:
        source = textwrap.dedent(inspect.getsource(func))
    except (OSError, TypeError):
        return set()
    tree = ast.parse(source).body[0]
    found: set[type[BaseException]] = set()
    pending: list[ast.AST] = list(ast.iter_child_nodes(tree))
    while pending:
        node = pending.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda | ast.ClassDef):
            continue
        if isinstance(node, ast.Raise) and node.exc is not None:
            target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
            name = target.id if isinstance(target, ast.Name) else None
            kind = func.__globals__.get(name) if name else None
            kind = kind or getattr(builtins, name or "", None)
            if isinstance(kind, type) and issubclass(kind, BaseException):
                found.add(kind)
        pending.extend(ast.iter_child_nodes(node))
    return found


def _named_classes(doc: str, func: Callable[..., object]) -> set[type[BaseException]]:
    names = _NAMED_ERROR.findall(doc)
    scopes = (func.__globals__, vars(yicam_errors), vars(builtins))
    found = set()
    for name in names:
        kind = next((s[name] for s in scopes if name in s), None)
        if isinstance(kind, type) and issubclass(kind, BaseException):
            found.add(kind)
    return found


def _public_callables() -> Iterator[tuple[str, Callable[..., object]]]:
    import yicam.live  # loads PyAV: only when this test runs

    for module in (yicam, yicam.live):
        for name in module.__all__:
            obj = getattr(module, name)
            if inspect.isfunction(obj):
                yield f"{module.__name__}.{name}", obj
            if not isinstance(obj, type) or issubclass(obj, BaseException):
                continue
            for attr, value in vars(obj).items():
                member = getattr(value, "__func__", value)
                if not attr.startswith("_") and inspect.isfunction(member):
                    yield f"{module.__name__}.{name}.{attr}", member


def test_library_calls_document_what_they_raise() -> None:
    """Each public call that raises by name says so in its docstring (the class or a base)."""
    calls = dict(_public_callables())
    assert len(calls) > 100
    undocumented = []
    for name, func in calls.items():
        named = _named_classes(inspect.getdoc(func) or "", func)
        for raised in _raised_classes(func):
            if not any(issubclass(raised, kind) for kind in named):
                undocumented.append(f"{name}: raises {raised.__name__}")
    assert not undocumented, "\n".join(undocumented)


def test_the_raise_rule_can_fail() -> None:
    def quiet(x: int) -> int:
        """Double it."""
        if x < 0:
            raise ValueError("negative")
        return x * 2

    assert _raised_classes(quiet) == {ValueError}
    assert _named_classes(inspect.getdoc(quiet) or "", quiet) == set()


def _commands() -> Iterator[tuple[list[str], click.Command]]:
    def walk(
        command: click.Command, path: list[str], ctx: click.Context
    ) -> Iterator[tuple[list[str], click.Command]]:
        yield path, command
        if isinstance(command, click.Group):
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                yield from walk(sub, [*path, name], click.Context(sub, parent=ctx, info_name=name))

    yield from walk(cli, ["yicam"], click.Context(cli, info_name="yicam"))


def test_every_command_is_in_the_cli_reference(site: Path) -> None:
    page = site / "cli" / "reference" / "index.html"
    assert "Sentinel" not in page.read_text()  # mkdocs-click's table style shows click's UNSET
    ids = _ids(page)
    commands = list(_commands())
    assert len(commands) > 40
    for path, command in commands:
        assert "-".join(path) in ids, path
        assert (command.help or "").strip(), f"{path}: no help text"
        for param in command.params:
            if isinstance(param, click.Option) and not param.hidden:
                assert param.help, f"{path} {param.opts}: no help text"


def test_command_help_says_what_it_prints_and_how_it_fails() -> None:
    """Each command's help (the reference's text for it) names its output and its failures."""
    for path, command in _commands():
        if isinstance(command, click.Group):
            continue
        text = " ".join((command.help or "").split())
        assert re.search(r"\b(Prints|Shows|Writes|Opens)\b", text), f"{path}: what it prints"
        assert re.search(r"\b(Fails|fails|exits 1|exit 1)\b", text), f"{path}: how it fails"


def test_cli_help_says_how_commands_fail() -> None:
    """`yicam --help` (the reference's first section) tells how every command fails."""
    group = cli.help or ""
    assert "Error:" in group
    assert "exit" in group.lower()
    assert "--json" in group


class _Links(HTMLParser):
    """The links of a built page's article (the content, not the navigation)."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article":
            self._depth += 1
        href = dict(attrs).get("href")
        if self._depth and tag == "a" and href and not href.startswith(("http", "#")):
            self.links.append(href)

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self._depth -= 1


def _page_links(site: Path, url: str) -> set[str]:
    file = site / urlparse(url).path.lstrip("/")
    if file.is_dir() or not file.suffix:
        file = file / "index.html"
    if not file.is_file():
        return set()
    parser = _Links()
    parser.feed(file.read_text())
    return {urljoin(url, href) for href in parser.links}


# Where the site covers each section of the README.
README_TASKS = {
    "Quickstart": "/getting-started/",
    "Install": "/getting-started/#install",
    "The command line": "/cli/",
    "An emulated camera": "/emulator/",
    "Tools that work with it": "/emulator/#tools-that-work-with-it",
    "The desktop app": "/desktop-app/",
    "The library": "/library/",
    "Reconnecting, model differences and errors": "/library/#reconnecting",
    "Tethered shooting and time-lapse": "/cli/tether-and-timelapse/",
    "Several cameras": "/cli/many-cameras/",
    "Safety": "/security/",
    "Threat model": "/security/#threat-model",
    "Troubleshooting": "/troubleshooting/",
    "Documentation": "/",
    "More": "/protocol/",
    "License": "/#license",
}


def test_every_readme_task_is_two_clicks_from_home(site: Path) -> None:
    sections = re.findall(r"^##+ (.+)$", README.read_text(), re.MULTILINE)
    assert set(sections) <= set(README_TASKS), "map the README's new section to its page"
    one = _page_links(site, "/")
    two = set().union(*(_page_links(site, url) for url in one))
    reachable = {"/"} | one | two
    for section in sections:
        target = README_TASKS[section]
        page = target.split("#")[0]
        assert page in reachable, section  # and the section is on that page:
        if "#" in target:
            anchor = target.split("#")[1]
            file = site / page.lstrip("/") / "index.html"
            assert f'id="{anchor}"' in file.read_text(), target


def test_readme_links_into_the_site() -> None:
    text = README.read_text()
    for page in ("docs/index.md", "docs/getting-started.md", "docs/troubleshooting/index.md"):
        assert f"]({page}" in text, page


def test_every_example_runs_or_says_why_not() -> None:
    for page in PAGES:
        text = page.read_text()
        for match in re.finditer(r"^```(\w+)", text, re.MULTILINE):
            if match[1] in RUNNABLE:
                continue
            if match[1] in {"sh", "bash", "shell", "py", "pycon"}:
                before = text[: match.start() + 3]  # up to the fence, not its language
                assert NOT_RUN.search(before), f"{page}: a {match[1]} block nobody runs"


# -- running the examples --------------------------------------------------------------


class Rig:
    """Three emulated cameras named left, right and back; single-camera commands use left."""

    def __init__(self, loop: LoopThread, config: Path) -> None:
        first = loop.emulator(host=f"{SUBNET}.2")
        ports = {"port": first.port, "data_port": first.data_port, "http_port": first.http_port}
        rest = [loop.emulator(host=f"{SUBNET}.{i}", rtsp_port=None, **ports) for i in (3, 4)]
        self.emulators = [first, *rest]
        for name, emu in zip(NAMES, self.emulators, strict=True):
            entry = CameraConfig(name, settings_of(emu))
            add_camera(entry, config)
        self.first = first
        self.loop = loop
        self.env = {**os.environ, "YICAM_CONFIG": str(config), "YICAM_CAMERA": "left"}
        self.env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{self.env['PATH']}"


def _matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; `...` within a line matches any text, a line of `...` any lines."""
    lines = [r"(?:[^\n]*\n)*?" if e == "..." else _pattern(e) + r"\n" for e in expected]
    return re.fullmatch("".join(lines), "".join(a + "\n" for a in actual)) is not None


def _pattern(line: str) -> str:
    return "[^\n]*".join(re.escape(part) for part in line.split("..."))


def _run_yicam(words: list[str], rig: Rig, *, failing: bool = False) -> str:
    args = words[1:]
    if MANY & set(args):
        if args[0] == "discover" or "discover" in args:
            first = rig.first
            ports = ["--port", str(first.port), "--data-port", str(first.data_port)]
            args = [*ports, "--http-port", str(first.http_port), *args]
            args += ["--network", f"{SUBNET}.0/29"]
        argv = args
    else:
        address, rest = retarget(words, rig.first)
        argv = [*address, *rest]
    result = CliRunner().invoke(cli, argv, prog_name="yicam")
    if failing:  # the example shows how the command fails: `Error: ...` (or the usage first)
        assert result.exit_code in (1, 2), (words, result.output)
        return result.output
    assert result.exit_code == 0, (words, result.output)
    rig.loop.run(wait_until(lambda: all(quiet(emu) for emu in rig.emulators)))
    return result.stdout


def _run_shell(line: str, rig: Rig, cwd: Path) -> str:
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {line}"],
        cwd=cwd,
        env=rig.env,
        capture_output=True,
        text=True,
        timeout=50,
        check=False,
    )
    assert done.returncode == 0, (line, done.stdout, done.stderr)
    return done.stdout


def _console(body: str, rig: Rig, cwd: Path) -> None:
    lines: list[tuple[str, list[str]]] = []
    for line in body.splitlines():
        if line.startswith("$ "):
            lines.append((line[2:], []))
        elif lines:
            lines[-1][1].append(line)
    for command, expected in lines:
        words = shlex.split(command)
        if words[0] == "yicam" and not SHELL.search(command):
            _address, args = retarget(words, rig.first)
            if LONG_RUNNING & set(args[:1]) or args[:2] == ["live", "--url"]:
                continue
            failing = bool(expected) and expected[0].startswith(("Error:", "Usage:", '{"error'))
            out = _run_yicam(words, rig, failing=failing)
        else:
            out = _run_shell(command, rig, cwd)
        if expected:
            assert _matches(expected, out.splitlines()), (command, expected, out)


def _python(
    body: str,
    expected: list[str] | None,
    emu: Emulator,
    env: dict[str, str],
    capsys: pytest.CaptureFixture[str],
) -> None:
    capsys.readouterr()
    code = retarget_python(body, emu)
    with pytest.MonkeyPatch.context() as patch:  # scripts that run `yicam` reach named cameras
        for name in ("PATH", "YICAM_CAMERA"):
            patch.setenv(name, env[name])
        exec(compile(code, "docs example", "exec"), {"__name__": "docs"})
    printed = capsys.readouterr().out
    out = printed.splitlines()
    for line in expected or []:
        pattern = _pattern(line)
        while out and not re.fullmatch(pattern, out[0]):
            out.pop(0)
        assert out, f"output line not found (in order): {line!r} in {printed}"
        out.pop(0)


def _pytest_files(files: dict[str, str], cwd: Path, rig: Rig) -> None:
    folder = cwd / "user_tests"
    folder.mkdir()
    for name, body in files.items():
        (folder / name).write_text(body)
    options = [
        "-p",
        "no:cacheprovider",
        "-W",
        "error",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    ]
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *options, "."],
        cwd=folder,
        env={**rig.env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=55,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert re.search(r"\b\d+ passed\b", done.stdout), done.stdout


@pytest.mark.parametrize("page", PAGES, ids=[p.relative_to(DOCS).as_posix() for p in PAGES])
def test_page_examples(
    page: Path,
    loop: LoopThread,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = page.read_text()
    blocks = fences(text)
    if not any(lang in RUNNABLE for lang, _info, _body in blocks):
        pytest.skip("no examples")
    monkeypatch.chdir(tmp_path)  # the examples write files where they run
    config = tmp_path / "config.toml"
    monkeypatch.setenv("YICAM_CONFIG", str(config))
    rig = Rig(loop, config)
    test_files: dict[str, str] = {}
    not_run = set(NOT_RUN_BLOCK.findall(text))
    for index, (lang, info, body) in enumerate(blocks):
        title = re.search(r'title="([^"]+)"', info)
        if body in not_run:
            continue
        if lang == "console":
            _console(body, rig, tmp_path)
        elif lang == "python" and title and re.fullmatch(r"(conftest|test_\w+)\.py", title[1]):
            test_files[title[1]] = body
        elif lang == "python":
            following = blocks[index + 1] if index + 1 < len(blocks) else None
            expected = None
            if following and following[0] == "text" and 'title="Output"' in following[1]:
                expected = [line for line in following[2].splitlines() if line.strip()]
            # Each program starts with a fresh camera (the named cameras stay the rig's).
            _python(body, expected, loop.emulator(), rig.env, capsys)
    if test_files:
        _pytest_files(test_files, tmp_path, rig)


def _messages(source: Path) -> Iterator[str]:
    """The fixed text of each exception message raised in `source` (f-string parts too)."""
    for node in ast.walk(ast.parse(source.read_text())):
        call = node.exc if isinstance(node, ast.Raise) else node
        if not isinstance(call, ast.Call) or not call.args:
            continue
        func = call.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if not (name.endswith(("Error", "Exception", "BadParameter")) or name == "fail"):
            continue
        first = call.args[0]
        parts = [first] if isinstance(first, ast.Constant) else getattr(first, "values", [])
        for part in parts:
            if isinstance(part, ast.Constant) and isinstance(part.value, str):
                text = part.value.strip(" ;:(")
                if len(text) >= 8 and '"' not in text:
                    yield text


def test_troubleshooting_lists_every_cli_error() -> None:
    """Every message the CLI raises, every rval text and every hint it adds is explained."""
    from yicam._errors import RVAL_TEXT

    page = (DOCS / "troubleshooting" / "index.md").read_text()
    messages = [m for f in sorted((ROOT / "yicam" / "cli").glob("*.py")) for m in _messages(f)]
    assert len(messages) > 15
    messages += RVAL_TEXT.values()
    output = (ROOT / "yicam" / "cli" / "output.py").read_text()
    hints = re.findall(r'return "([^"]+)"', output.split("def _hint", 1)[1].split("\ndef ", 1)[0])
    assert len(hints) >= 5
    missing = [m for m in [*messages, *hints] if m not in page]
    assert not missing, f"not in docs/troubleshooting/index.md: {missing}"


def test_readme_links_resolve() -> None:
    """The README's links into the docs (and elsewhere in the repository) point at files."""
    links = re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", README.read_text())
    local = [link for link in links if not link.startswith(("http://", "https://"))]
    assert len(local) > 10
    missing = [link for link in local if not (ROOT / link).exists()]
    assert not missing, missing
