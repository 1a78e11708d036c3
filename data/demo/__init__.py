"""The synthetic demo database: a province-sized reporting DB a newcomer can explore at once.

`python -m data.demo --scale {tiny,province,xl} --url URL [--seed N] [--as-of YYYY-MM-DD]
[--no-rollup]`

The data follow the contract of DESIGN.md §3 and the shapes of FACTS.md: about 400,000
registered children over the real province, prefectures and counties (synthetic townships and
villages), the staff who care for them, their visits, cases and referrals, care actions,
children's homes and their activities, institutions and purchased services, month by month
from the system's go-live (2024-01) to the as-of date. Counties differ on purpose: for each
dimension (coverage, training, visits, cases) a seed-chosen set lags behind, so the
dashboard has gaps to show.

Speed matters (a newcomer's first `make run` builds it): everything is generated with numpy
over whole arrays (no Python loop per child or visit), children and what hangs off them one
county at a time (bounded memory at `xl`), and loaded with the driver's bulk path (`executemany`
on SQLite, COPY on PostgreSQL) in one transaction, secondary indexes rebuilt at the end.
Identities (names, ID numbers, phones) are synthetic: see `data.synthetic`.

Modules, by concern: `arrays` (day numbers, random streams, vectorised draws), `world` (scales,
region arrays, lagging counties, the `tiny` tree), `staffing` (staff, trainings), `homes`
(children's homes, activities), `institutions` (institutions, purchased services),
`children` (children, visits), `cases` (cases, referrals), `care` (care actions), `writer`
(bulk load) and `build` (the order of the steps, `build_demo`, the command line).
"""

from __future__ import annotations

from data.demo.arrays import GO_LIVE
from data.demo.build import Progress, build_demo, main
from data.demo.world import SCALES, World, make_world, tiny_tree
from data.demo.writer import BulkWriter

__all__ = [
    "GO_LIVE",
    "SCALES",
    "BulkWriter",
    "Progress",
    "World",
    "build_demo",
    "main",
    "make_world",
    "tiny_tree",
]
