"""Build gridtwin with its engine's hot modules compiled by mypyc.

Everything else about the package is in ``pyproject.toml``. The modules listed in
``gridtwin/_compiled.py`` are plain typed Python; mypyc turns them into C extensions placed next
to their sources (the same results in a sixth to a quarter less time: docs/performance.md),
and this script records a hash of each source in ``gridtwin/_compiled.json`` so that an edited
source is never shadowed by a stale build (``gridtwin._compiled.select``).

``GRIDTWIN_PURE=1 pip install .`` installs without compiling (no C compiler needed).
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from setuptools import Extension, setup

ROOT = Path(__file__).resolve().parent


def _compiled_module() -> ModuleType:
    """Load ``gridtwin/_compiled.py`` alone (the package's dependencies are not installed yet)."""
    spec = importlib.util.spec_from_file_location("_compiled", ROOT / "gridtwin" / "_compiled.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def ext_modules() -> list[Extension]:
    """The hot modules' extensions built by mypyc, or none with ``GRIDTWIN_PURE=1``."""
    compiled = _compiled_module()
    stamp = ROOT / "gridtwin" / compiled.STAMP
    if compiled.pure_requested():
        stamp.unlink(missing_ok=True)
        return []
    from mypyc.build import mypycify

    stamp.write_text(json.dumps(compiled.source_hashes(root=ROOT), indent=1), encoding="utf-8")
    return mypycify(compiled.source_files(), opt_level="3", group_name=compiled.GROUP)


setup(ext_modules=ext_modules())
