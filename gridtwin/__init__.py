"""gridtwin: a digital twin and policy sandbox for grid-based city governance."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("gridtwin")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"
