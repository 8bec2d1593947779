"""feeds.tiling: a created range in whole cells and edge records, each moment in exactly one."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from feeds.tiling import Piece, Tiling, created_tiling
from feeds.units import BUCKETS_MS, EPOCH

START = datetime(2026, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
# The sizes kept: every size from the finest kept to the coarsest kept (feeds.cells).
SIZES = st.tuples(st.integers(0, len(BUCKETS_MS) - 1), st.integers(0, len(BUCKETS_MS) - 1)).map(
    lambda ends: list(BUCKETS_MS[min(ends) : max(ends) + 1])
)
MOMENTS = st.integers(-(10**12), 10**12).map(lambda us: START + us * MICROSECOND)


def holders(tiling: Tiling, moment: datetime) -> int:
    """How many of the tiling's pieces and edges hold a record created at `moment`."""
    ms = (moment - EPOCH) // timedelta(milliseconds=1)
    in_pieces = sum(
        (piece.first is None or ms // piece.size * piece.size >= piece.first)
        and (piece.end is None or ms // piece.size * piece.size < piece.end)
        for piece in tiling.pieces
    )
    in_edges = sum(
        (low is None or moment >= low) and (high is None or moment < high)
        for low, high in tiling.edges
    )
    return in_pieces + in_edges


@given(
    sizes=SIZES,
    low=st.none() | MOMENTS,
    high=st.none() | MOMENTS,
    width=st.none() | st.integers(0, 3_000_000),
    probes=st.lists(st.integers(-(10**12), 10**12), max_size=20),
)
def test_each_moment_in_the_range_is_in_exactly_one_piece_or_edge(sizes, low, high, width, probes):
    if low is not None and width is not None:  # a narrow range, often inside one bucket
        high = low + width * MICROSECOND
    tiling = created_tiling(created_from=low, created_to=high, sizes=sizes)

    edges_of_range = [m for m in (low, high) if m is not None]
    near = [m + d * MICROSECOND for m in edges_of_range for d in (-1000, -1, 0, 1, 999, 1000)]
    for moment in [*near, *(START + us * MICROSECOND for us in probes)]:
        inside = (low is None or moment >= low) and (high is None or moment < high)
        assert holders(tiling, moment) == int(inside), (moment, tiling)


@given(sizes=SIZES, low=MOMENTS, length=st.integers(0, 10**12))
def test_the_cells_read_are_few_whatever_the_range(sizes, low, length):
    """Each finer size tiles only the stretches up to the next coarser bucket start, at each
    end; the edges from the records are each shorter than the finest size."""
    high = low + length * MICROSECOND

    tiling = created_tiling(created_from=low, created_to=high, sizes=sizes)

    for piece in tiling.pieces:
        assert piece.first is not None and piece.end is not None
        assert piece.first % piece.size == piece.end % piece.size == 0
        if piece.size != sizes[-1]:
            coarser = sizes[sizes.index(piece.size) + 1]
            assert piece.end - piece.first < coarser
    for edge_low, edge_high in tiling.edges:
        assert edge_low is not None and edge_high is not None
        if tiling.pieces:
            assert edge_high - edge_low < timedelta(milliseconds=sizes[0])


def test_an_open_range_ends_in_an_open_piece_of_the_coarsest_size():
    day = 86_400_000
    tiling = created_tiling(
        created_from=START + timedelta(milliseconds=1.5), created_to=None, sizes=[day, 7 * day]
    )

    assert tiling.edges == [(START + timedelta(milliseconds=1.5), START + timedelta(days=1))]
    assert tiling.pieces[-1] == Piece(7 * day, tiling.pieces[-1].first, None)


def test_no_range_is_every_coarsest_cell():
    assert created_tiling(created_from=None, created_to=None, sizes=[1000, 5000]) == Tiling(
        pieces=[Piece(5000, None, None)]
    )
