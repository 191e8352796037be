"""``report.md`` and its plots (PNG, drawn with matplotlib's Agg backend, no display needed).

The report says what was read and cleaned, what was fitted (rates with intervals, profiles,
channel mix, time to close, staffing), how the twin did on the held-out period and on the
training period (back-test), and, in plain sentences, where it is off.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 - the backend must be chosen first
import numpy as np  # noqa: E402

from gridtwin.calibrate.cells import CellSet  # noqa: E402
from gridtwin.calibrate.cleaning import CleaningReport  # noqa: E402
from gridtwin.calibrate.fit import Fit  # noqa: E402

if TYPE_CHECKING:
    from gridtwin.calibrate.pipeline import Options

__all__ = ["PLOTS", "write_report"]

PLOTS = ("arrivals_held_out.png", "arrivals_backtest.png", "profile.png", "time_to_close.png")
"""The plots written beside ``report.md``."""


def _save(fig: Any, path: Path) -> None:
    """Lay out, write and release a figure (every plot of the report the same way)."""
    fig.subplots_adjust(left=0.09, right=0.98, bottom=0.16, top=0.9)
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _arrivals_plot(path: Path, res: dict[str, Any], title: str) -> None:
    h = res["hourly"]
    x = np.arange(len(h["observed"]))
    fig, ax = plt.subplots(figsize=(9, 3.6))
    ax.fill_between(x, h["simulated_low"], h["simulated_high"], step="mid", alpha=0.25,
                    color="tab:blue", label="twin, 5–95% of replications")
    ax.step(x, h["simulated_mean"], where="mid", color="tab:blue", label="twin, mean")
    ax.step(x, h["expected"], where="mid", color="tab:green", ls="--", label="fitted intensity")
    ax.plot(x, h["observed"], "o", ms=3, color="black", label="observed")
    ax.set_xlabel(f"hour from {res['window']['start']} (local time)")
    ax.set_ylabel("requests per hour")
    ax.set_title(title)
    ax.legend(fontsize=8)
    _save(fig, path)


def _profile_plot(path: Path, fit: Fit) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.4))
    for t in fit.types[:6]:
        ax.plot(range(24), t.hourly, label=t.id)
    ax.plot(range(24), fit.pooled_hourly, color="black", lw=2, label="all types")
    ax.set_xlabel("hour of day (local)")
    ax.set_ylabel("relative rate (mean 1)")
    ax.set_title("Fitted hourly profiles")
    ax.legend(fontsize=7)
    _save(fig, path)


def _ttc_plot(path: Path, fit: Fit) -> None:
    fig, ax = plt.subplots(figsize=(7, 3.6))
    for t in fit.types[:5]:
        if t.km.times.size == 0:
            continue
        line = ax.step(t.km.times, t.km.survival, where="post", label=f"{t.id} (Kaplan–Meier)")
        if t.chosen is not None:
            from scipy import stats

            x = np.geomspace(max(t.km.times[0], 1 / 60), max(t.km.times[-1], 1), 200)
            p = t.chosen.params
            if t.chosen.family == "gamma":
                s = stats.gamma(p["shape"], scale=p["scale_h"]).sf(x)
            else:
                s = stats.lognorm(p["sigma"], scale=np.exp(p["mu"])).sf(x)
            ax.plot(x, s, ls="--", color=line[0].get_color())
    ax.set_xscale("symlog", linthresh=1)
    ax.set_xlabel("hours from created (dashed: best log-normal or gamma fit)")
    ax.set_ylabel("share still open")
    ax.set_title("Time to close (training period, censored)")
    ax.legend(fontsize=7)
    _save(fig, path)


def _h(x: float | None) -> str:
    return "—" if x is None else f"{x:.1f}"


def _validation_section(res: dict[str, Any], title: str, plot: str) -> list[str]:
    w = res["window"]
    mape = res["hourly_arrivals_mape"]
    chi = res["hourly_arrivals_chi2"]
    lines = [f"## {title}", "",
             f"{w['start']} to {w['end']} ({w['hours']} hours, {w['requests']:,} requests; "
             f"closures followed until {w['censored_at']}), {res['replications']} replications.",
             "", f"![{title}]({plot})", "",
             "| figure | value |", "| --- | --- |",
             f"| requests: observed / twin mean / fitted | {res['total']['observed']:.0f} / "
             f"{res['total']['simulated_mean']:.1f} / {res['total']['expected']:.1f} |",
             "| hourly arrivals MAPE | "
             + ("—" if mape["overall"] is None else f"{mape['overall']:.1%}") + " |",
             f"| chi-square (df, p-value, dispersion) | {chi['statistic']:.1f} ({chi['df']}, "
             f"{chi['p_value']:.3g}, {chi['dispersion']:.2f}) |",
             "| R² hourly | " + ("—" if res["hourly_arrivals_r2"] is None
                                 else f"{res['hourly_arrivals_r2']:.3f}") + " |",
             f"| mix distance by type / channel | {res['mix']['type']['tvd']:.3f} / "
             f"{res['mix']['channel']['tvd']:.3f} |", ""]
    if mape["by_type"]:
        lines += ["Hourly MAPE per type: " + ", ".join(
            f"{k} {v:.0%}" for k, v in mape["by_type"].items() if v is not None) + ".", ""]
    lines += ["Time to close (hours; observed: Kaplan–Meier with its 95% interval; twin: mean "
              "over replications with its 95% interval; — beyond the follow-up):", "",
              "| type | n (censored) | p50 observed | p50 twin | p90 observed | p90 twin |",
              "| --- | ---: | --- | --- | --- | --- |"]
    for key, v in res["time_to_close"].items():
        o, s = v["observed"], v["simulated"]
        lines.append(
            f"| {key} | {o['n']} ({o['censored']}) | {_h(o['p50']['value'])} "
            f"[{_h(o['p50']['low'])}, {_h(o['p50']['high'])}] | {_h(s['p50']['mean'])} "
            f"[{_h(s['p50']['low'])}, {_h(s['p50']['high'])}] | {_h(o['p90']['value'])} "
            f"[{_h(o['p90']['low'])}, {_h(o['p90']['high'])}] | {_h(s['p90']['mean'])} "
            f"[{_h(s['p90']['low'])}, {_h(s['p90']['high'])}] |")
    obs_c, sim_c = res["mix"]["channel"]["observed"], res["mix"]["channel"]["simulated"]
    lines += ["", "Channel shares observed / twin: " + ", ".join(
        f"{c} {obs_c.get(c, 0):.1%} / {sim_c.get(c, 0):.1%}" for c in res["channels"]) + ".", ""]
    return lines


def write_report(folder: Path, fit: Fit, cleaning: CleaningReport, cells: CellSet,
                 results: dict[str, dict[str, Any]], figures: dict[str, Any],
                 opts: Options) -> list[str]:
    """Write ``report.md`` and its plots into ``folder``; the plots' file names."""
    _arrivals_plot(folder / PLOTS[0], results["held_out"], "Held-out period: arrivals by hour")
    _arrivals_plot(folder / PLOTS[1], results["training"], "Back-test: arrivals by hour")
    _profile_plot(folder / PLOTS[2], fit)
    _ttc_plot(folder / PLOTS[3], fit)
    lines = [f"# Calibration of `{opts.log.name}`", "",
             f"Mapping `{figures['log']['mapping']}`, seed {opts.seed}, "
             f"{opts.replications} replications, gridtwin {figures['gridtwin_version']}. "
             "The scenario is `scenario.yaml` (cells: `city.geojson`); every figure is in "
             "`fit.json`.", "", "## Where the twin is off", ""]
    lines += [f"- {s}" for s in figures["statements"]]
    lines += ["", "## Data and cleaning", "", *cleaning.lines(), "",
              f"Cells: {cells.source} ({len(cells.ids)} cells); request counts per cell plus "
              "0.5 are the arrival weights.", ""]
    if fit.holidays:
        lines += ["Holidays in the log (their hours are in the fit; read the weekday profile "
                  "with care):", ""]
        lines += [f"- {h['date']} {h['holiday']}: {h['requests']} requests"
                  + (f" (other full days: {h['mean_other_days']:.0f} on average)"
                     if h["mean_other_days"] else "") for h in fit.holidays]
        lines.append("")
    lines += ["## Fitted arrival rates", "",
              "| type | department | requests | per hour [95% CI] | per year | peak hour |",
              "| --- | --- | ---: | --- | ---: | ---: |"]
    for t in fit.types:
        lo, hi = t.rate_ci_per_h
        lines.append(f"| {t.name} (`{t.id}`) | {t.department} | {t.n} | {t.rate_per_h:.3g} "
                     f"[{lo:.3g}, {hi:.3g}] | {t.yearly:,.0f} | {int(np.argmax(t.hourly))} |")
    lines += ["", f"![profiles]({PLOTS[2]})", "", "## Channel mix", "",
              "| type | " + " | ".join(figures["channel_mix"]["overall"]) + " | in scenario |",
              "| --- | " + " | ".join("---:" for _ in figures["channel_mix"]["overall"])
              + " | --- |"]
    for t in fit.types:
        lines.append(f"| {t.id} | " + " | ".join(
            f"{t.channel_counts.get(c, 0) / max(t.n, 1):.1%}"
            for c in figures["channel_mix"]["overall"]) + f" | {', '.join(t.channels)} |")
    lines += ["", "Log channels as counted: " + ", ".join(
        f"{k} {v:.1%}" for k, v in figures["channel_mix"]["overall_raw"].items()) + ".", "",
        "## Time to close (training period)", "",
        "Kaplan–Meier quantiles in elapsed hours; the fits (AIC) are in the scenario's terms: "
        "working hours of the department's calendar where one was inferred.", "",
        "| type | n (closed) | KM p50 | KM p90 | log-normal AIC | Weibull AIC | gamma AIC | in "
        "the scenario |", "| --- | ---: | --- | --- | ---: | ---: | ---: | --- |"]
    for t in fit.types:
        aic = {k: f"{v.aic:.1f}" for k, v in t.fits.items()}
        chosen = (f"{t.chosen.family} ({t.chosen.median_h:.1f} h, {t.chosen.p90_h:.1f} h)"
                  if t.chosen else "—")
        if fit.close_time == "km" and t.km_basis.times.size:
            chosen = f"Kaplan–Meier, {t.tail.family if t.tail else 'no'} tail"
        chosen += f"; {t.basis}"
        lines.append(f"| {t.id} | {t.km.n} ({t.km.events}) | {_h(t.km.quantile(0.5)['value'])} | "
                     f"{_h(t.km.quantile(0.9)['value'])} | {aic.get('lognormal', '—')} | "
                     f"{aic.get('weibull', '—')} | {aic.get('gamma', '—')} | {chosen} |")
    lines += ["", f"![time to close]({PLOTS[3]})", "", "## Staffing", "",
              "Staff are cases in hand at once (the log has no head counts): the requests in "
              "hand over the week (arrival rates convolved with the Kaplan–Meier curve), at "
              "their peak, plus three standard deviations.", "",
              "| department | agency | staff | in hand (mean) | peak | arrivals/h | closures/h | "
              "calendar (from its closures) |",
              "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |"]
    for did, d in fit.departments.items():
        lines.append(f"| {did} | {d['agency']} | {d['staff']} | {d['work_in_progress']:.1f} | "
                     f"{d['work_in_progress_peak']:.1f} | {d['arrivals_per_h']:.3g} | "
                     f"{d['closures_per_h']:.3g} | {d['calendar_label']} "
                     f"({d['calendar_reason']}) |")
    lines.append("")
    lines += _validation_section(results["held_out"], "Validation on the held-out period",
                                 PLOTS[0])
    lines += _validation_section(results["training"], "Back-test on the training period",
                                 PLOTS[1])
    lines += ["## Reproduce", "", "```", f"gridtwin calibrate {opts.log.name} --mapping "
              f"{figures['log']['mapping']} --train-until {results['held_out']['window']['start']}"
              f" --replications {opts.replications} --seed {opts.seed} --out DIR", "```", "",
              "Versions: " + ", ".join(f"{k} {v}" for k, v in figures["versions"].items()) + ".",
              ""]
    (folder / "report.md").write_text("\n".join(lines), encoding="utf-8")
    return list(PLOTS)
