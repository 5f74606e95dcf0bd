"""The system dependency list (scripts/system-deps.txt) is complete and installed.

A program that the tests or the demo run but that `make test` does not install makes the suite
fail only on a fresh machine (it happened with ``secret-tool``). So: every entry of the list must
be present here, and every program the code runs - the names given to ``subprocess``,
``ManagedProcess`` and ``shutil.which`` in Python, and to ``command -v`` in shell scripts - must
have an entry in the list.
"""

from __future__ import annotations

import ast
import glob
import os
import re
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPS_LIST = ROOT / "scripts" / "system-deps.txt"
SCANNED = ("communicator", "tests", "bench", "scripts")
RUNNERS = frozenset({"run", "Popen", "call", "check_call", "check_output", "ManagedProcess"})
"""Callables that start a program; ``ManagedProcess`` (tests/rig) takes its argv second."""
SBIN = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def deps_entries() -> list[tuple[str, str]]:
    """(program name or absolute path glob, Debian package) for each entry of the list."""
    entries = []
    for raw in DEPS_LIST.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if line:
            what, package = line.split()
            entries.append((what, package))
    return entries


def is_present(what: str) -> bool:
    if what.startswith("/"):
        return any(Path(p).exists() for p in glob.glob(what))
    path = os.pathsep.join([os.environ.get("PATH", os.defpath), *SBIN])
    return shutil.which(what, path=path) is not None


# ------------------------------------------------------------------- finding what is run


def _callable_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


class _ProgramFinder:
    """Names of the programs one Python module runs, as far as they are written in it."""

    def __init__(self, tree: ast.Module) -> None:
        self._tree = tree
        self._assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        self._assigned.setdefault(target.id, []).append(node.value)
            elif (
                isinstance(node, ast.AnnAssign)
                and node.value is not None
                and isinstance(node.target, ast.Name)
            ):
                self._assigned.setdefault(node.target.id, []).append(node.value)

    def programs(self) -> Iterator[str]:
        for node in ast.walk(self._tree):
            if not isinstance(node, ast.Call):
                continue
            name = _callable_name(node.func)
            if name == "which" and node.args:
                yield from self._names(node.args[0], set())
            elif name in RUNNERS:
                position = 1 if name == "ManagedProcess" else 0
                argv = next((k.value for k in node.keywords if k.arg in ("args", "argv")), None)
                if argv is None and len(node.args) > position:
                    argv = node.args[position]
                if argv is not None:
                    yield from self._program_of(argv, set())

    def _program_of(self, argv: ast.expr, seen: set[str]) -> Iterator[str]:
        """The program an argv expression starts: its first element, resolved."""
        if isinstance(argv, ast.List | ast.Tuple):
            for element in argv.elts:
                yield from self._names(element, seen)
                if not self._may_be_empty(element):
                    break
        elif isinstance(argv, ast.Name) and argv.id not in seen:
            for value in self._assigned.get(argv.id, []):
                yield from self._program_of(value, seen | {argv.id})

    def _may_be_empty(self, element: ast.expr) -> bool:
        """A starred prefix assigned an empty list somewhere (``*run_as``): the program may be
        the next element."""
        if not isinstance(element, ast.Starred) or not isinstance(element.value, ast.Name):
            return False
        values = self._assigned.get(element.value.id, [])
        return any(isinstance(v, ast.List | ast.Tuple) and not v.elts for v in values)

    def _names(self, node: ast.expr, seen: set[str]) -> Iterator[str]:
        """Program names an argv element can evaluate to (nothing when not written here)."""
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield Path(node.value).name
        elif isinstance(node, ast.Starred):
            yield from self._program_of(node.value, seen)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Div):
            yield from self._names(node.right, seen)  # bindir / "initdb"
        elif isinstance(node, ast.Call) and node.args:
            if _callable_name(node.func) in ("str", "which", "Path"):
                yield from self._names(node.args[0], seen)
        elif isinstance(node, ast.Name) and node.id not in seen:
            for value in self._assigned.get(node.id, []):
                yield from self._names(value, seen | {node.id})


def programs_run_by_the_code() -> dict[str, set[str]]:
    """Program name -> the files that run it."""
    found: dict[str, set[str]] = {}
    for top in SCANNED:
        for path in sorted((ROOT / top).rglob("*")):
            rel = str(path.relative_to(ROOT))
            if path.suffix == ".py":
                tree = ast.parse(path.read_text(), filename=rel)
                names = set(_ProgramFinder(tree).programs())
            elif path.suffix == ".sh":
                names = set(re.findall(r"command -v ([\w.+-]+)", path.read_text()))
            else:
                continue
            for name in names:
                found.setdefault(name, set()).add(rel)
    return found


# ------------------------------------------------------------------------------- tests


def test_every_listed_dependency_is_installed() -> None:
    missing = [f"{what} ({package})" for what, package in deps_entries() if not is_present(what)]
    assert not missing, f"missing; `make system-deps` as root installs them: {missing}"


def own_programs() -> set[str]:
    """The commands this project installs itself (``[project.scripts]``): no Debian package."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return set(project.get("scripts", {}))


def test_every_program_the_code_runs_is_listed() -> None:
    listed = {Path(what).name for what, _ in deps_entries()} | own_programs()
    unlisted = {
        name: sorted(files)
        for name, files in programs_run_by_the_code().items()
        if name not in listed
    }
    assert not unlisted, f"add these programs to {DEPS_LIST.relative_to(ROOT)}: {unlisted}"


def test_the_scan_sees_the_programs_we_know_about() -> None:
    """Guards the scanner itself: these are run in the ways it has to understand (a literal
    argv, ``shutil.which``, ``bindir / "initdb"``, ``*run_as``, ``command -v``)."""
    found = programs_run_by_the_code()
    known = {"kamailio", "stund", "turnserver", "openssl", "secret-tool", "pulseaudio"}
    known |= {"pactl", "paplay", "initdb", "pg_ctl", "runuser", "gnome-keyring-daemon"}
    assert known <= found.keys(), sorted(known - found.keys())
