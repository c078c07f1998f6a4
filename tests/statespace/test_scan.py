"""The blocked scan of the means' linear recursion equals the plain loop."""

import numpy as np
import pytest

from emcore.statespace._scan import linear_recursion, linear_recursion_loop


@pytest.mark.parametrize("n,k", [(2, 1), (64, 2), (65, 3), (1000, 2), (4097, 4)])
def test_blocked_scan_equals_the_loop(n, k):
    rng = np.random.default_rng(n + k)
    F = rng.normal(size=(n - 1, k, k))
    F /= np.max(np.abs(np.linalg.eigvals(F)), axis=1)[:, None, None] * 1.05  # stable steps
    b, z0 = rng.normal(size=(n - 1, k)), rng.normal(size=k)
    z = linear_recursion(F, b, z0)
    assert z.shape == (n, k)
    np.testing.assert_allclose(z, linear_recursion_loop(F, b, z0), rtol=0, atol=1e-11)
