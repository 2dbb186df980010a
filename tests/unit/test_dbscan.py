"""model_factory.taxi.dbscan against scikit-learn's DBSCAN on data built to break a grid DBSCAN.

Each case checks what "scikit-learn's answer" means (same noise, same core set, same partition
of the core points, every border point within eps of a core point of its cluster) and then that
the labels are equal outright, which this implementation promises (clusters numbered like
sklearn's expansion order).
"""

import threading

import numpy as np
import pytest
from sklearn.cluster import DBSCAN
from sklearn.preprocessing import StandardScaler

from model_factory.taxi import dbscan as grid_dbscan_module
from model_factory.taxi.dbscan import DBSCANResult, dbscan


def check_against_sklearn(
    X: np.ndarray, eps: float, min_samples: int, result: DBSCANResult | None = None
) -> None:
    """Fail unless our result is scikit-learn's (partition-level checks first, then labels)."""
    ours = dbscan(X, eps, min_samples) if result is None else result
    ref = DBSCAN(eps=eps, min_samples=min_samples).fit(X)
    ref_core = np.zeros(len(X), bool)
    ref_core[ref.core_sample_indices_] = True

    np.testing.assert_array_equal(ours.core, ref_core, err_msg="core points differ")
    np.testing.assert_array_equal(ours.labels == -1, ref.labels_ == -1, err_msg="noise differs")
    # Partition of core points, up to relabelling: the label pairs must form a bijection.
    pairs = np.unique(np.c_[ours.labels[ref_core], ref.labels_[ref_core]], axis=0)
    assert len(np.unique(pairs[:, 0])) == len(pairs) == len(np.unique(pairs[:, 1])), "partition"
    # Border points: within eps of a core point of the cluster they were given.
    eps2 = eps * eps
    for i in np.flatnonzero(~ours.core & (ours.labels >= 0)):
        same = ours.core & (ours.labels == ours.labels[i])
        d2 = ((X[same] - X[i]) ** 2).sum(axis=1)
        assert (d2 <= eps2).any(), f"border point {i} is not within eps of its cluster"
    np.testing.assert_array_equal(ours.labels, ref.labels_, err_msg="labels differ")
    assert ours.labels.dtype == np.intp and ours.core.dtype == bool


def blobs_with_noise(seed: int, n: int = 4000, d: int = 2, n_blobs: int = 5) -> np.ndarray:
    """Gaussian blobs of different spreads plus 10% uniform noise, standardised."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, (n_blobs, d))
    spreads = rng.uniform(0.3, 1.5, n_blobs)
    n_noise = n // 10
    which = rng.integers(0, n_blobs, n - n_noise)
    points = centres[which] + rng.normal(size=(n - n_noise, d)) * spreads[which, None]
    noise = rng.uniform(-14, 14, (n_noise, d))
    return StandardScaler().fit_transform(np.vstack([points, noise]))


def rides(seed: int, n: int) -> np.ndarray:
    """The book's taxi-ride shape (distance, distance / speed, planted anomalies), standardised."""
    rng = np.random.default_rng(seed)
    k = n // 40
    dist = np.concatenate([10 * rng.random(n - 3 * k), 30 * rng.random(k), 10 * rng.random(2 * k)])
    speed = np.concatenate(
        [rng.normal(30, 5, n - 2 * k), rng.normal(50, 10, k), rng.normal(15, 4, k)]
    )
    return StandardScaler().fit_transform(np.c_[dist, dist / speed])


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize(("eps", "min_samples"), [(0.3, 10), (0.1, 5), (0.5, 30)])
def test_blobs_with_uniform_noise(seed, eps, min_samples):
    check_against_sklearn(blobs_with_noise(seed), eps, min_samples)


@pytest.mark.parametrize("seed", range(3))
def test_book_ride_shape_10k(seed):
    check_against_sklearn(rides(seed, 10_000), 0.3, 10)


@pytest.mark.parametrize("seed", range(3))
def test_duplicates_and_rounded_values(seed):
    """Many identical points: counts must include every copy, dense cells hold few positions."""
    X = np.round(blobs_with_noise(seed, n=3000), 1)
    X = np.vstack([X, X[:500], np.repeat(X[:3], 20, axis=0)])
    # Lattice distances are k * 0.1 * sqrt(a^2 + b^2); 0.35 is not within an ulp of any of them.
    check_against_sklearn(X, 0.35, 12)
    check_against_sklearn(X, 0.35, 1)


@pytest.mark.parametrize("d", [1, 2, 3, 4])
@pytest.mark.parametrize("eps", [0.25, 0.5])
def test_distances_exactly_eps(d, eps):
    """A lattice of spacing 0.25 with holes: many pairs sit at exactly eps (<= counts them).

    0.25 and its multiples are exact in binary, so the squared test and scikit-learn's
    square-root node bounds agree. One eps-step below, those pairs must drop out. d = 4 checks
    the tree path's exact filter, which sees them as candidates either way.
    """
    rng = np.random.default_rng(d)
    side = {1: 400, 2: 40, 3: 12, 4: 9}[d]
    ij = np.stack(np.meshgrid(*[np.arange(side)] * d), -1).reshape(-1, d) - side // 2
    X = ij[rng.random(len(ij)) < 0.9] * 0.25 + 3.0
    # A full lattice point has n_below neighbours closer than eps and n_at_most within eps:
    # min_samples above n_below makes core-ness hinge on the pairs at exactly eps.
    r = round(eps / 0.25)
    offsets = np.stack(np.meshgrid(*[np.arange(-r, r + 1)] * d), -1).reshape(-1, d)
    norm2 = (offsets**2).sum(axis=1)
    n_below, n_at_most = int((norm2 < r * r).sum()), int((norm2 <= r * r).sum())
    for min_samples in (n_below + 1, (n_below + 1 + n_at_most) // 2):
        result = dbscan(X, eps, min_samples)
        check_against_sklearn(X, eps, min_samples, result)
        below = np.nextafter(eps, 0)
        shrunk = dbscan(X, below, min_samples)
        assert not np.array_equal(shrunk.core, result.core)
        check_against_sklearn(X, below, min_samples, shrunk)


def split_cells(monkeypatch) -> list[int]:
    """Record how many cells each dbscan call splits into sub-cells for neighbour counting."""
    splits: list[int] = []
    build = grid_dbscan_module._subcells

    def recording(*args):
        subcells = build(*args)
        splits.append(subcells[1].shape[0])
        return subcells

    monkeypatch.setattr(grid_dbscan_module, "_subcells", recording)
    return splits


@pytest.mark.parametrize(
    ("d", "eps", "min_samples"),
    [(1, 0.3, 300), (2, 0.3, 100), (2, 0.5, 500), (3, 0.5, 500)],
)
def test_large_min_samples_count_in_subcells(monkeypatch, d, eps, min_samples):
    """A min_samples that grows with the data: big cells beside sparse ones are split."""
    splits = split_cells(monkeypatch)
    check_against_sklearn(blobs_with_noise(1, n=20_000, d=d), eps, min_samples)
    assert splits[0] > 0


def test_book_ride_shape_with_min_samples_scaled_to_the_batch(monkeypatch):
    splits = split_cells(monkeypatch)
    check_against_sklearn(rides(0, 30_000), 0.3, 30)
    assert splits[0] > 0


@pytest.mark.parametrize("d", [2, 3])
def test_subcell_bounds_at_distances_exactly_eps(monkeypatch, d):
    """Stacked lattice points at exactly eps, counted through sub-cell boxes (2 per axis here).

    Each lattice point is repeated, so cells are big enough to split and min_samples is a
    multiple of the copies: core-ness hinges on the neighbours at exactly eps.
    """
    monkeypatch.setattr(grid_dbscan_module, "SUBCELLS_PER_CELL", 2**d)
    splits = split_cells(monkeypatch)
    rng = np.random.default_rng(d)
    side, copies, eps = {2: 24, 3: 7}[d], 40, 0.5
    ij = np.stack(np.meshgrid(*[np.arange(side)] * d), -1).reshape(-1, d) - side // 2
    X = np.repeat(ij[rng.random(len(ij)) < 0.8] * 0.25 + 3.0, copies, axis=0)
    offsets = np.stack(np.meshgrid(*[np.arange(-2, 3)] * d), -1).reshape(-1, d)
    n_below = int(((offsets**2).sum(axis=1) < 4).sum())
    for min_samples in (copies * n_below + 1, copies * (n_below + 2)):
        check_against_sklearn(X, eps, min_samples)
        check_against_sklearn(X, np.nextafter(eps, 0), min_samples)
    assert min(splits) > 0


@pytest.mark.parametrize(
    ("eps", "min_samples"),
    [
        (1e-3, 2),  # ~2e8 grid cells for 3,400 points: comparison sort, binary-search lookups
        (1e-3, 3),
        (0.14, 3),  # ~11k cells, 1.7k to 14k is comparison sort with a key -> cell table
    ],
)
def test_tiny_eps_sparse_grid(eps, min_samples):
    """eps far below the data spread: far more grid cells than points."""
    rng = np.random.default_rng(3)
    base = rng.uniform(-5, 5, (3000, 2))
    X = np.vstack([base, base[:300] + rng.normal(0, 1e-4, (300, 2)), base[:100]])
    check_against_sklearn(X, eps, min_samples)


@pytest.mark.parametrize("eps", [3.0, 100.0])
def test_large_eps(eps):
    check_against_sklearn(blobs_with_noise(11, n=2000), eps, 10)


@pytest.mark.parametrize("d", [1, 3])
@pytest.mark.parametrize("seed", range(2))
def test_grid_in_1d_and_3d(d, seed):
    check_against_sklearn(blobs_with_noise(seed, n=3000, d=d), 0.2 if d == 1 else 0.4, 8)


@pytest.mark.parametrize("d", [4, 6])
def test_tree_path_beyond_three_features(d):
    check_against_sklearn(blobs_with_noise(5, n=3000, d=d), 0.6, 8)


def test_grid_too_large_falls_back_to_tree():
    """A far outlier makes the grid exceed int64 keys: the tree path must still be exact."""
    X = np.vstack([blobs_with_noise(2, n=2000), [[1e20, -1e20]]])
    lo, hi = X.min(0), X.max(0)
    assert grid_dbscan_module._grid_dbscan(X, lo, hi, 0.3, 10, 0.3 / 2**0.5, 2) is None
    check_against_sklearn(X, 0.3, 10)


@pytest.mark.parametrize("side_factor", [1.3, 2.5])
def test_loose_cells_stay_exact(side_factor):
    """Cells wider than eps are never "tight": the per-pair fallback must give the same answer.

    Rounding can produce such cells for far-flung coordinates; wide cells force the path.
    """
    X = rides(4, 5000)
    eps = 0.3
    result = grid_dbscan_module._grid_dbscan(X, X.min(0), X.max(0), eps, 10, eps * side_factor, 2)
    check_against_sklearn(X, eps, 10, result)


def test_tree_and_grid_agree_beyond_sklearn_test_sizes():
    """200k points, eps small enough for the tree path's pair list: both paths must agree."""
    X = blobs_with_noise(9, n=200_000)
    grid = dbscan(X, 0.005, 10)
    tree = grid_dbscan_module._tree_dbscan(X, 0.005, 10)
    np.testing.assert_array_equal(grid.core, tree.core)
    np.testing.assert_array_equal(grid.labels, tree.labels)
    assert grid.n_clusters > 1


def test_empty_and_single_point():
    empty = dbscan(np.empty((0, 2)), 0.3, 5)
    assert empty.labels.shape == empty.core.shape == (0,) and empty.n_clusters == 0
    one = np.array([[1.0, 2.0]])
    assert dbscan(one, 0.3, 1).labels.tolist() == [0] and dbscan(one, 0.3, 1).core.tolist() == [
        True
    ]
    assert dbscan(one, 0.3, 2).labels.tolist() == [-1] and dbscan(one, 0.3, 2).n_clusters == 0


def test_input_order_does_not_change_the_partition():
    X = blobs_with_noise(8)
    perm = np.random.default_rng(0).permutation(len(X))
    check_against_sklearn(X[perm], 0.3, 10)


@pytest.mark.parametrize("n_jobs", [1, 3])
def test_thread_count_does_not_change_the_result(n_jobs):
    X = rides(2, 30_000)
    np.testing.assert_array_equal(
        dbscan(X, 0.3, 10, n_jobs=n_jobs).labels, dbscan(X, 0.3, 10).labels
    )
    with pytest.raises(ValueError, match="n_jobs must be"):
        dbscan(X, 0.3, 10, n_jobs=0)


def test_concurrent_calls_share_the_thread_pool_safely():
    """Calls from several threads at once (e.g. a threaded orchestrator) give the same answer."""
    X = rides(1, 20_000)
    expected = dbscan(X, 0.3, 10).labels
    results: list[np.ndarray] = []
    threads = [
        threading.Thread(target=lambda: results.append(dbscan(X, 0.3, 10).labels)) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and all(np.array_equal(r, expected) for r in results)


@pytest.mark.parametrize(
    ("X", "eps", "min_samples", "message"),
    [
        (np.array([[0.0, np.nan]]), 0.3, 5, "NaN or infinity"),
        (np.array([[0.0, np.inf]]), 0.3, 5, "NaN or infinity"),
        (np.zeros((3, 2)), 0.0, 5, "eps must be"),
        (np.zeros((3, 2)), -1.0, 5, "eps must be"),
        (np.zeros((3, 2)), float("nan"), 5, "eps must be"),
        (np.zeros((3, 2)), 0.3, 0, "min_samples must be"),
        (np.zeros((3, 2)), 0.3, 2.5, "min_samples must be"),
        (np.zeros(3), 0.3, 5, "must be 2-D"),
        (np.zeros((3, 2, 1)), 0.3, 5, "must be 2-D"),
        (np.zeros((3, 0)), 0.3, 5, "at least one feature"),
        ([["a", "b"]], 0.3, 5, "numeric"),
    ],
)
def test_invalid_input_raises_one_line_value_error(X, eps, min_samples, message):
    with pytest.raises(ValueError, match=message) as info:
        dbscan(X, eps, min_samples)
    assert "\n" not in str(info.value)


@pytest.mark.parametrize("seed", range(2))
@pytest.mark.parametrize(("eps", "min_samples"), [(0.3, 10), (0.15, 4), (0.4, 40)])
def test_book_ride_shape_at_20k(seed, eps, min_samples):
    """The largest size scikit-learn compares in seconds (~2 s and ~0.9 GB at eps 0.3); its
    memory grows with the neighbourhoods: `make bench` (benchmarks/dbscan_bench.py) compares at
    100k rides (~12 GB in scikit-learn) and fails if the labels differ."""
    check_against_sklearn(rides(100 + seed, 20_000), eps, min_samples)
