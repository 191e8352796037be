"""Optional validation run: calibrate the full shipped 311 logs and print the key figures.

The test suite proves calibration on small slices (tests/data/311/); this script runs it on
the full files, which live outside the repository (``../shared/data/311/``, or the folder
given as the first argument) and are skipped when absent::

    python benchmarks/calibrate_full.py [FOLDER] [--replications N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gridtwin.calibrate.pipeline import Options, calibrate

ROOT = Path(__file__).resolve().parent.parent
LOGS = {
    "la": "la311_2020-01-01_to_2020-01-03_first10000.csv",
    "nyc": "nyc311_2021-09-21_fullday.csv",
    "chicago": "chicago311_2021-01-01_to_2021-01-02_first5000.csv",
    "boston": "boston311_jan2022_100rows_qsv_fixture.csv",
}


def _fmt(x: float | None) -> str:
    return "beyond" if x is None else f"{x:.1f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", nargs="?", default=str(ROOT.parent / "shared" / "data" / "311"))
    parser.add_argument("--replications", type=int, default=5)
    parser.add_argument("--out", default=str(ROOT / "runs" / "calibrate-full"))
    args = parser.parse_args()
    folder, out = Path(args.folder), Path(args.out)
    for mapping, name in LOGS.items():
        log = folder / name
        if not log.is_file():
            print(f"{mapping}: {log} not found, skipped")
            continue
        t0 = time.perf_counter()
        calibrate(Options(log=log, mapping=mapping, out=out / mapping,
                          replications=args.replications, overwrite=True))
        wall = time.perf_counter() - t0
        fit = json.loads((out / mapping / "fit.json").read_text(encoding="utf-8"))
        val, back = fit["validation"], fit["backtest"]
        allq = fit["time_to_close"]["all"]
        print(f"{mapping}: {fit['log']['rows_kept']} requests, {len(fit['rates'])} types, "
              f"{wall:.0f} s")
        for label, res in (("held out", val), ("back-test", back)):
            m = res["hourly_arrivals_mape"]["overall"]
            chi = res["hourly_arrivals_chi2"]
            print(f"  {label}: {res['window']['start']}..{res['window']['end']} "
                  f"MAPE {m if m is None else round(m, 3)}, chi2/df {chi['dispersion']:.2f} "
                  f"(p {chi['p_value']:.3g}), R2 {res['hourly_arrivals_r2']}, "
                  f"mix TVD type {res['mix']['type']['tvd']:.3f} "
                  f"channel {res['mix']['channel']['tvd']:.3f}")
        for q in ("p50", "p90"):
            o, s = allq[q]["observed"], allq[q]["simulated"]
            print(f"  time to close {q}: observed {_fmt(o['value'])} h "
                  f"[{_fmt(o['low'])}, {_fmt(o['high'])}], twin {_fmt(s['mean'])} h "
                  f"[{_fmt(s['low'])}, {_fmt(s['high'])}]")


if __name__ == "__main__":
    main()
