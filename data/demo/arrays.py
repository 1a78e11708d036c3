"""Vectorised building blocks every demo generator shares: day numbers, seeded random streams,
draws over whole arrays, enumeration codes and per-group ranks.

They live apart from the generators so that each table's module reads as the story of its
data, and so that the conventions they fix (a date is an int64 day number since 1970 with
NULL = -1; each step draws from its own stream) hold in one place for all of them.
"""

from __future__ import annotations

from datetime import date

import numpy as np

GO_LIVE = date(2024, 1, 1)  # the system's first day: no start/event date before it
EPOCH = np.datetime64("1970-01-01", "D")
NULL = -1  # a missing date in the integer day arrays (days since 1970-01-01)

# Streams of the random generator: one per step, so a change in one step leaves the rest.
(
    S_PROFILE,
    S_STAFF,
    S_TRAINING,
    S_HOMES,
    S_ACTIVITIES,
    S_INSTITUTIONS,
    S_PURCHASES,
    S_CHILDREN,
    S_VISITS,
    S_CASES,
    S_CARE,
) = range(1, 12)


def day_number(d: date) -> int:
    """A date as days since 1970-01-01 (the unit of every date array)."""
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def stream_rng(seed: int, stream: int, *keys: int) -> np.random.Generator:
    """The generator of one step (and one county, ...): independent of every other step's."""
    return np.random.default_rng([seed, stream, *keys])


def between(rng: np.random.Generator, lo, hi) -> np.ndarray:
    """Uniform integers in [lo, hi] (inclusive, element-wise; hi below lo gives lo)."""
    lo = np.asarray(lo, dtype=np.int64)
    hi = np.maximum(np.asarray(hi, dtype=np.int64), lo)
    size = np.broadcast(lo, hi).shape
    return lo + np.floor(rng.random(size) * (hi - lo + 1)).astype(np.int64)


def categorical(rng: np.random.Generator, probs: np.ndarray, n: int | None = None) -> np.ndarray:
    """Indices drawn from probs: one row of probabilities for all, or one row per draw."""
    probs = np.asarray(probs, dtype=float)
    if probs.ndim == 1:
        cum = np.cumsum(probs / probs.sum())
        return np.minimum(np.searchsorted(cum, rng.random(n), side="right"), len(probs) - 1)
    cum = np.cumsum(probs / probs.sum(axis=1, keepdims=True), axis=1)
    u = rng.random(len(probs))[:, None]
    return np.minimum((u >= cum).sum(axis=1), probs.shape[1] - 1)


def add_years(days: np.ndarray, years: int) -> np.ndarray:
    """The same calendar day `years` later (29 Feb moves to 1 Mar), as day numbers."""
    d = (EPOCH + np.asarray(days, dtype=np.int64)).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    offset = d - month.astype("datetime64[D]")
    return ((month + 12 * years).astype("datetime64[D]") + offset - EPOCH).astype(np.int64)


def nullable(values: np.ndarray, present: np.ndarray) -> np.ndarray:
    """An object array holding values where present and None elsewhere."""
    out = np.asarray(values).astype(object)
    out[~np.asarray(present, dtype=bool)] = None
    return out


def enum_codes(labels: tuple[str, ...], index: np.ndarray, present=None) -> np.ndarray:
    """Enumeration codes for indices into labels (None where not present)."""
    out = np.array(labels, dtype=object)[index]
    if present is not None:
        out[~np.asarray(present, dtype=bool)] = None
    return out


def _sorted_groups(keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The stable sort order of keys and, along it, where each run of equal keys begins."""
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    new_group = np.r_[True, sorted_keys[1:] != sorted_keys[:-1]][: len(keys)]
    return order, new_group


def rank_in_groups(keys: np.ndarray) -> np.ndarray:
    """Each element's 0-based rank among the elements with an equal key (in array order)."""
    order, new_group = _sorted_groups(keys)
    starts = np.flatnonzero(new_group)
    group_start = starts[np.cumsum(new_group) - 1]
    rank = np.empty(len(keys), dtype=np.int64)
    rank[order] = np.arange(len(keys)) - group_start
    return rank


def group_first(keys: np.ndarray, values: np.ndarray) -> np.ndarray:
    """For each element, the value of the first element (in array order) with the same key."""
    order, new_group = _sorted_groups(keys)
    firsts = order[np.flatnonzero(new_group)]
    group_no = np.cumsum(new_group) - 1
    out = np.empty(len(keys), dtype=values.dtype)
    out[order] = values[firsts][group_no]
    return out
