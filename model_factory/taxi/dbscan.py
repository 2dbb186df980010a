"""Exact DBSCAN on a grid of cells: scikit-learn's answer, orders of magnitude faster.

scikit-learn builds every eps-neighbourhood as a list, so time and memory grow with the number of
neighbour pairs: on the book's taxi-ride shape 100k rides took 54-58 s and 11.7 GB here, against
5-11 ms for this module (benchmarks/dbscan_bench.py). For up to 3 features, points are bucketed
into cells of side eps / sqrt(d) (slightly less), so any two points of one cell are within eps:

1. a cell holding >= min_samples points is all core, no neighbour counting needed;
2. only points of sparse cells count neighbours, over the (2R+1)^d surrounding cells: cells
   wholly within eps count at once, and the count stops as soon as it is decided either way;
   when min_samples is large (it grows with the data in the taxi detector), big cells nearby
   are split into sub-cells first, so that few points are tested one by one;
3. core points of a cell form one component; two neighbouring cells are joined (union-find) as
   soon as one core pair between them is within eps;
4. a border point takes the lowest cluster label among its core neighbours.

Numbering clusters by their lowest core-point index and rule 4 are exactly what scikit-learn's
sequential expansion produces, so labels equal scikit-learn's label for label, not just up to a
relabelling.

Distance convention (the one scikit-learn's KD-tree applies in its leaves, the path DBSCAN takes
for euclidean data with up to 15 features): two points are neighbours when
``sum_k (a_k - b_k)**2 <= eps * eps``, summed in feature order in float64. Cell bounding boxes are
checked with the same rounded arithmetic, which is monotone, so "whole cell within eps" and
"whole cell beyond eps" shortcuts never change an answer, even where floor(x / side) put a point
in a neighbouring cell through rounding. The KD-tree decides some whole nodes with a square-root
bound instead, so for pairs within one ulp of eps scikit-learn itself can go either way. X is
converted to float64; scikit-learn keeps float32 input and subtracts in float32, so there too
only pairs within a float32 ulp of eps can differ.

Beyond 3 features (or for a grid too large to index) a KD-tree pair search finds candidates and
the same exact test filters them; memory is then O(number of neighbour pairs).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from numbers import Integral, Real

import numba as nb
import numpy as np

# Grid above this many features: the (2R+1)^d stencil (625 cells at d=4) outgrows a tree.
GRID_MAX_FEATURES = 3
# Cell side is eps / sqrt(d) shrunk by this factor, so a cell's computed diagonal stays <= eps
# despite rounding in floor(x / side); cells that still exceed it are detected and handled.
_SIDE_SHRINK = 1.0 - 1e-9
# Linear cell keys are int64; grids with more cells than this go to the tree path.
_MAX_GRID_CELLS = 2**62
# Big cells near sparse ones are split into about this many sub-cells for neighbour counting.
SUBCELLS_PER_CELL = 64


@dataclass(frozen=True)
class DBSCANResult:
    """Per-point cluster labels (-1 is noise, clusters 0..k-1 by lowest core index), core mask."""

    labels: np.ndarray
    core: np.ndarray

    @property
    def n_clusters(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size else 0


def dbscan(
    X: np.ndarray, eps: float, min_samples: int, *, n_jobs: int | None = None
) -> DBSCANResult:
    """Cluster X (n_samples, n_features) exactly as sklearn.cluster.DBSCAN(eps, min_samples).

    Euclidean metric; a point is core when at least min_samples points (itself included) lie at
    distance <= eps. n_jobs threads (default: every CPU this process may use) share the work.
    Raises ValueError with a one-line message on bad input.
    """
    X = _validate(X, eps, min_samples, n_jobs)
    eps, min_samples = float(eps), int(min_samples)
    n_parts = len(os.sched_getaffinity(0)) if n_jobs is None else int(n_jobs)
    if X.shape[0] == 0:
        return DBSCANResult(np.empty(0, np.intp), np.empty(0, bool))
    lo, hi = _finite_bounds(X, n_parts)
    if X.shape[1] <= GRID_MAX_FEATURES:
        side = eps / math.sqrt(X.shape[1]) * _SIDE_SHRINK
        result = _grid_dbscan(X, lo, hi, eps, min_samples, side, n_parts)
        if result is not None:
            return result
    return _tree_dbscan(X, eps, min_samples)


def _validate(X: np.ndarray, eps: float, min_samples: int, n_jobs: int | None) -> np.ndarray:
    """Reject what scikit-learn would reject (or silently mis-cluster), one line per problem."""
    if isinstance(eps, bool) or not isinstance(eps, Real) or not math.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    if isinstance(min_samples, bool) or not isinstance(min_samples, Integral) or min_samples < 1:
        raise ValueError(f"min_samples must be an integer >= 1, got {min_samples!r}")
    if n_jobs is not None and (
        isinstance(n_jobs, bool) or not isinstance(n_jobs, Integral) or n_jobs < 1
    ):
        raise ValueError(f"n_jobs must be None or an integer >= 1, got {n_jobs!r}")
    try:
        X = np.ascontiguousarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"X must be a numeric array: {exc}") from None
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.shape[1] == 0:
        raise ValueError("X must have at least one feature")
    return X


# ------------------------------------------------------------------------- threads
# Kernels are plain nogil numba functions run on a few Python threads, part t of n_parts each.
# numba's parallel=True would do the same, but its parfor compilation roughly tripled the cold
# start, and its OpenMP layer cost ~10 ms per launch here (workqueue: not thread-safe).

_pool_lock = threading.Lock()
_pool: tuple[int, ThreadPoolExecutor] | None = None


def _executor() -> ThreadPoolExecutor:
    """The module's thread pool, recreated in a forked child (its threads did not survive)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool[0] != os.getpid():
            _pool = (os.getpid(), ThreadPoolExecutor(thread_name_prefix="dbscan"))
        return _pool[1]


def _in_parts(n_parts: int, kernel: Callable[..., None], *args: object) -> None:
    """kernel(*args, t, n_parts) for every t: t >= 1 on the pool, t = 0 in this thread."""
    futures = [_executor().submit(kernel, *args, t, n_parts) for t in range(1, n_parts)]
    kernel(*args, 0, n_parts)
    for future in futures:
        future.result()


def _finite_bounds(X: np.ndarray, n_parts: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature min and max in one parallel pass (numpy's axis-0 reductions are slow here)."""
    lo = np.full((n_parts, X.shape[1]), np.inf)
    hi = np.full((n_parts, X.shape[1]), -np.inf)
    finite = np.ones(n_parts, bool)
    _in_parts(n_parts, _bounds_part, X, lo, hi, finite)
    if not finite.all():
        raise ValueError("X contains NaN or infinity")
    return lo.min(axis=0), hi.max(axis=0)


@nb.njit(nogil=True, cache=True)
def _bounds_part(X, lo, hi, finite, t, n_parts):
    """Row t of lo/hi: min and max per feature over finite values; finite[t]: all were finite."""
    n, d = X.shape
    part_lo = lo[t].copy()  # local copies: no false sharing with the other threads' rows
    part_hi = hi[t].copy()
    for i in range(t * n // n_parts, (t + 1) * n // n_parts):
        for k in range(d):
            x = X[i, k]
            if not np.isfinite(x):
                finite[t] = False
            else:
                part_lo[k] = min(part_lo[k], x)
                part_hi[k] = max(part_hi[k], x)
    lo[t] = part_lo
    hi[t] = part_hi


# --------------------------------------------------------------------------- grid path


def _grid_dbscan(
    X: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    eps: float,
    min_samples: int,
    side: float,
    n_parts: int,
) -> DBSCANResult | None:
    """Grid DBSCAN with cells of the given side (<= eps / sqrt(d)); None if the grid is too big.

    Any side is correct (cells wider than eps / sqrt(d) are just never "tight"); tests use that.
    """
    n, d = X.shape
    eps2 = eps * eps
    extent = np.floor((hi - lo) / side)  # same float ops as _cell_keys_part: same cells
    if not np.isfinite(extent).all():
        return None
    # Two neighbours differ by at most eps / side cells per axis, plus rounding of floor(x / side)
    # that grows with the coordinate (in cells): reach R covers both.
    reach = math.ceil(eps / side + 1e-6 + float(extent.max()) * 2.0**-50)
    # R empty cells of padding per side: a neighbour's key is key + delta, never out of the grid.
    shape = [int(e) + 1 + 2 * reach for e in extent]
    n_grid = math.prod(shape)
    if n_grid >= _MAX_GRID_CELLS:
        return None
    strides = np.array([math.prod(shape[k + 1 :]) for k in range(d)], np.int64)
    deltas = _stencil(d, reach) @ strides

    index_dtype = np.int32 if n < 2**31 else np.int64
    keys = np.empty(n, np.int64)
    _in_parts(n_parts, _cell_keys_part, X, lo, side, reach, strides, keys)
    # After sorting, keys[i] holds point i's cell index: the output pass streams through it.
    perm = np.empty(n, index_dtype)
    if n_grid <= max(n // 2, 2**16):  # counting sort: O(n + n_grid), n_parts * n_grid counters
        counts = np.zeros((n_parts, n_grid), index_dtype)
        _in_parts(n_parts, _histogram_part, keys, counts)
        cell_keys, cell_start, cell_of_key = _prefix_sums(counts)
        Xs = np.empty_like(X)
        _in_parts(n_parts, _scatter_part, X, keys, counts, cell_of_key, perm, Xs)
        del counts
    else:  # sparse grid (tiny eps or far outliers): comparison sort
        perm[:] = np.argsort(keys, kind="stable")
        sorted_keys = keys[perm]
        cell_start = np.flatnonzero(np.diff(sorted_keys)) + 1
        cell_start = np.concatenate(([0], cell_start, [n])).astype(np.int64)
        cell_keys = sorted_keys[cell_start[:-1]]
        del sorted_keys
        keys[perm] = np.repeat(np.arange(cell_keys.size), np.diff(cell_start))
        Xs = X[perm]
        # A dense key -> cell table (4 bytes per grid cell) beats binary search when it fits.
        if n_grid <= 4 * n:
            gaps = np.diff(cell_keys, prepend=-1, append=n_grid - 1)
            cell_of_key = np.repeat(np.arange(cell_keys.size + 1, dtype=index_dtype), gaps)
        else:
            cell_of_key = np.empty(0, index_dtype)
    grid = (cell_keys, cell_of_key, cell_start, deltas)
    n_cells = cell_keys.size

    box_lo = np.empty((n_cells, d))
    box_hi = np.empty((n_cells, d))
    tight = np.empty(n_cells, bool)
    _in_parts(n_parts, _cell_boxes_part, Xs, cell_start, eps2, box_lo, box_hi, tight)
    boxes = (box_lo, box_hi, tight)

    subcells = _subcells(Xs, grid, boxes, eps2, min_samples, n_parts)
    core = np.empty(n, bool)
    _in_parts(n_parts, _core_part, Xs, *grid, *boxes, *subcells, eps2, min_samples, core)
    parent = np.empty(n, index_dtype)
    rep = np.empty(n_cells, np.int64)
    _in_parts(n_parts, _union_find_init_part, core, cell_start, tight, parent, rep)
    _components(Xs, perm, core, parent, rep, *grid, *boxes, eps2)
    lab = _number_clusters(parent, perm, core, cell_start, rep, tight)
    _in_parts(n_parts, _core_labels_part, parent, core, cell_start, rep, tight, lab)
    del parent
    _in_parts(n_parts, _border_part, Xs, core, lab, rep, *grid, *boxes, eps2)
    del Xs

    cell_lab = np.empty(n_cells, np.intp)
    cell_core = np.empty(n_cells, bool)
    mixed = np.empty(n_cells, bool)
    _in_parts(n_parts, _cell_summary_part, lab, core, cell_start, cell_lab, cell_core, mixed)
    labels = np.empty(n, np.intp)
    core_out = np.empty(n, bool)
    _in_parts(n_parts, _stream_part, keys, cell_lab, cell_core, labels, core_out)
    _in_parts(n_parts, _patch_part, perm, lab, core, cell_start, mixed, labels, core_out)
    return DBSCANResult(labels, core_out)


def _stencil(d: int, reach: int) -> np.ndarray:
    """Cell offsets in [-reach, reach]^d, nearest first (3^d ring first) for early exits."""
    axes = [np.arange(-reach, reach + 1)] * d
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    order = np.lexsort((np.abs(grid).sum(axis=1), np.abs(grid).max(axis=1)))
    return np.ascontiguousarray(grid[order], dtype=np.int64)


@nb.njit(nogil=True, cache=True)
def _cell_keys_part(X, lo, side, reach, strides, keys, t, n_parts):
    """Linear cell key per point: sum_k (floor((x_k - lo_k) / side) + reach) * stride_k."""
    n, d = X.shape
    for i in range(t * n // n_parts, (t + 1) * n // n_parts):
        key = 0
        for k in range(d):
            key += (np.int64(math.floor((X[i, k] - lo[k]) / side)) + reach) * strides[k]
        keys[i] = key


@nb.njit(nogil=True, cache=True)
def _histogram_part(keys, counts, t, n_parts):
    """Row t of counts: points per cell key in part t."""
    n = keys.size
    for i in range(t * n // n_parts, (t + 1) * n // n_parts):
        counts[t, keys[i]] += 1


@nb.njit(nogil=True, cache=True)
def _prefix_sums(counts):
    """Turn counts into each part's first slot per key (a stable order); CSR ranges of cells."""
    n_parts, n_grid = counts.shape
    n_cells = 0
    for g in range(n_grid):
        for t in range(n_parts):
            if counts[t, g]:
                n_cells += 1
                break
    cell_keys = np.empty(n_cells, np.int64)
    cell_start = np.empty(n_cells + 1, np.int64)
    cell_of_key = np.empty(n_grid, counts.dtype)
    c = 0
    run = 0
    for g in range(n_grid):
        first = run
        for t in range(n_parts):
            m = counts[t, g]
            counts[t, g] = run
            run += m
        cell_of_key[g] = c
        if run > first:
            cell_keys[c] = g
            cell_start[c] = first
            c += 1
    cell_start[n_cells] = run
    return cell_keys, cell_start, cell_of_key


@nb.njit(nogil=True, cache=True)
def _scatter_part(X, keys, counts, cell_of_key, perm, Xs, t, n_parts):
    """Place part t's points in cell order; keys[i] becomes point i's cell index.

    Writes go to one run per cell, nearly sequential, unlike a gather X[perm] (random reads).
    """
    n, d = X.shape
    for i in range(t * n // n_parts, (t + 1) * n // n_parts):
        g = keys[i]
        pos = counts[t, g]
        counts[t, g] = pos + 1
        perm[pos] = i
        for k in range(d):
            Xs[pos, k] = X[i, k]
        keys[i] = cell_of_key[g]


@nb.njit(nogil=True, cache=True)
def _cell_boxes_part(Xs, cell_start, eps2, lo, hi, tight, t, n_parts):
    """Bounding box per cell and whether its computed diagonal is <= eps (all pairs within)."""
    d = Xs.shape[1]
    for c in range(t, cell_start.size - 1, n_parts):
        for k in range(d):
            lo[c, k] = Xs[cell_start[c], k]
            hi[c, k] = Xs[cell_start[c], k]
        for p in range(cell_start[c] + 1, cell_start[c + 1]):
            for k in range(d):
                lo[c, k] = min(lo[c, k], Xs[p, k])
                hi[c, k] = max(hi[c, k], Xs[p, k])
        diag2 = 0.0
        for k in range(d):
            step = hi[c, k] - lo[c, k]
            diag2 += step * step
        tight[c] = diag2 <= eps2


@nb.njit(nogil=True, cache=True)
def _dist2(Xs, p, q):
    """Squared distance exactly as scikit-learn's euclidean rdist: feature order, float64."""
    s = 0.0
    for k in range(Xs.shape[1]):
        t = Xs[p, k] - Xs[q, k]
        s += t * t
    return s


@nb.njit(nogil=True, cache=True)
def _point_box_gap2(Xs, p, lo, hi, c):
    """Lower bound (same rounding) of _dist2 from point p to any point of cell c."""
    s = 0.0
    for k in range(Xs.shape[1]):
        x = Xs[p, k]
        t = max(lo[c, k] - x, x - hi[c, k], 0.0)
        s += t * t
    return s


@nb.njit(nogil=True, cache=True)
def _point_box_far2(Xs, p, lo, hi, c):
    """Upper bound (same rounding) of _dist2 from point p to any point of cell c."""
    s = 0.0
    for k in range(Xs.shape[1]):
        x = Xs[p, k]
        t = max(x - lo[c, k], hi[c, k] - x)
        s += t * t
    return s


@nb.njit(nogil=True, cache=True)
def _box_gap2(lo_a, hi_a, a, lo_b, hi_b, b):
    """Lower bound of _dist2 between any point of box a and any point of box b (same rounding).

    Boxes are rows of (lo, hi) arrays: two cells, or a cell and a sub-cell.
    """
    s = 0.0
    for k in range(lo_a.shape[1]):
        t = max(lo_b[b, k] - hi_a[a, k], lo_a[a, k] - hi_b[b, k], 0.0)
        s += t * t
    return s


@nb.njit(nogil=True, cache=True)
def _box_far2(lo_a, hi_a, a, lo_b, hi_b, b):
    """Upper bound of _dist2 between any point of box a and any point of box b."""
    s = 0.0
    for k in range(lo_a.shape[1]):
        t = max(hi_b[b, k] - lo_a[a, k], hi_a[a, k] - lo_b[b, k])
        s += t * t
    return s


@nb.njit(nogil=True, cache=True)
def _neighbours(c, cell_keys, cell_of_key, deltas, o_start, o_stop, lo, hi, eps2, out):
    """Non-empty cells at key offsets deltas[o_start:o_stop] from cell c within eps; count.

    cell_of_key (key -> index of the first cell at or after it) makes a lookup O(1); empty
    (grid too large for such a table), a binary search over cell_keys does the same.
    """
    m = 0
    for o in range(o_start, o_stop):
        key = cell_keys[c] + deltas[o]
        j = cell_of_key[key] if cell_of_key.size else np.searchsorted(cell_keys, key)
        if j < cell_keys.size and cell_keys[j] == key and _box_gap2(lo, hi, c, lo, hi, j) <= eps2:
            out[m] = j
            m += 1
    return m


def _subcells(
    Xs: np.ndarray,
    grid: tuple[np.ndarray, ...],
    boxes: tuple[np.ndarray, ...],
    eps2: float,
    min_samples: int,
    n_parts: int,
) -> tuple[np.ndarray, ...]:
    """Sub-cells of the big cells that points of sparse cells count neighbours in.

    A point whose cell is not all core counts neighbours to min_samples; with a large
    min_samples (a threshold that grows with the data) that meant testing most points of the
    dense cells around it: 13 s at 10M rides and min_samples 10,000. Split into SUBCELLS_PER_CELL
    boxes, such a cell mostly counts box by box (wholly within eps, or wholly beyond); only
    points of boxes the eps-sphere cuts are tested one by one, and only when the certain count
    and the possible count do not already decide.

    Returns (sub_base: cell -> block or -1, sub_start: (blocks, K + 1) positions in cell order,
    sub_lo, sub_hi: (blocks * K, d) boxes, sub_order: positions grouped by sub-cell).
    """
    cell_start = grid[2]
    lo, hi, tight = boxes
    n, d = Xs.shape
    per_axis = round(SUBCELLS_PER_CELL ** (1 / d))
    k_sub = per_axis**d
    need = np.zeros(cell_start.size - 1, bool)
    _in_parts(
        n_parts, _mark_subcells_part, *grid, lo, hi, tight, eps2, min_samples, 8 * k_sub, need
    )
    blocks = np.flatnonzero(need)
    sub_base = np.full(need.size, -1, np.int64)
    sub_base[blocks] = np.arange(blocks.size)
    sub_start = np.empty((blocks.size, k_sub + 1), np.int64)
    sub_lo = np.empty((blocks.size * k_sub, d))
    sub_hi = np.empty((blocks.size * k_sub, d))
    sub_order = np.empty(n if blocks.size else 0, grid[1].dtype)
    _in_parts(
        n_parts,
        _subcells_part,
        Xs,
        cell_start,
        lo,
        hi,
        blocks,
        per_axis,
        sub_start,
        sub_lo,
        sub_hi,
        sub_order,
    )
    return sub_base, sub_start, sub_lo, sub_hi, sub_order


@nb.njit(nogil=True, cache=True)
def _mark_subcells_part(
    cell_keys,
    cell_of_key,
    cell_start,
    deltas,
    lo,
    hi,
    tight,
    eps2,
    min_samples,
    min_size,
    need,
    t,
    n_parts,
):
    """need[c]: cell c (>= min_size points) is worth splitting for a neighbour that counts.

    Splitting costs about one pass over c; counting without it costs up to min_samples tests
    for each point of the neighbour. With a small min_samples only cells of a few points count
    (the rest are dense, hence all core), so big cells are split only when min_samples is big.
    """
    nbrs = np.empty(deltas.size, np.int64)
    for c in range(t, cell_start.size - 1, n_parts):
        size = cell_start[c + 1] - cell_start[c]
        if tight[c] and size >= min_samples:
            continue
        m = _neighbours(c, cell_keys, cell_of_key, deltas, 0, deltas.size, lo, hi, eps2, nbrs)
        for j in range(m):
            cj = nbrs[j]
            size_j = cell_start[cj + 1] - cell_start[cj]
            if size_j >= min_size and size * min_samples >= size_j:
                need[cj] = True  # several threads may write True: a benign race


@nb.njit(nogil=True, cache=True)
def _subcells_part(
    Xs, cell_start, lo, hi, blocks, per_axis, sub_start, sub_lo, sub_hi, sub_order, t, n_parts
):
    """Counting sort of each block's cell by sub-cell; box of every non-empty sub-cell."""
    d = Xs.shape[1]
    k_sub = sub_start.shape[1] - 1
    for b in range(t, blocks.size, n_parts):
        c = blocks[b]
        start, stop = cell_start[c], cell_start[c + 1]
        first_box = b * k_sub
        sub_lo[first_box : first_box + k_sub] = np.inf
        sub_hi[first_box : first_box + k_sub] = -np.inf
        sub_start[b, :] = 0
        which = np.empty(stop - start, np.int64)
        for p in range(start, stop):
            s = 0
            for k in range(d):
                width = hi[c, k] - lo[c, k]
                i = int((Xs[p, k] - lo[c, k]) / width * per_axis) if width > 0 else 0
                s = s * per_axis + min(i, per_axis - 1)
            which[p - start] = s
            sub_start[b, s + 1] += 1
            for k in range(d):
                sub_lo[first_box + s, k] = min(sub_lo[first_box + s, k], Xs[p, k])
                sub_hi[first_box + s, k] = max(sub_hi[first_box + s, k], Xs[p, k])
        sub_start[b, 0] = start
        for s in range(k_sub):
            sub_start[b, s + 1] += sub_start[b, s]
        fill = sub_start[b, :k_sub].copy()
        for p in range(start, stop):
            s = which[p - start]
            sub_order[fill[s]] = p
            fill[s] += 1


@nb.njit(nogil=True, cache=True)
def _core_part(
    Xs,
    cell_keys,
    cell_of_key,
    cell_start,
    deltas,
    lo,
    hi,
    tight,
    sub_base,
    sub_start,
    sub_lo,
    sub_hi,
    sub_order,
    eps2,
    min_samples,
    core,
    t,
    n_parts,
):
    """Core mask in cell order: tight dense cells wholesale, other points by bounded counting.

    Per sparse cell, the boxes around it (neighbour cells, or sub-cells of big ones) wholly
    within eps of the whole cell count for each of its points, those beyond eps for all of them
    are dropped; per point, the rest add to a certain count (wholly within eps of the point) or
    a possible one (cut by its eps-sphere), and points of cut boxes are tested only while
    neither count decides. Cells are striped over the parts, balancing dense and sparse regions.
    """
    n_off, d = deltas.size, Xs.shape[1]
    k_sub = sub_start.shape[1] - 1
    nbrs = np.empty(n_off, np.int64)
    # The boxes that matter to one cell: bounds, positions [first, last), through sub_order?
    box_lo = np.empty((n_off * max(k_sub, 1), d))
    box_hi = np.empty((n_off * max(k_sub, 1), d))
    first = np.empty(n_off * max(k_sub, 1), np.int64)
    last = np.empty(n_off * max(k_sub, 1), np.int64)
    indirect = np.empty(n_off * max(k_sub, 1), np.bool_)
    cut = np.empty(n_off * max(k_sub, 1), np.int64)
    for c in range(t, cell_start.size - 1, n_parts):
        start, stop = cell_start[c], cell_start[c + 1]
        if tight[c] and stop - start >= min_samples:
            core[start:stop] = True
            continue
        m = _neighbours(c, cell_keys, cell_of_key, deltas, 0, n_off, lo, hi, eps2, nbrs)
        certain = 0  # points within eps of every point of cell c
        n_box = 0
        for j in range(m):
            cj = nbrs[j]
            if _box_far2(lo, hi, c, lo, hi, cj) <= eps2:
                certain += cell_start[cj + 1] - cell_start[cj]
            elif sub_base[cj] < 0:
                box_lo[n_box], box_hi[n_box] = lo[cj], hi[cj]
                first[n_box], last[n_box], indirect[n_box] = (
                    cell_start[cj],
                    cell_start[cj + 1],
                    False,
                )
                n_box += 1
            else:
                b = sub_base[cj]
                for s in range(b * k_sub, (b + 1) * k_sub):
                    size = sub_start[b, s - b * k_sub + 1] - sub_start[b, s - b * k_sub]
                    if size == 0 or _box_gap2(lo, hi, c, sub_lo, sub_hi, s) > eps2:
                        continue
                    if _box_far2(lo, hi, c, sub_lo, sub_hi, s) <= eps2:
                        certain += size
                        continue
                    box_lo[n_box], box_hi[n_box] = sub_lo[s], sub_hi[s]
                    first[n_box] = sub_start[b, s - b * k_sub]
                    last[n_box] = sub_start[b, s - b * k_sub + 1]
                    indirect[n_box] = True
                    n_box += 1
        for p in range(start, stop):
            count = certain  # neighbours certainly within eps
            maybe = 0  # neighbours in boxes the eps-sphere cuts
            n_cut = 0
            for r in range(n_box):
                if count >= min_samples:
                    break
                if _point_box_gap2(Xs, p, box_lo, box_hi, r) > eps2:
                    continue
                if _point_box_far2(Xs, p, box_lo, box_hi, r) <= eps2:
                    count += last[r] - first[r]
                else:
                    cut[n_cut] = r
                    n_cut += 1
                    maybe += last[r] - first[r]
            i = 0
            while count < min_samples and count + maybe >= min_samples and i < n_cut:
                r = cut[i]
                i += 1
                for pos in range(first[r], last[r]):
                    q = sub_order[pos] if indirect[r] else pos
                    maybe -= 1
                    if _dist2(Xs, p, q) <= eps2:
                        count += 1
                        if count >= min_samples:
                            break
                    elif count + maybe < min_samples:
                        break
            core[p] = count >= min_samples


@nb.njit(nogil=True, cache=True)
def _find(parent, x):
    """Union-find root with path halving."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@nb.njit(nogil=True, cache=True)
def _union(parent, perm, a, b):
    """Join two components; the root stays the member with the lowest original index."""
    ra = _find(parent, a)
    rb = _find(parent, b)
    if ra == rb:
        return
    if perm[ra] < perm[rb]:
        parent[rb] = ra
    else:
        parent[ra] = rb


@nb.njit(nogil=True, cache=True)
def _join_cells(Xs, perm, core, parent, cell_start, lo, hi, a, b, first_only, eps2):
    """Union core pairs within eps between cells a and b; stop at the first if first_only.

    Only points of a within eps of b's box can pair up; in dense data the first try succeeds.
    """
    for p in range(cell_start[a], cell_start[a + 1]):
        if not core[p] or _point_box_gap2(Xs, p, lo, hi, b) > eps2:
            continue
        for q in range(cell_start[b], cell_start[b + 1]):
            if core[q] and _dist2(Xs, p, q) <= eps2:
                _union(parent, perm, p, q)
                if first_only:
                    return


@nb.njit(nogil=True, cache=True)
def _union_find_init_part(core, cell_start, tight, parent, rep, t, n_parts):
    """Each point its own set, except a tight cell's cores (pairwise within eps): one set.

    rep[c] is the cell's first core point (-1 if none), its lowest original index.
    """
    for c in range(t, cell_start.size - 1, n_parts):
        rep[c] = -1
        for p in range(cell_start[c], cell_start[c + 1]):
            parent[p] = p
            if core[p]:
                if rep[c] < 0:
                    rep[c] = p
                elif tight[c]:
                    parent[p] = rep[c]


@nb.njit(nogil=True, cache=True)
def _components(
    Xs,
    perm,
    core,
    parent,
    rep,
    cell_keys,
    cell_of_key,
    cell_start,
    deltas,
    lo,
    hi,
    tight,
    eps2,
):
    """Union-find over core points across cells (serial); roots are lowest-index members."""
    n_cells = cell_start.size - 1
    for c in range(n_cells):  # a loose cell's cores are joined pair by pair
        if rep[c] >= 0 and not tight[c]:
            _join_cells(Xs, perm, core, parent, cell_start, lo, hi, c, c, False, eps2)
    nbrs = np.empty(deltas.size, np.int64)
    near = 3 ** lo.shape[1]  # the 3^d ring first: later, farther pairs are mostly joined already
    for o_start, o_stop in ((0, near), (near, deltas.size)):
        for c in range(n_cells):
            if rep[c] < 0:
                continue
            m = _neighbours(
                c,
                cell_keys,
                cell_of_key,
                deltas,
                o_start,
                o_stop,
                lo,
                hi,
                eps2,
                nbrs,
            )
            for j in range(m):
                cj = nbrs[j]
                if cj <= c or rep[cj] < 0:
                    continue
                if tight[c] and tight[cj]:
                    if _find(parent, rep[c]) == _find(parent, rep[cj]):
                        continue
                    if _box_far2(lo, hi, c, lo, hi, cj) <= eps2:
                        _union(parent, perm, rep[c], rep[cj])
                    else:
                        _join_cells(Xs, perm, core, parent, cell_start, lo, hi, c, cj, True, eps2)
                else:
                    _join_cells(Xs, perm, core, parent, cell_start, lo, hi, c, cj, False, eps2)


@nb.njit(nogil=True, cache=True)
def _number_clusters(parent, perm, core, cell_start, rep, tight):
    """Cluster numbers of the union-find roots, by lowest core index (sklearn's order).

    Roots are their component's lowest-index member. Only cell representatives and loose cells
    need the serial find; _core_labels_part spreads the numbers.
    """
    lab = np.empty(parent.size, parent.dtype)  # every entry is written by a later pass
    n_roots = 0
    for c in range(cell_start.size - 1):
        if rep[c] >= 0:
            for p in range(rep[c], rep[c] + 1 if tight[c] else cell_start[c + 1]):
                if core[p]:
                    parent[p] = _find(parent, p)
                    n_roots += parent[p] == p
    roots = np.empty(n_roots, np.int64)
    r = 0
    for c in range(cell_start.size - 1):
        if rep[c] >= 0:
            for p in range(rep[c], rep[c] + 1 if tight[c] else cell_start[c + 1]):
                if core[p] and parent[p] == p:
                    roots[r] = p
                    r += 1
    order = np.argsort(perm[roots])
    for k in range(n_roots):
        lab[roots[order[k]]] = k
    return lab


@nb.njit(nogil=True, cache=True)
def _core_labels_part(parent, core, cell_start, rep, tight, lab, t, n_parts):
    """Every core point takes its root's number (a tight cell shares its representative's)."""
    for c in range(t, cell_start.size - 1, n_parts):
        if rep[c] < 0:
            continue
        cell_root = parent[rep[c]]
        for p in range(rep[c], cell_start[c + 1]):
            if core[p]:
                lab[p] = lab[cell_root if tight[c] else parent[p]]


@nb.njit(nogil=True, cache=True)
def _border_part(
    Xs,
    core,
    lab,
    rep,
    cell_keys,
    cell_of_key,
    cell_start,
    deltas,
    lo,
    hi,
    tight,
    eps2,
    t,
    n_parts,
):
    """Non-core points take the lowest label of a core point within eps (sklearn's BFS order)."""
    n_off = deltas.size
    no_label = Xs.shape[0]  # above every cluster label
    nbrs = np.empty(n_off, np.int64)
    for c in range(t, cell_start.size - 1, n_parts):
        start, stop = cell_start[c], cell_start[c + 1]
        if np.all(core[start:stop]):
            continue
        m = _neighbours(c, cell_keys, cell_of_key, deltas, 0, n_off, lo, hi, eps2, nbrs)
        for p in range(start, stop):
            if core[p]:
                continue
            best = no_label
            for j in range(m):
                cj = nbrs[j]
                if rep[cj] < 0 or _point_box_gap2(Xs, p, lo, hi, cj) > eps2:
                    continue
                if tight[cj] and _point_box_far2(Xs, p, lo, hi, cj) <= eps2:
                    best = min(best, lab[rep[cj]])  # one cluster per tight cell
                    continue
                for q in range(cell_start[cj], cell_start[cj + 1]):
                    if core[q] and lab[q] < best and _dist2(Xs, p, q) <= eps2:
                        best = lab[q]
            lab[p] = best if best != no_label else -1


@nb.njit(nogil=True, cache=True)
def _cell_summary_part(lab, core, cell_start, cell_lab, cell_core, mixed, t, n_parts):
    """Per cell: its first point's label and core flag, and whether any point differs."""
    for c in range(t, cell_start.size - 1, n_parts):
        start = cell_start[c]
        cell_lab[c] = lab[start]
        cell_core[c] = core[start]
        mixed[c] = False
        for p in range(start + 1, cell_start[c + 1]):
            if lab[p] != lab[start] or core[p] != core[start]:
                mixed[c] = True
                break


@nb.njit(nogil=True, cache=True)
def _stream_part(cell_of, cell_lab, cell_core, labels, core_out, t, n_parts):
    """Input-order output from per-cell values: sequential, unlike scattering every point."""
    n = cell_of.size
    for i in range(t * n // n_parts, (t + 1) * n // n_parts):
        labels[i] = cell_lab[cell_of[i]]
        core_out[i] = cell_core[cell_of[i]]


@nb.njit(nogil=True, cache=True)
def _patch_part(perm, lab, core, cell_start, mixed, labels, core_out, t, n_parts):
    """Scatter the points of the (few) mixed cells, whose per-cell value is not theirs."""
    for c in range(t, cell_start.size - 1, n_parts):
        if mixed[c]:
            for p in range(cell_start[c], cell_start[c + 1]):
                labels[perm[p]] = lab[p]
                core_out[perm[p]] = core[p]


# --------------------------------------------------------------------------- tree path


def _tree_dbscan(X: np.ndarray, eps: float, min_samples: int) -> DBSCANResult:
    """Exact DBSCAN from all neighbour pairs (KD-tree candidates, exact test); O(pairs) memory."""
    # Imported here: the grid path never needs scipy, and it adds ~0.5 s to a cold import.
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    n = X.shape[0]
    eps2 = eps * eps
    # The tree's own rounding may differ by ulps: widen, then apply the exact rule below.
    pairs = cKDTree(X).query_pairs(eps * (1 + 1e-9), output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    d2 = np.zeros(i.size)
    for k in range(X.shape[1]):  # feature order, like scikit-learn's rdist
        t = X[i, k] - X[j, k]
        d2 += t * t
    keep = d2 <= eps2
    i, j = i[keep], j[keep]
    degree = 1 + np.bincount(i, minlength=n) + np.bincount(j, minlength=n)
    core = degree >= min_samples
    labels = np.full(n, -1, np.intp)
    both = core[i] & core[j]
    graph = coo_matrix((np.ones(int(both.sum()), np.int8), (i[both], j[both])), shape=(n, n))
    _, component = connected_components(graph, directed=False)
    core_idx = np.flatnonzero(core)
    # np.unique's first occurrences in index order give each component's lowest core index.
    _, first, inverse = np.unique(component[core_idx], return_index=True, return_inverse=True)
    rank = np.empty(first.size, np.intp)
    rank[np.argsort(first)] = np.arange(first.size)
    labels[core_idx] = rank[inverse]
    # Border: lowest label among core neighbours.
    border = np.full(n, np.iinfo(np.intp).max, np.intp)
    for src, dst in ((i, j), (j, i)):
        mask = core[src] & ~core[dst]
        np.minimum.at(border, dst[mask], labels[src[mask]])
    is_border = ~core & (border != np.iinfo(np.intp).max)
    labels[is_border] = border[is_border]
    return DBSCANResult(labels, core)
