"""A created range, split into what the kept spend cells (feeds.cells) answer and what only the
records can: the whole buckets inside the range come from the cells, each stretch in the
coarsest size that tiles it; the partial buckets at its two edges, shorter than the finest
kept size each, come from the records (indexed by created). So a summary of any range reads a
bounded number of cells and of edge records, however many records the range holds, and stays
exact to the cent.

Pure arithmetic on integer milliseconds; no database.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import pairwise

from feeds.units import EPOCH, moment_of

MICROSECOND_PER_MS = 1000
MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class Piece:
    """The cells of one size whose buckets start in [first, end) (None: unbounded); each such
    bucket lies wholly inside that span."""

    size: int
    first: int | None
    end: int | None


@dataclass(frozen=True)
class Tiling:
    """A range as cells (`pieces`) and as created ranges of records (`edges`, each
    [from, to), None: unbounded): together they hold each record in the range exactly once."""

    pieces: list[Piece] = field(default_factory=list)
    edges: list[tuple[datetime | None, datetime | None]] = field(default_factory=list)


def _us(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def ms_ceil(moment: datetime, size: int) -> int:
    """The first bucket start of `size` at or after `moment`, in epoch ms."""
    step = size * MICROSECOND_PER_MS
    return -(-_us(moment) // step) * size


def ms_floor(moment: datetime, size: int) -> int:
    """The last bucket start of `size` at or before `moment`, in epoch ms."""
    return _us(moment) // (size * MICROSECOND_PER_MS) * size


def created_tiling(
    *, created_from: datetime | None, created_to: datetime | None, sizes: Sequence[int]
) -> Tiling:
    """[created_from, created_to) (None: unbounded) in cells of the kept `sizes` (finest
    first, each dividing the next) and the records at its edges."""
    finest = sizes[0]
    first = None if created_from is None else ms_ceil(created_from, finest)
    end = None if created_to is None else ms_floor(created_to, finest)
    if first is not None and end is not None and first >= end:  # no whole bucket inside
        return Tiling(edges=[(created_from, created_to)])
    edges: list[tuple[datetime | None, datetime | None]] = []
    if created_from is not None and first is not None and moment_of(first) > created_from:
        edges.append((created_from, moment_of(first)))
    if created_to is not None and end is not None and moment_of(end) < created_to:
        edges.append((moment_of(end), created_to))
    return Tiling(pieces=pieces_tile(first, end, sizes=sizes), edges=edges)


def pieces_tile(first: int | None, end: int | None, *, sizes: Sequence[int]) -> list[Piece]:
    """[first, end), both on the finest size's bucket starts, in the coarsest buckets that fit:
    each size takes the stretch from an end to the next coarser size's bucket start, and the
    coarsest takes the middle. At most a few of each finer size's buckets at each end."""
    pieces: list[Piece] = []
    for size, coarser in pairwise(sizes):
        if first is not None:
            climbed = -(-first // coarser) * coarser
            if end is not None:
                climbed = min(climbed, end)
            if first < climbed:
                pieces.append(Piece(size, first, climbed))
            first = climbed
        if end is not None:
            descended = end // coarser * coarser
            if first is not None:
                descended = max(descended, first)
            if descended < end:
                pieces.append(Piece(size, descended, end))
            end = descended
    if first is None or end is None or first < end:
        pieces.append(Piece(sizes[-1], first, end))
    return pieces
