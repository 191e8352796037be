"""Kill tests: SIGKILL at random moments never leaves a run folder mixed or half-written.

A run folder is always the complete old run or the complete new one (checked with
:func:`gridtwin.rundir.verify_run`), and the next run removes the temporary folders a killed
one left behind.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gridtwin.rundir import MANIFEST, RunFolderError, prepare, verify_run, write_run

TINY = Path(__file__).parent / "data" / "tiny.yaml"
FILES = [f"part{i}.txt" for i in range(6)]

# A writer that takes its time between files, so that random kills land inside the write and
# the swap as well as before them.
SLOW_WRITER = """
import sys, time
from pathlib import Path
from gridtwin.rundir import write_run

target, text = Path(sys.argv[1]), sys.argv[2]

def write_files(folder):
    names = []
    for i in range(6):
        (folder / f"part{i}.txt").write_text(text * 20000)
        names.append(f"part{i}.txt")
        time.sleep(0.02)
    return names

print("start", flush=True)
write_run(target, write_files, {"seed": text}, overwrite=True)
print("done", flush=True)
"""


def _leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.rglob(".gridtwin-*"))


def _write(target: Path, text: str) -> None:
    def files(folder: Path) -> list[str]:
        for name in FILES:
            (folder / name).write_text(text * 20000)
        return FILES

    write_run(target, files, {"seed": text}, overwrite=True)


def _which(target: Path) -> str:
    """``old`` or ``new``: the run in the folder, which must be complete and unmixed."""
    manifest = verify_run(target)
    texts = {(target / name).read_text()[:3] for name in FILES}
    assert len(texts) == 1, f"mixed run folder: {texts}"
    assert texts == {manifest["seed"]}
    return manifest["seed"]


def test_kills_during_the_write_leave_the_old_or_the_new_run(tmp_path: Path):
    target = tmp_path / "run"
    _write(target, "old")
    rng = random.Random(20221)
    seen = set()
    for attempt in range(12):
        proc = subprocess.Popen([sys.executable, "-c", SLOW_WRITER, str(target), "new"],
                                stdout=subprocess.PIPE, text=True)
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "start"
        time.sleep(rng.uniform(0.0, 0.2))  # the write takes about 0.15 s
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        seen.add(_which(target))
        # the next writer cleans up what the killed one left and writes whole
        _write(target, "old")
        assert _which(target) == "old"
        assert _leftovers(tmp_path) == [], attempt
    assert "old" in seen  # kills before the swap (most of them) keep the old run


def test_a_write_that_finishes_swaps_in_the_new_run(tmp_path: Path):
    target = tmp_path / "run"
    _write(target, "old")
    done = subprocess.run([sys.executable, "-c", SLOW_WRITER, str(target), "new"],
                          capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.split() == ["start", "done"]
    assert _which(target) == "new"
    assert _leftovers(tmp_path) == []


def _gridtwin_run(out: Path, seed: int, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "gridtwin", "run", str(TINY), "--days", "21", "--seed", str(seed),
         "--out", str(out), "--no-progress", *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )


@pytest.mark.parametrize("existing", [False, True], ids=["new-folder", "existing-run"])
def test_killing_gridtwin_run_never_leaves_a_mixed_folder(tmp_path: Path, existing: bool):
    out = tmp_path / "out"
    if existing:
        assert _gridtwin_run(out, 1).wait(timeout=120) == 0
        assert verify_run(out)["seed"] == 1
    rng = random.Random(7 + existing)
    t0 = time.perf_counter()
    full = _gridtwin_run(out, 2, "--overwrite")
    assert full.wait(timeout=120) == 0
    duration = time.perf_counter() - t0
    assert verify_run(out)["seed"] == 2
    for _ in range(3):
        if existing:
            assert _gridtwin_run(out, 1, "--overwrite").wait(timeout=120) == 0
        else:
            prepare(out, overwrite=True)
            for p in out.iterdir():
                p.unlink()
        proc = _gridtwin_run(out, 2, "--overwrite")
        time.sleep(rng.uniform(0.3, 1.1) * duration)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        if existing or any(out.iterdir()):
            assert verify_run(out)["seed"] in ({1, 2} if existing else {2})
        else:  # killed before the swap: the new folder is still empty, not half-written
            with pytest.raises(RunFolderError):
                verify_run(out)
    # the next run cleans up every temporary folder the killed ones left
    assert _gridtwin_run(out, 3, "--overwrite").wait(timeout=120) == 0
    assert verify_run(out)["seed"] == 3
    assert _leftovers(tmp_path) == []
    assert json.loads((out / MANIFEST).read_text())["files"].keys() >= {"kpis.json"}
