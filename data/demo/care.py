"""Care actions (两提升、四关爱): the six kinds of help a registered child receives.

Apart from the children's module because its probability tables (which action suits which
child, who provides it, how long it lasts) are a domain of their own and the care coverage
indicator reads nothing else; it draws on the child arrays `gen_children` returns.
"""

from __future__ import annotations

import numpy as np

from data.demo.arrays import NULL, S_CARE, between, categorical, enum_codes, stream_rng
from data.demo.children import active_end
from data.demo.world import World

ACTION_TYPES = (
    "living_security",
    "academic_help",
    "warm_heart",
    "health_care",
    "behavior_care",
    "safety_care",
)
PROVIDERS = ("social_worker", "volunteer", "teacher", "warm_mother", "organization")
_ACTION_DAYS = np.array([600.0, 240.0, 300.0, 300.0, 180.0, 120.0])  # mean duration (extras)
# The main action by child group (rows as in children.py: lb both parents away, lb one parent
# unable, difficulty economic, own disability/illness, guardianship).
_MAIN_ACTION_P = np.array(
    [
        [0.02, 0.25, 0.50, 0.03, 0.05, 0.15],
        [0.10, 0.20, 0.45, 0.05, 0.05, 0.15],
        [0.85, 0.10, 0.02, 0.01, 0.01, 0.01],
        [0.25, 0.02, 0.03, 0.68, 0.01, 0.01],
        [0.45, 0.05, 0.25, 0.02, 0.18, 0.05],
    ]
)
# Extra, shorter actions: base probability, applied where relevant (difficulty, in school,
# left-behind, ill or disabled, anyone, anyone).
_EXTRA_ACTION_P = np.array([0.15, 0.12, 0.15, 0.3, 0.04, 0.15])
_PROVIDER_P = np.array(
    [
        [0.5, 0.05, 0.0, 0.05, 0.4],
        [0.1, 0.3, 0.5, 0.05, 0.05],
        [0.2, 0.3, 0.05, 0.35, 0.1],
        [0.4, 0.2, 0.05, 0.05, 0.3],
        [0.4, 0.1, 0.3, 0.1, 0.1],
        [0.2, 0.3, 0.3, 0.1, 0.1],
    ]
)


def gen_care(
    world: World, ci: int, children: dict[str, np.ndarray], first_id: int
) -> dict[str, np.ndarray]:
    """The six care actions ("两提升、四关爱") a child receives, each by a kind of provider.

    Most children get one main action suited to them (living security for economic hardship,
    health care for disability or illness, emotional care for left-behind children …) that
    lasts while they are on the register; some get extra, shorter actions. Fewer children are
    covered in counties lagging on coverage.
    """
    rng = stream_rng(world.seed, S_CARE, ci)
    n = len(children["id"])
    group = children["_group"]
    is_lb = group <= 1
    sick = children["_health"] > 0
    in_school = children["_in_school"]
    covered = rng.random(n) < world.by_county("coverage", 0.55, 0.8, 0.04, 0.68, 0.9)[ci]
    main_p = _MAIN_ACTION_P[group].copy()
    main_p[~in_school, 1] = 0.0  # academic help only for children in school
    main_p[sick, 3] += 0.5
    main = categorical(rng, main_p)
    extra = (
        rng.random((n, 6))
        < _EXTRA_ACTION_P * np.c_[~is_lb, in_school, is_lb, sick, np.ones((n, 2), bool)]
    )
    extra[np.arange(n), main] = False
    child_ix = np.r_[np.flatnonzero(covered), np.nonzero(extra)[0]]
    action = np.r_[main[covered], np.nonzero(extra)[1]]
    lasting = np.r_[rng.random(covered.sum()) < 0.92, np.zeros(int(extra.sum()), bool)]
    m = len(child_ix)
    c_start = children["registered_on"][child_ix]
    c_stop = active_end(world, children)[child_ix]
    soon = lasting | (rng.random(m) < 0.4)
    # Actions under way at go-live were recorded in January 2024, later ones within 60 days
    # of registration, extras also at any time on the register.
    soon_on = np.where(
        c_start <= world.golive_end,
        between(rng, c_start, world.golive_end),
        c_start + between(rng, np.zeros(m), 60),
    )
    started = np.where(soon, soon_on, between(rng, c_start, c_stop))
    ok = started <= c_stop
    child_ix, action, started, c_stop, lasting = (
        a[ok] for a in (child_ix, action, started, c_stop, lasting)
    )
    m = len(child_ix)
    duration = np.maximum(rng.exponential(_ACTION_DAYS[action]), 30).astype(np.int64)
    ends = np.where(lasting, np.iinfo(np.int64).max // 2, started + duration)
    exited = children["exited_on"][child_ix]
    ended = np.where(ends <= c_stop, ends, np.where(exited >= 0, exited, NULL))
    provider = categorical(rng, _PROVIDER_P[action])
    order = np.lexsort((started, action, child_ix))
    return {
        "id": np.arange(first_id, first_id + m),
        "child_id": children["id"][child_ix[order]],
        "action_type": enum_codes(ACTION_TYPES, action[order]),
        "provider_type": enum_codes(PROVIDERS, provider[order]),
        "started_on": started[order],
        "ended_on": ended[order],
    }
