"""``animate_mixture``: a Gaussian mixture's EM run, the samples coloured by responsibility."""

from __future__ import annotations

import numpy as np

from .._checks import check_X
from ..gaussian import reference
from ..gaussian.covariance import covariance_model
from ..gaussian.stats import MixtureParams
from ..mixture import GaussianMixture
from ._player import MAX_FRAMES, EMAnimation, Frame

__all__ = ["animate_mixture"]

#: Component colours: blue and red first, as the book's static figures of two components.
COLORS = ("C0", "C3", "C2", "C1", "C4", "C5", "C6", "C8", "C9", "C7")
#: The 95 % quantile of the chi-square distribution with 2 degrees of freedom, -2 log 0.05.
CHI2_2_95 = -2.0 * np.log(0.05)


def _as_iterations(iterations) -> list[int]:
    if isinstance(iterations, (int, np.integer)) and not isinstance(iterations, bool):
        iterations = range(int(iterations) + 1)
    try:
        its = [int(t) for t in iterations]
    except (TypeError, ValueError):
        raise TypeError(f"iterations must be an int or a sequence of ints, got "
                        f"{type(iterations).__name__}") from None
    if not its or any(t < 0 for t in its) or any(b <= a for a, b in zip(its, its[1:])):
        raise ValueError(f"iterations must be increasing non-negative ints, got {its}")
    if len(its) > MAX_FRAMES:
        raise ValueError(f"iterations asks for {len(its)} frames; at most {MAX_FRAMES} keep a "
                         "page light: pass fewer (for example a few early ones, then every 10th)")
    return its


def _full_covariances(covariances, cov_type, k, d):
    """Every component's d x d covariance matrix, whatever the covariance type's shape."""
    # The type's sampler maps standard normal rows z to z A_j^T with A_j A_j^T = Sigma_j, so
    # feeding it the identity gives rows R_j with R_j^T R_j = Sigma_j, whatever the shape.
    model, eye = covariance_model(cov_type), np.eye(d)
    full = np.empty((k, d, d))
    for j in range(k):
        rows = model.sample(np.zeros((k, d)), np.asarray(covariances), np.full(d, j), eye)
        full[j] = rows.T @ rows
    return full


def animate_mixture(estimator, X, iterations=20, *, labels=None, fps=2.0):
    """Watch a Gaussian mixture's EM run, the samples coloured by their responsibilities.

    The estimator is fitted (on a copy) from its start with ``tol=0``, and emcore's
    callback keeps the parameters after every iteration; the frames show the chosen
    ones. In one dimension a frame draws each weighted component density and every
    sample as a tick below the axis; in two, every sample as a dot and each component's
    95 % ellipse and mean. A sample's colour mixes the component colours (blue, red,
    green, ...) in the proportions of its responsibilities.

    Parameters
    ----------
    estimator : GaussianMixture
        Unfitted or fitted; its parameters (start, covariance type, ``reg_covar``, ...)
        are used, its ``n_init`` must be 1. It is not changed.
    X : array_like of shape (n_samples, 1) or (n_samples, 2)
        The data.
    iterations : int or sequence of int, default 20
        The iterations to show, increasing (0 is the start); an int ``n`` means
        ``0, 1, ..., n``. At most ``MAX_FRAMES`` (60). If the run ends early (a
        component collapses), the iterations after its end are left out.
    labels : sequence of str, optional
        Axis labels: the data's name (and units) of each column.
    fps : float, default 2
        Frames per second when played.

    Returns
    -------
    EMAnimation
        One :class:`~emcore.animation.Frame` per shown iteration.

    See Also
    --------
    emcore.animate_elbo : The lower bound of a one-parameter model, step by step.
    emcore.EMAnimation : What it returns.
    emcore.GaussianMixture : The estimator whose run it follows.

    Examples
    --------
    >>> import numpy as np
    >>> from emcore import GaussianMixture, animate_mixture
    >>> x = np.random.default_rng(0).normal([0.0, 5.0], 1.0, (50, 2)).reshape(-1, 1)
    >>> start = GaussianMixture(2, weights_init=[0.5, 0.5], means_init=[[4.0], [6.0]],
    ...                         precisions_init=[[[1.0]], [[1.0]]])
    >>> anim = animate_mixture(start, x, iterations=[0, 1, 2, 5])
    >>> anim
    <EMAnimation: Gaussian mixture EM, 4 frames, iterations 0 to 5>
    >>> print(anim.frames[0].params.means.ravel())
    [4. 6.]
    """
    if not isinstance(estimator, GaussianMixture):
        raise TypeError(f"estimator must be an emcore.GaussianMixture, got "
                        f"{type(estimator).__name__}")
    if estimator.n_init != 1:
        raise ValueError(f"estimator.n_init must be 1 (an animation follows one run), got "
                         f"{estimator.n_init}")
    X = np.asarray(check_X(X), dtype=np.float64)
    if X.shape[1] not in (1, 2):
        raise ValueError(f"X must have 1 or 2 columns to be drawn, got shape {X.shape}")
    its = _as_iterations(iterations)
    d = X.shape[1]
    labels = [f"$x_{j + 1}$" for j in range(d)] if labels is None else list(labels)
    if len(labels) != d or not all(isinstance(s, str) for s in labels):
        raise ValueError(f"labels must be {d} string(s), one per column of X, got {labels!r}")

    # The start (max_iter=0), then the run from exactly that start (warm_start).
    gm = type(estimator)(**{**estimator.get_params(), "max_iter": 0, "callback": None,
                            "warm_start": False})
    gm.fit(X)
    start = (gm.weights_.copy(), gm.means_.copy(), gm.covariances_.copy(),
             gm.precisions_cholesky_.copy())
    kept = {0: (start, float(gm.log_posterior_history_[0]))}  # what the callback gets
    wanted = set(its)

    def keep(t, params, ll):
        if t in wanted:
            kept[t] = ((params.weights.copy(), params.means.copy(), params.covariances.copy(),
                        params.precisions_cholesky.copy()), float(ll))

    gm.set_params(max_iter=its[-1], tol=0.0, warm_start=True, callback=keep)
    if its[-1] > 0:
        gm.fit(X)
    frames = [Frame(t, "", MixtureParams(*kept[t][0]), kept[t][1]) for t in its if t in kept]
    k = gm.n_components
    cov = covariance_model(gm.covariance_type)
    resp = [reference.responsibilities(X, f.params.weights, f.params.means,
                                       f.params.precisions_cholesky, cov)[0] for f in frames]
    full = [_full_covariances(f.params.covariances, gm.covariance_type, k, d) for f in frames]

    def colours(r):
        from matplotlib.colors import to_rgb

        return np.clip(r @ np.array([to_rgb(COLORS[j % len(COLORS)]) for j in range(k)]), 0, 1)

    lo, hi = X.min(axis=0), X.max(axis=0)
    pad = 0.15 * np.maximum(hi - lo, 1e-12)
    if d == 1:
        grid = np.linspace(lo[0] - pad[0], hi[0] + pad[0], 300)
        dens = [f.params.weights * np.exp(reference.log_densities(
            grid[:, None], f.params.means, f.params.precisions_cholesky, cov)) for f in frames]
        top = 1.1 * max(float(np.max(p)) for p in dens)
        jitter = np.random.default_rng(0).uniform(-0.09, -0.03, X.shape[0]) * top

    def draw(ax, i):
        f = frames[i]
        if d == 1:
            for j in range(k):
                ax.plot(grid, dens[i][:, j], color=COLORS[j % len(COLORS)], lw=2)
            ax.scatter(X[:, 0], jitter, c=colours(resp[i]), s=60, marker="|", linewidths=1.5)
            ax.set(xlim=(grid[0], grid[-1]), ylim=(-0.12 * top, top), xlabel=labels[0],
                   ylabel="weighted density")
        else:
            ax.scatter(X[:, 0], X[:, 1], c=colours(resp[i]), s=10)
            s = np.linspace(0, 2 * np.pi, 100)
            circle = np.sqrt(CHI2_2_95) * np.vstack([np.cos(s), np.sin(s)])
            for j in range(k):
                evals, evecs = np.linalg.eigh(full[i][j])
                m = f.params.means[j]
                curve = m + (evecs @ (np.sqrt(np.maximum(evals, 0))[:, None] * circle)).T
                ax.plot(*curve.T, color=COLORS[j % len(COLORS)], lw=2)
                ax.plot(*m, "+", color="k", ms=10, mew=2)
            ax.set(xlim=(lo[0] - pad[0], hi[0] + pad[0]), ylim=(lo[1] - pad[1], hi[1] + pad[1]),
                   xlabel=labels[0], ylabel=labels[1])
        ax.set_title(rf"$t = {f.iteration}$:  $\ell = {f.log_likelihood:.1f}$", fontsize=10)

    return EMAnimation(frames, draw, "Gaussian mixture EM", fps=fps)
