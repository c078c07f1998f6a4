"""Small data sets and explicit starting points shared by the mixture tests."""

import numpy as np
import pytest

from emcore.gaussian.covariance import COVARIANCE_TYPES

#: Every covariance type, for parametrised tests.
COV_TYPES = list(COVARIANCE_TYPES)
CENTERS = np.array([[0.0, 0.0, 0.0], [4.0, 0.0, 1.0], [0.0, 5.0, -2.0]])


def blobs(n_per=60, d=3, k=3, seed=0, offset=0.0):
    """``k`` Gaussian blobs in ``d`` dimensions with different shapes, rows shuffled."""
    rng = np.random.default_rng(seed)
    parts = []
    for j in range(k):
        a = rng.normal(size=(d, d)) * 0.4 + np.eye(d) * (0.5 + 0.3 * j)
        parts.append(rng.normal(size=(n_per, d)) @ a + CENTERS[j % len(CENTERS), :d] * (1 + j // 3))
    X = np.concatenate(parts) + offset
    return X[rng.permutation(len(X))]


def explicit_init(X, k, cov_type, seed=0):
    """weights_init, means_init, precisions_init (a different precision per component)."""
    rng = np.random.default_rng(seed)
    d = X.shape[1]
    weights = np.arange(1.0, k + 1) / np.sum(np.arange(1.0, k + 1))
    means = X[rng.choice(len(X), k, replace=False)]
    scales = np.linspace(0.5, 1.5, k)
    if cov_type == "full":
        prec = np.stack([np.eye(d) * s + 0.1 * (np.ones((d, d)) - np.eye(d)) * s for s in scales])
    elif cov_type == "tied":
        prec = np.eye(d) * 0.8 + 0.1 * (np.ones((d, d)) - np.eye(d))
    elif cov_type == "diag":
        prec = np.outer(scales, np.linspace(0.7, 1.3, d))
    else:
        prec = scales.copy()
    return {"weights_init": weights, "means_init": means, "precisions_init": prec}


@pytest.fixture
def X3():
    return blobs()


def pytest_collection_modifyitems(items):
    """EM on a mixture never lowers the log-likelihood: make the driver's warning an error here."""
    for item in items:
        if "tests/mixture/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.filterwarnings("error::emcore.MonotonicityWarning"))
