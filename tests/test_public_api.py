"""Tests of the public API: package ``__all__`` lists, lazy top-level names, version."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pytest

import gridtwin

TINY = Path(__file__).parent / "data" / "tiny.yaml"

PACKAGES = [
    "gridtwin",
    "gridtwin.scenarios",
    "gridtwin.scenarios.schema",
    "gridtwin.scenarios.checks",
    "gridtwin.scenarios.errors",
    "gridtwin.scenarios.loader",
    "gridtwin.sim",
    "gridtwin.agents",
    "gridtwin.experiments",
    "gridtwin.viz",
    "gridtwin.runner",
    "gridtwin.kpiformat",
    "gridtwin.experiments.stats",
]


@pytest.mark.parametrize("name", PACKAGES)
def test_every_name_in_all_resolves(name: str):
    module = importlib.import_module(name)
    exported = module.__all__
    assert len(exported) == len(set(exported)), f"{name}.__all__ has duplicates"
    for attr in exported:
        assert getattr(module, attr) is not None, f"{name}.{attr}"


def test_star_import_of_lazy_packages():
    namespace: dict[str, object] = {}
    exec("from gridtwin.sim import *\nfrom gridtwin.agents import *", namespace)
    assert "quantile" in namespace
    assert namespace["Quantile"] is namespace["quantile"]  # the former name still works
    assert "GridWorker" in namespace


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError):
        gridtwin.no_such_name  # noqa: B018
    with pytest.raises(AttributeError):
        importlib.import_module("gridtwin.sim").no_such_name  # noqa: B018


def test_moved_names_still_importable_from_old_modules():
    from gridtwin.scenarios import checks, errors
    from gridtwin.scenarios.loader import format_path, validation_problems
    from gridtwin.scenarios.schema import Problem, cross_check

    assert Problem is checks.Problem
    assert cross_check is checks.cross_check
    assert format_path is errors.format_path
    assert validation_problems is errors.validation_problems


def test_import_gridtwin_is_lazy():
    code = ("import sys, gridtwin; "
            "print(any(m in sys.modules for m in ('gridtwin.runner', 'gridtwin.model', 'simpy')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_subpackages_import_without_cycles():
    code = "import gridtwin.sim, gridtwin.agents, gridtwin.model"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_version_is_a_string():
    assert isinstance(gridtwin.__version__, str)
    assert gridtwin.__version__


def test_run_tiny_through_the_top_level():
    assert callable(gridtwin.run)
    assert callable(gridtwin.simulate)
    result = gridtwin.run(gridtwin.load_scenario(TINY), days=3)
    k = result.kpis
    assert k["cases_total"] == (k["cases_resolved"] + k["cases_closed_unresolved"]
                                + k["cases_abandoned"] + k["cases_open_at_end"])
    assert k["cases_total"] > 0


def _imports(path: Path, runtime_only: bool = False) -> set[str]:
    """Every gridtwin module a source file imports (type-only ones too unless ``runtime_only``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    if runtime_only:  # drop the ``if TYPE_CHECKING:`` blocks
        for node in ast.walk(tree):
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                node.body = []
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gridtwin"):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("gridtwin"))
    return found


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("vocab.py", ("gridtwin.",)),
        ("scenarios", ("gridtwin.sim", "gridtwin.agents", "gridtwin.model", "gridtwin.runner")),
        ("sim/kpis.py", ("gridtwin.agents", "gridtwin.model")),
        ("sim/timeseries.py", ("gridtwin.agents", "gridtwin.model")),
    ],
)
def test_layers_import_only_downwards(layer: str, forbidden: tuple[str, ...]) -> None:
    """The vocabulary imports nothing of the project; the format never imports the engine."""
    root = Path(gridtwin.__file__).parent / layer
    files = [root] if root.is_file() else sorted(root.rglob("*.py"))
    assert files
    bad = {
        f"{f.relative_to(root.parent)} imports {m}"
        for f in files
        for m in _imports(f)
        if m.startswith(forbidden)
    }
    assert not bad, sorted(bad)


def test_the_engine_imports_the_model_and_agents_only_for_types() -> None:
    """At run time sim/ needs neither the model nor its agents: they are handed in."""
    root = Path(gridtwin.__file__).parent / "sim"
    bad = {
        f"sim/{f.name} imports {m}"
        for f in sorted(root.glob("*.py"))
        for m in _imports(f, runtime_only=True)
        if m.startswith(("gridtwin.agents", "gridtwin.model", "gridtwin.runner"))
    }
    assert not bad, sorted(bad)
