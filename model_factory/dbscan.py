"""Exact DBSCAN on a grid of cells: scikit-learn's answer, orders of magnitude faster (issue 15).

scikit-learn builds every eps-neighbourhood as a list (quadratic memory on dense data: 100k
rides take ~35 s and ~9.5 GB). Here, for up to 3 features, points are bucketed into cells of side
eps / sqrt(d) (slightly less), so any two points of one cell are within eps:

1. a cell holding >= min_samples points is all core, no neighbour counting needed;
2. only points of sparse cells count neighbours, over the (2R+1)^d surrounding cells, stopping
   at min_samples;
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
bound instead, so for pairs within one ulp of eps scikit-learn itself can go either way.

Beyond 3 features (or for a grid too large to index) a KD-tree pair search finds candidates and
the same exact test filters them; memory is then O(number of neighbour pairs).
"""

from __future__ import annotations

import math
import os
import threading
from dataclasses import dataclass
from numbers import Integral, Real

import numba as nb
import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial import cKDTree

# Grid above this many features: the (2R+1)^d stencil (625 cells at d=4) outgrows a tree.
GRID_MAX_FEATURES = 3
# Cell side is eps / sqrt(d) shrunk by this factor, so a cell's computed diagonal stays <= eps
# despite rounding in floor(x / side); cells that still exceed it are detected and handled.
_SIDE_SHRINK = 1.0 - 1e-9
# Linear cell keys are int64; grids with more cells than this go to the tree path.
_MAX_GRID_CELLS = 2**62

# numba prefers OpenMP when libgomp is installed; on 2 vCPUs its spin-then-sleep default cost
# ~10 ms per parallel call (measured), numba's own workqueue pool ~0.1 ms, and it is fork-safe.
# It is not thread-safe, so calls are serialised by _LOCK. An explicit env setting wins.
if "NUMBA_THREADING_LAYER" not in os.environ:
    nb.config.THREADING_LAYER = "workqueue"
_LOCK = threading.Lock()


@dataclass(frozen=True)
class DBSCANResult:
    """Per-point cluster labels (-1 is noise, clusters 0..k-1 by lowest core index), core mask."""

    labels: np.ndarray
    core: np.ndarray

    @property
    def n_clusters(self) -> int:
        return int(self.labels.max()) + 1 if self.labels.size else 0


def dbscan(X: np.ndarray, eps: float, min_samples: int) -> DBSCANResult:
    """Cluster X (n_samples, n_features) exactly as sklearn.cluster.DBSCAN(eps, min_samples).

    Euclidean metric; a point is core when at least min_samples points (itself included) lie at
    distance <= eps. Raises ValueError with a one-line message on bad input.
    """
    X = _validate(X, eps, min_samples)
    eps = float(eps)
    if X.shape[0] == 0:
        return DBSCANResult(np.empty(0, np.intp), np.empty(0, bool))
    with _LOCK:
        lo, hi = _finite_bounds(X)
        if X.shape[1] <= GRID_MAX_FEATURES:
            side = eps / math.sqrt(X.shape[1]) * _SIDE_SHRINK
            result = _grid_dbscan(X, lo, hi, eps, int(min_samples), side)
            if result is not None:
                return result
    return _tree_dbscan(X, eps, int(min_samples))


def _validate(X: np.ndarray, eps: float, min_samples: int) -> np.ndarray:
    """Reject what scikit-learn would reject (or silently mis-cluster), one line per problem."""
    if isinstance(eps, bool) or not isinstance(eps, Real) or not math.isfinite(eps) or eps <= 0:
        raise ValueError(f"eps must be a finite number > 0, got {eps!r}")
    if isinstance(min_samples, bool) or not isinstance(min_samples, Integral) or min_samples < 1:
        raise ValueError(f"min_samples must be an integer >= 1, got {min_samples!r}")
    try:
        X = np.ascontiguousarray(X, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"X must be a numeric array: {exc}") from None
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (n_samples, n_features), got shape {X.shape}")
    if X.shape[1] == 0:
        raise ValueError("X must have at least one feature")
    return X


def _finite_bounds(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature min and max in one parallel pass (numpy's axis-0 reductions are slow here)."""
    lo, hi, finite = _bounds(X, nb.get_num_threads())
    if not finite.all():
        raise ValueError("X contains NaN or infinity")
    return lo.min(axis=0), hi.max(axis=0)


@nb.njit(parallel=True, cache=True)
def _bounds(X, n_parts):
    """Per thread: min and max per feature over finite values, and whether all were finite."""
    n, d = X.shape
    lo = np.full((n_parts, d), np.inf)
    hi = np.full((n_parts, d), -np.inf)
    finite = np.ones(n_parts, np.bool_)
    for t in nb.prange(n_parts):
        part_lo = np.full(d, np.inf)  # thread-local: no false sharing in the hot loop
        part_hi = np.full(d, -np.inf)
        ok = True
        for i in range(t * n // n_parts, (t + 1) * n // n_parts):
            for k in range(d):
                x = X[i, k]
                if not np.isfinite(x):
                    ok = False
                else:
                    part_lo[k] = min(part_lo[k], x)
                    part_hi[k] = max(part_hi[k], x)
        lo[t] = part_lo
        hi[t] = part_hi
        finite[t] = ok
    return lo, hi, finite


# --------------------------------------------------------------------------- grid path


def _grid_dbscan(
    X: np.ndarray, lo: np.ndarray, hi: np.ndarray, eps: float, min_samples: int, side: float
) -> DBSCANResult | None:
    """Grid DBSCAN with cells of the given side (<= eps / sqrt(d)); None if the grid is too big.

    Any side is correct (cells wider than eps / sqrt(d) are just never "tight"); tests use that.
    """
    n, d = X.shape
    eps2 = eps * eps
    extent = np.floor((hi - lo) / side)  # same float ops as _cell_keys: same cells
    if not np.isfinite(extent).all():
        return None
    shape = [int(e) + 1 for e in extent]
    n_grid = math.prod(shape)
    if n_grid >= _MAX_GRID_CELLS:
        return None
    strides = np.array([math.prod(shape[k + 1 :]) for k in range(d)], np.int64)
    # Two neighbours differ by at most eps / side cells per axis, plus rounding of floor(x / side)
    # that grows with the coordinate (in cells): reach R covers both.
    reach = math.ceil(eps / side + 1e-6 + float(extent.max()) * 2.0**-50)
    offsets = _stencil(d, reach)

    index_dtype = np.int32 if n < 2**31 else np.int64
    keys = _cell_keys(X, lo, side, strides)
    n_parts = nb.get_num_threads()
    # After sorting, keys[i] holds point i's cell index: the output pass streams through it.
    if n_grid <= max(2 * n, 2**16):  # counting sort, O(n + n_grid); sequential reads of X
        perm = np.empty(n, index_dtype)
        Xs = np.empty_like(X)
        cell_keys, cell_start = _counting_sort(X, keys, n_grid, n_parts, perm, Xs)
    else:  # sparse grid (tiny eps or far outliers): comparison sort
        perm = np.argsort(keys, kind="stable").astype(index_dtype)
        sorted_keys = keys[perm]
        cell_start = np.flatnonzero(np.diff(sorted_keys)) + 1
        cell_start = np.concatenate(([0], cell_start, [n])).astype(np.int64)
        cell_keys = sorted_keys[cell_start[:-1]]
        del sorted_keys
        keys[perm] = np.repeat(np.arange(cell_keys.size), np.diff(cell_start))
        Xs = X[perm]
    grid = (cell_keys, cell_start, np.array(shape, np.int64), strides, offsets)
    box_lo, box_hi, tight = _cell_boxes(Xs, cell_start, eps2)
    core = _core_flags(Xs, *grid, box_lo, box_hi, tight, eps2, min_samples, n_parts)
    parent, rep = _components(Xs, perm, core, *grid, box_lo, box_hi, tight, eps2)
    lab = _label_cores(parent, perm, core, cell_start, rep, tight)
    del parent
    _border_labels(Xs, core, lab, rep, *grid, box_lo, box_hi, tight, eps2, n_parts)
    del Xs
    labels, core_out = _output(keys, perm, lab, core, cell_start, n_parts)
    return DBSCANResult(labels, core_out)


def _stencil(d: int, reach: int) -> np.ndarray:
    """Cell offsets in [-reach, reach]^d, nearest first (3^d ring first) for early exits."""
    axes = [np.arange(-reach, reach + 1)] * d
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), axis=-1).reshape(-1, d)
    order = np.lexsort((np.abs(grid).sum(axis=1), np.abs(grid).max(axis=1)))
    return np.ascontiguousarray(grid[order], dtype=np.int64)


@nb.njit(parallel=True, cache=True)
def _cell_keys(X, lo, side, strides):
    """Linear cell key per point: sum_k floor((x_k - lo_k) / side) * stride_k."""
    n, d = X.shape
    keys = np.empty(n, np.int64)
    for i in nb.prange(n):
        key = 0
        for k in range(d):
            key += np.int64(math.floor((X[i, k] - lo[k]) / side)) * strides[k]
        keys[i] = key
    return keys


@nb.njit(parallel=True, cache=True)
def _counting_sort(X, keys, n_grid, n_parts, perm, Xs):
    """Stable parallel counting sort of X by cell key into perm and Xs; returns CSR cell ranges.

    Also overwrites keys[i] with point i's cell index (for the streaming output pass).
    """
    n, d = X.shape
    counts = np.zeros((n_parts, n_grid), perm.dtype)
    for t in nb.prange(n_parts):
        for i in range(t * n // n_parts, (t + 1) * n // n_parts):
            counts[t, keys[i]] += 1
    n_cells = 0
    for g in range(n_grid):
        for t in range(n_parts):
            if counts[t, g]:
                n_cells += 1
                break
    cell_keys = np.empty(n_cells, np.int64)
    cell_start = np.empty(n_cells + 1, np.int64)
    cell_of_key = np.empty(n_grid, perm.dtype)
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
    cell_start[n_cells] = n
    for t in nb.prange(n_parts):  # writes go to one run per cell: sequential-ish, unlike a gather
        for i in range(t * n // n_parts, (t + 1) * n // n_parts):
            g = keys[i]
            pos = counts[t, g]
            counts[t, g] = pos + 1
            perm[pos] = i
            for k in range(d):
                Xs[pos, k] = X[i, k]
            keys[i] = cell_of_key[g]
    return cell_keys, cell_start


@nb.njit(parallel=True, cache=True)
def _cell_boxes(Xs, cell_start, eps2):
    """Bounding box per cell and whether its computed diagonal is <= eps (all pairs within)."""
    n_cells = cell_start.size - 1
    d = Xs.shape[1]
    lo = np.empty((n_cells, d))
    hi = np.empty((n_cells, d))
    tight = np.empty(n_cells, np.bool_)
    for c in nb.prange(n_cells):
        for k in range(d):
            lo[c, k] = Xs[cell_start[c], k]
            hi[c, k] = Xs[cell_start[c], k]
        for p in range(cell_start[c] + 1, cell_start[c + 1]):
            for k in range(d):
                lo[c, k] = min(lo[c, k], Xs[p, k])
                hi[c, k] = max(hi[c, k], Xs[p, k])
        diag2 = 0.0
        for k in range(d):
            t = hi[c, k] - lo[c, k]
            diag2 += t * t
        tight[c] = diag2 <= eps2
    return lo, hi, tight


@nb.njit(cache=True)
def _dist2(Xs, p, q):
    """Squared distance exactly as scikit-learn's euclidean rdist: feature order, float64."""
    s = 0.0
    for k in range(Xs.shape[1]):
        t = Xs[p, k] - Xs[q, k]
        s += t * t
    return s


@nb.njit(cache=True)
def _point_box_gap2(Xs, p, lo, hi, c):
    """Lower bound (same rounding) of _dist2 from point p to any point of cell c."""
    s = 0.0
    for k in range(Xs.shape[1]):
        x = Xs[p, k]
        t = max(lo[c, k] - x, x - hi[c, k], 0.0)
        s += t * t
    return s


@nb.njit(cache=True)
def _point_box_far2(Xs, p, lo, hi, c):
    """Upper bound (same rounding) of _dist2 from point p to any point of cell c."""
    s = 0.0
    for k in range(Xs.shape[1]):
        x = Xs[p, k]
        t = max(x - lo[c, k], hi[c, k] - x)
        s += t * t
    return s


@nb.njit(cache=True)
def _box_gap2(lo, hi, a, b):
    """Lower bound of _dist2 between any point of cell a and any point of cell b."""
    s = 0.0
    for k in range(lo.shape[1]):
        t = max(lo[b, k] - hi[a, k], lo[a, k] - hi[b, k], 0.0)
        s += t * t
    return s


@nb.njit(cache=True)
def _box_far2(lo, hi, a, b):
    """Upper bound of _dist2 between any point of cell a and any point of cell b."""
    s = 0.0
    for k in range(lo.shape[1]):
        t = max(hi[b, k] - lo[a, k], hi[a, k] - lo[b, k])
        s += t * t
    return s


@nb.njit(cache=True)
def _neighbours(c, cell_keys, shape, strides, offsets, o_start, o_stop, lo, hi, eps2, out):
    """Non-empty cells at offsets[o_start:o_stop] from cell c whose box is within eps; count."""
    key = cell_keys[c]
    d = shape.size
    m = 0
    for o in range(o_start, o_stop):
        nkey = key
        inside = True
        for k in range(d):
            coord = (key // strides[k]) % shape[k] + offsets[o, k]
            if coord < 0 or coord >= shape[k]:
                inside = False
                break
            nkey += offsets[o, k] * strides[k]
        if not inside:
            continue
        j = np.searchsorted(cell_keys, nkey)
        if j < cell_keys.size and cell_keys[j] == nkey and _box_gap2(lo, hi, c, j) <= eps2:
            out[m] = j
            m += 1
    return m


@nb.njit(parallel=True, cache=True)
def _core_flags(
    Xs, cell_keys, cell_start, shape, strides, offsets, lo, hi, tight, eps2, min_samples, n_parts
):
    """Core mask in cell order: tight dense cells wholesale, other points by counting to min."""
    n_cells = cell_start.size - 1
    core = np.zeros(Xs.shape[0], np.bool_)
    n_off = offsets.shape[0]
    for t in nb.prange(n_parts):  # cells striped over threads: balances dense and sparse areas
        nbrs = np.empty(n_off, np.int64)
        for c in range(t, n_cells, n_parts):
            start, stop = cell_start[c], cell_start[c + 1]
            if tight[c] and stop - start >= min_samples:
                core[start:stop] = True
                continue
            m = _neighbours(c, cell_keys, shape, strides, offsets, 0, n_off, lo, hi, eps2, nbrs)
            for p in range(start, stop):
                count = 0
                for j in range(m):
                    cj = nbrs[j]
                    if _point_box_gap2(Xs, p, lo, hi, cj) > eps2:
                        continue
                    if _point_box_far2(Xs, p, lo, hi, cj) <= eps2:
                        count += cell_start[cj + 1] - cell_start[cj]
                    else:
                        for q in range(cell_start[cj], cell_start[cj + 1]):
                            if _dist2(Xs, p, q) <= eps2:
                                count += 1
                                if count >= min_samples:
                                    break
                    if count >= min_samples:
                        break
                core[p] = count >= min_samples
    return core


@nb.njit(cache=True)
def _find(parent, x):
    """Union-find root with path halving."""
    while parent[x] != x:
        parent[x] = parent[parent[x]]
        x = parent[x]
    return x


@nb.njit(cache=True)
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


@nb.njit(cache=True)
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


@nb.njit(cache=True)
def _components(
    Xs, perm, core, cell_keys, cell_start, shape, strides, offsets, lo, hi, tight, eps2
):
    """Union-find over core points (serial). Returns parents and each cell's first core (-1)."""
    n = Xs.shape[0]
    n_cells = cell_start.size - 1
    parent = np.empty(n, perm.dtype)
    rep = np.full(n_cells, -1, np.int64)
    for c in range(n_cells):
        for p in range(cell_start[c], cell_start[c + 1]):
            parent[p] = p
            if core[p]:
                if rep[c] < 0:
                    rep[c] = p  # lowest original index of the cell's cores (stable sort)
                elif tight[c]:
                    parent[p] = rep[c]  # a tight cell's cores are pairwise within eps
    for c in range(n_cells):  # a loose cell's cores are joined pair by pair
        if rep[c] >= 0 and not tight[c]:
            _join_cells(Xs, perm, core, parent, cell_start, lo, hi, c, c, False, eps2)
    nbrs = np.empty(offsets.shape[0], np.int64)
    near = 3**shape.size  # the 3^d ring first: later, farther pairs are mostly joined already
    for o_start, o_stop in ((0, near), (near, offsets.shape[0])):
        for c in range(n_cells):
            if rep[c] < 0:
                continue
            m = _neighbours(
                c, cell_keys, shape, strides, offsets, o_start, o_stop, lo, hi, eps2, nbrs
            )
            for j in range(m):
                cj = nbrs[j]
                if cj <= c or rep[cj] < 0:
                    continue
                if tight[c] and tight[cj]:
                    if _find(parent, rep[c]) == _find(parent, rep[cj]):
                        continue
                    if _box_far2(lo, hi, c, cj) <= eps2:
                        _union(parent, perm, rep[c], rep[cj])
                    else:
                        _join_cells(Xs, perm, core, parent, cell_start, lo, hi, c, cj, True, eps2)
                else:
                    _join_cells(Xs, perm, core, parent, cell_start, lo, hi, c, cj, False, eps2)
    return parent, rep


@nb.njit(parallel=True, cache=True)
def _label_cores(parent, perm, core, cell_start, rep, tight):
    """Label per core point (cell order), clusters numbered by lowest core index; others -1.

    Roots are the lowest-index members, so ordering roots by index numbers clusters like sklearn.
    Only cell representatives and loose cells need the serial find; the rest is per cell.
    """
    n_cells = cell_start.size - 1
    lab = np.full(parent.size, -1, parent.dtype)
    n_roots = 0
    for c in range(n_cells):
        if rep[c] < 0:
            continue
        for p in range(rep[c], cell_start[c + 1]):
            if core[p] and (p == rep[c] or not tight[c]):
                parent[p] = _find(parent, p)
                n_roots += parent[p] == p
    roots = np.empty(n_roots, np.int64)
    r = 0
    for c in range(n_cells):
        if rep[c] < 0:
            continue
        for p in range(rep[c], cell_start[c + 1]):
            if core[p] and (p == rep[c] or not tight[c]) and parent[p] == p:
                roots[r] = p
                r += 1
    order = np.argsort(perm[roots])
    for k in range(n_roots):
        lab[roots[order[k]]] = k
    for c in nb.prange(n_cells):
        if rep[c] < 0:
            continue
        cell_root = parent[rep[c]]
        for p in range(rep[c], cell_start[c + 1]):
            if core[p]:
                lab[p] = lab[cell_root if tight[c] else parent[p]]
    return lab


@nb.njit(parallel=True, cache=True)
def _border_labels(
    Xs, core, lab, rep, cell_keys, cell_start, shape, strides, offsets, lo, hi, tight, eps2, n_parts
):
    """Non-core points take the lowest label of a core point within eps (sklearn's BFS order)."""
    n_cells = cell_start.size - 1
    n_off = offsets.shape[0]
    no_label = Xs.shape[0]  # above every cluster label
    for t in nb.prange(n_parts):
        nbrs = np.empty(n_off, np.int64)
        for c in range(t, n_cells, n_parts):
            start, stop = cell_start[c], cell_start[c + 1]
            if np.all(core[start:stop]):
                continue
            m = _neighbours(c, cell_keys, shape, strides, offsets, 0, n_off, lo, hi, eps2, nbrs)
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


@nb.njit(parallel=True, cache=True)
def _output(cell_of, perm, lab, core, cell_start, n_parts):
    """Back to input order: stream per-cell values, then patch cells whose points differ.

    A permutation scatter of every point is random access (~0.2 s at 10M); almost all cells are
    uniform (all core, one label), so only the few mixed cells are scattered.
    """
    n_cells = cell_start.size - 1
    cell_lab = np.empty(n_cells, np.intp)
    cell_core = np.empty(n_cells, np.bool_)
    mixed = np.zeros(n_cells, np.bool_)
    for c in nb.prange(n_cells):
        start = cell_start[c]
        cell_lab[c] = lab[start]
        cell_core[c] = core[start]
        for p in range(start + 1, cell_start[c + 1]):
            if lab[p] != lab[start] or core[p] != core[start]:
                mixed[c] = True
                break
    n = perm.size
    labels = np.empty(n, np.intp)
    core_out = np.empty(n, np.bool_)
    for i in nb.prange(n):
        labels[i] = cell_lab[cell_of[i]]
        core_out[i] = cell_core[cell_of[i]]
    for t in nb.prange(n_parts):
        for c in range(t, n_cells, n_parts):
            if mixed[c]:
                for p in range(cell_start[c], cell_start[c + 1]):
                    labels[perm[p]] = lab[p]
                    core_out[perm[p]] = core[p]
    return labels, core_out


# --------------------------------------------------------------------------- tree path


def _tree_dbscan(X: np.ndarray, eps: float, min_samples: int) -> DBSCANResult:
    """Exact DBSCAN from all neighbour pairs (KD-tree candidates, exact test); O(pairs) memory."""
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
