"""emcore.animation: frames drawn from emcore's EM, a player for HTML, a PNG strip for the PDF."""

import base64
import io
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from emcore import EMAnimation, GaussianMixture, animate_elbo, animate_mixture, run_em
from emcore.datasets import load_faithful
from emcore.models import GeneticLinkage

PNG = b"\x89PNG\r\n\x1a\n"
SANITIZE = Path(__file__).parent / "nbval_sanitize.cfg"


def heights():
    rng = np.random.default_rng(1)
    return rng.normal(np.repeat([164.0, 176.0], 40), np.repeat([6.0, 7.0], 40))[:, None]


def poor_start(**kwargs):
    return GaussianMixture(2, weights_init=[0.5, 0.5], means_init=[[185.0], [190.0]],
                           precisions_init=[[[1 / 25]], [[1 / 25]]], **kwargs)


def faithful_start(covariance_type="full"):
    X = load_faithful()
    Z = (X - X.mean(axis=0)) / X.std(axis=0)
    prec = {"full": [np.eye(2) / 0.3] * 2, "tied": np.eye(2) / 0.3, "diag": [[1 / 0.3] * 2] * 2,
            "spherical": [1 / 0.3] * 2}[covariance_type]
    return Z, GaussianMixture(2, covariance_type=covariance_type, weights_init=[0.5, 0.5],
                              means_init=[[-1.2, 1.0], [1.2, -1.0]], precisions_init=prec)


def fitted(estimator, X, t):
    gm = GaussianMixture(**{**estimator.get_params(), "max_iter": t, "tol": 0.0})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # max_iter=0: nothing to converge
        return gm.fit(X)


# ---- frames ----------------------------------------------------------------------------

def test_an_int_gives_one_frame_per_iteration_from_the_start():
    anim = animate_mixture(poor_start(), heights(), 5)
    assert len(anim) == 6
    assert [f.iteration for f in anim.frames] == [0, 1, 2, 3, 4, 5]


def test_a_sequence_gives_one_frame_per_listed_iteration():
    anim = animate_mixture(poor_start(), heights(), [0, 2, 7, 30])
    assert [f.iteration for f in anim.frames] == [0, 2, 7, 30]


@pytest.mark.parametrize("t_index", [0, 1, 2, 3])
def test_mixture_frames_hold_the_parameters_of_emcores_fit_after_that_many_iterations(t_index):
    X = heights()
    its = [0, 1, 4, 25]
    anim = animate_mixture(poor_start(), X, its)
    frame, gm = anim.frames[t_index], fitted(poor_start(), X, its[t_index])
    assert frame.iteration == its[t_index]
    np.testing.assert_allclose(frame.params.weights, gm.weights_, rtol=1e-10)
    np.testing.assert_allclose(frame.params.means, gm.means_, rtol=1e-10)
    np.testing.assert_allclose(frame.params.covariances, gm.covariances_, rtol=1e-10)
    assert frame.log_likelihood == pytest.approx(gm.log_likelihood_history_[-1], rel=1e-12)


def test_mixture_frames_climb_as_em_does_and_move_away_from_the_start():
    anim = animate_mixture(poor_start(), heights(), 10)
    lls = np.array([f.log_likelihood for f in anim.frames])
    assert np.all(np.diff(lls) >= -1e-9 * np.abs(lls[1:]))
    assert lls[-1] > lls[0] + 100
    assert anim.frames[-1].params.means.min() < 175  # the lower component has come down


@pytest.mark.parametrize("covariance_type", ["full", "tied", "diag", "spherical"])
def test_two_dimensional_frames_match_the_fit_for_every_covariance_type(covariance_type):
    Z, start = faithful_start(covariance_type)
    anim = animate_mixture(start, Z, [0, 3])
    gm = fitted(start, Z, 3)
    np.testing.assert_allclose(anim.frames[-1].params.means, gm.means_, rtol=1e-10)
    png = anim.strip(2)                     # the ellipses are drawn for every type
    assert png.startswith(PNG)


def test_the_estimator_given_is_left_unfitted_and_unchanged():
    est = poor_start()
    before = est.get_params()
    animate_mixture(est, heights(), 3)
    assert not hasattr(est, "means_")
    assert est.get_params().keys() == before.keys()
    assert all(est.get_params()[k] is before[k] for k in before)


def test_elbo_frames_alternate_e_and_m_steps_along_run_em():
    model = GeneticLinkage()
    anim = animate_elbo(model, 0.05, theta_range=(0.02, 0.9), n_iter=4)
    path = run_em(model, 0.05, tol=0, max_iter=4)
    assert len(anim) == 8
    assert [(f.iteration, f.step) for f in anim.frames[:4]] == [(0, "E"), (0, "M"), (1, "E"),
                                                                  (1, "M")]
    for t in range(4):
        e, m = anim.frames[2 * t], anim.frames[2 * t + 1]
        assert e.params == path.theta_history[t] and m.params == path.theta_history[t + 1]
        assert m.log_likelihood == path.log_likelihood_history[t + 1]


def test_each_bound_lies_below_the_log_likelihood_touches_it_and_peaks_at_the_next_iterate():
    anim = animate_elbo(GeneticLinkage(), 0.05, theta_range=(0.02, 0.9), n_iter=3)
    grid, ell = anim.curves["theta"], anim.curves["log_likelihood"]
    step = grid[1] - grid[0]
    for t, bound in enumerate(anim.curves["bounds"]):
        e, m = anim.frames[2 * t], anim.frames[2 * t + 1]
        assert np.all(bound <= ell + 1e-9)
        near = np.argmin(np.abs(grid - e.params))
        assert ell[near] - bound[near] < 1e-3 * max(1.0, abs(ell[near]))
        assert abs(grid[np.argmax(bound)] - m.params) <= step


def test_the_bound_is_the_exact_elbo_of_the_posterior_up_to_the_models_constant():
    """Rao's data: the ELBO summed over z = 0..125 with scipy, as in the chapter on Jensen."""
    y = np.array([125, 18, 20, 34])
    model = GeneticLinkage(y)
    zs = np.arange(y[0] + 1)
    counts = np.column_stack([y[0] - zs, zs, np.broadcast_to(y[1:], (zs.size, 3))])

    def exact_elbo(theta_t, theta):
        q = stats.binom.pmf(zs, y[0], theta_t / (2 + theta_t))
        p = [0.5, theta / 4, (1 - theta) / 4, (1 - theta) / 4, theta / 4]
        log_joint = stats.multinomial.logpmf(counts, n=y.sum(), p=p)
        return float(np.sum(q * (log_joint - np.log(q))))

    constant = (stats.multinomial.logpmf(y, n=y.sum(), p=model.cell_probabilities(0.3))
                - model.log_likelihood(0.3))
    anim = animate_elbo(model, 0.1, theta_range=(0.05, 0.95), n_iter=2)
    grid = anim.curves["theta"]
    for t, bound in enumerate(anim.curves["bounds"]):
        theta_t = anim.frames[2 * t].params
        for i in (0, 100, 299):
            assert bound[i] + constant == pytest.approx(exact_elbo(theta_t, grid[i]), abs=1e-8)


# ---- how it is shown --------------------------------------------------------------------

@pytest.fixture(scope="module")
def small():
    return animate_mixture(poor_start(), heights(), [0, 1, 5])


def test_the_pdf_strip_is_a_png_of_two_panels_per_row(small):
    from PIL import Image

    png = small._repr_png_()
    assert png.startswith(PNG)
    width, height = Image.open(io.BytesIO(png)).size
    one = Image.open(io.BytesIO(small.strip(1))).size
    assert (width, height) == (2 * one[0], 2 * one[1])    # 3 frames: 2 per row, 2 rows


def test_the_player_embeds_every_frame_as_a_png_and_loads_nothing(small):
    html = small._repr_html_()
    frames = re.findall(r'frames\[\d+\] = "data:image/png;base64,([^"]*)"', html)
    assert len(frames) == len(small) == 3
    assert all(base64.b64decode(f.replace("\\\n", "")).startswith(PNG) for f in frames)
    assert "http" not in html and "<link" not in html and 'class="fa' not in html
    for control in ("Play", "Pause", "Next frame", "Previous frame"):
        assert f'aria-label="{control}"' in html


def test_the_text_form_names_no_number_but_counts(small):
    assert repr(small) == "<EMAnimation: Gaussian mixture EM, 3 frames, iterations 0 to 5>"


def test_nbvals_sanitizer_masks_the_whole_player_and_nothing_around_it(small):
    from nbval.plugin import get_sanitize_patterns

    patterns = get_sanitize_patterns(SANITIZE.read_text())
    text = "before " + small._repr_html_() + " between " + small._repr_html_() + " after"
    for regex, replace in patterns:
        text = re.sub(regex, replace, text)
    mask = "<!-- emcore-animation: frames not compared -->"
    assert text == f"before {mask} between {mask} after"


def test_an_animation_of_hand_made_frames_draws_them():
    calls = []
    anim = EMAnimation([object()] * 2, lambda ax, i: calls.append(i), "test")
    anim.strip(2)
    assert calls == [0, 1]


# ---- bad input ----------------------------------------------------------------------------

@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"estimator": "GaussianMixture"}, TypeError, "estimator must be an emcore.GaussianMixture"),
    ({"estimator": poor_start(n_init=2)}, ValueError, "n_init must be 1"),
    ({"X": np.zeros((10, 3))}, ValueError, "1 or 2 columns"),
    ({"X": np.zeros(10)}, ValueError, "2D array"),
    ({"iterations": [0, 3, 2]}, ValueError, "increasing"),
    ({"iterations": [-1, 2]}, ValueError, "non-negative"),
    ({"iterations": 100}, ValueError, "at most 60"),
    ({"iterations": "ten"}, TypeError, "iterations must be an int"),
    ({"labels": ["a", "b"]}, ValueError, "labels must be 1 string"),
])
def test_animate_mixture_rejects_bad_input_naming_it(kwargs, error, words):
    args = {"estimator": poor_start(), "X": heights(), "iterations": 2} | kwargs
    with pytest.raises(error, match=words):
        animate_mixture(**args)


@pytest.mark.parametrize(("kwargs", "error", "words"), [
    ({"model": object()}, TypeError, "q_function"),
    ({"theta_range": (0.9, 0.1)}, ValueError, "theta_range must be an interval"),
    ({"theta_range": 0.5}, TypeError, "theta_range must be two floats"),
    ({"theta_range": (-0.5, 0.9)}, ValueError, "theta"),
    ({"n_iter": 0}, ValueError, "n_iter"),
    ({"fps": 0}, ValueError, "fps"),
])
def test_animate_elbo_rejects_bad_input_naming_it(kwargs, error, words):
    args = {"model": GeneticLinkage(), "theta0": 0.2, "theta_range": (0.05, 0.9)} | kwargs
    with pytest.raises(error, match=words):
        animate_elbo(**args)


def test_the_elbo_strip_shows_the_first_two_iterations_and_chosen_frames_can_be_asked_for():
    anim = animate_elbo(GeneticLinkage(), 0.05, theta_range=(0.02, 0.9), n_iter=4)
    assert anim.strip_frames == [0, 1, 2, 3]
    assert anim._repr_png_() == anim.strip(frames=[0, 1, 2, 3])
    assert anim.strip(frames=[0, 1, 2, 3]) != anim.strip(4)      # not the spread-out default


@pytest.mark.parametrize("frames", [[], [0, 3], [-1], [0.5], [[0, 1]]])
def test_strip_rejects_frames_that_are_not_indices_of_frames(small, frames):
    with pytest.raises(ValueError, match="frames must be indices"):
        small.strip(frames=frames)


@pytest.mark.parametrize("n_panels", [0, 1.5, True])
def test_strip_rejects_a_panel_count_that_is_not_a_positive_int(small, n_panels):
    with pytest.raises(ValueError, match="n_panels"):
        small.strip(n_panels)


def test_the_player_is_the_same_text_when_made_again_but_its_ids_differ():
    first, second = (animate_mixture(poor_start(), heights(), [0, 1])._repr_html_()
                     for _ in range(2))
    ids = [re.search(r'id="_anim_img(\w+)"', h).group(1) for h in (first, second)]
    assert ids[0] != ids[1]
    assert first.replace(ids[0], "ID") == second.replace(ids[1], "ID")
    assert ids[0][:24] == ids[1][:24]      # the content part; the count makes them unique


def test_with_a_prior_every_frame_holds_the_log_posterior_that_map_em_climbs():
    X = heights()
    anim = animate_mixture(poor_start(prior="default"), X, [0, 3])
    for frame in anim.frames:
        gm = fitted(poor_start(prior="default"), X, frame.iteration)
        assert frame.log_likelihood == pytest.approx(gm.log_posterior_history_[-1], rel=1e-12)
    assert anim.frames[0].log_likelihood != pytest.approx(
        fitted(poor_start(prior="default"), X, 0).log_likelihood_history_[0], rel=1e-6)


def test_the_book_shows_the_player_in_html_and_the_strip_in_the_pdf():
    """myst-nb picks one MIME type of an output per builder (with conf.py's overrides)."""
    import importlib.util

    from myst_nb.core.render import get_mime_priority

    spec = importlib.util.spec_from_file_location("book_conf", SANITIZE.parent.parent / "conf.py")
    conf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(conf)
    overrides = getattr(conf, "nb_mime_priority_overrides", ())
    bundle = {"text/html", "image/png", "text/plain"}     # what an EMAnimation displays
    chosen = {builder: next(m for m in get_mime_priority(builder, overrides) if m in bundle)
              for builder in ("html", "latex")}
    assert chosen == {"html": "text/html", "latex": "image/png"}
