"""The import contracts (pyproject.toml, run by `lint-imports` in `make lint`) cover the whole
package: a new top-level module must be named in the contracts that list modules one by one
(import-linter cannot say "everything but communicator.sip")."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "communicator"


def contracts() -> dict[str, dict[str, Any]]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    assert config["root_package"] == "communicator"
    return {c["name"]: c for c in config["contracts"]}


def top_level_modules() -> set[str]:
    found = {
        f"communicator.{p.stem}"
        for p in PACKAGE.iterdir()
        if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()
    }
    assert {"communicator.core", "communicator.sip", "communicator.ui"} <= found
    return found


def test_every_module_but_sip_is_forbidden_to_import_pjsua2() -> None:
    (contract,) = [c for n, c in contracts().items() if n.startswith("only communicator.sip")]
    assert contract["forbidden_modules"] == ["pjsua2"]
    assert set(contract["source_modules"]) == top_level_modules() - {"communicator.sip"}


def test_core_is_forbidden_to_import_every_other_module_of_ours() -> None:
    (contract,) = [c for n, c in contracts().items() if n.startswith("core is pure")]
    assert contract["source_modules"] == ["communicator.core"]
    ours = {m for m in contract["forbidden_modules"] if m.startswith("communicator.")}
    assert ours == top_level_modules() - {"communicator.core"}
    assert {"PySide6", "pjsua2", "httpx", "sqlite3"} <= set(contract["forbidden_modules"])


def test_the_client_contract_covers_everything_but_the_server() -> None:
    (contract,) = [c for n, c in contracts().items() if n.startswith("the client never")]
    assert set(contract["source_modules"]) == {"communicator.*", "communicator.provisioning.*"}
    assert contract["forbidden_modules"] == ["communicator.provisioning.server"]
    assert not contract.get("allow_indirect_imports", False)
