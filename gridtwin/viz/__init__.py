"""The Streamlit viewer: what-if runs for planners, comparisons with uncertainty, case journeys.

Start it with ``gridtwin viewer [RUN_DIR]``. The pages (``views/``) only lay out; what they
show is computed by plain modules tested without Streamlit:

- :mod:`~gridtwin.viz.data`: scenario sources and validation, runs with replications, the
  cache of identical runs, the run history, run folders, CSV downloads;
- :mod:`~gridtwin.viz.levers`: the levers by life-cycle stage, as ``--set`` overrides;
- :mod:`~gridtwin.viz.cards`: KPI cards with intervals and deltas; queues without bound;
- :mod:`~gridtwin.viz.mapview`, :mod:`~gridtwin.viz.dynamics`, :mod:`~gridtwin.viz.compare`,
  :mod:`~gridtwin.viz.journey`: the Map, Dynamics, Compare and Case journey pages' data;
- :mod:`~gridtwin.viz.state`: the session state, caches and URL the pages share (Streamlit).

Importing the package imports none of them (nor Streamlit).
"""

__all__: list[str] = []
