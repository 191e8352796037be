"""Shared fixtures: a seeded generator and the tiny test scenario."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from gridtwin.scenarios.loader import load_scenario
from gridtwin.scenarios.schema import Scenario

DATA = Path(__file__).parent / "data"


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


@pytest.fixture(scope="session")
def tiny_path() -> Path:
    return DATA / "tiny.yaml"


@pytest.fixture(scope="session")
def tiny(tiny_path: Path) -> Scenario:
    return load_scenario(tiny_path)
