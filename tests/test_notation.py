"""One notation: the front page's table fixes a meaning for every shared symbol, and the
chapters, 'EM at a glance' and the glossary use those symbols (as far as a pattern can tell).

Only the prose and displayed mathematics are checked, not code cells: a code variable
may be called ``w`` or ``alpha`` (scikit-learn's and emcore's argument names), a
formula the reader sees may not.
"""

import re

import pytest

from tools.notebooks import ROOT, chapter_sources

CODE_CELL = re.compile(r"^```\{code-cell\}.*?^```$", re.S | re.M)
MATH = re.compile(r"\$\$.*?\$\$|\$[^$\n]+\$", re.S)


def pages():
    return [*chapter_sources(), ROOT / "index.md", ROOT / "at_a_glance.md", ROOT / "glossary.md"]


def math_of(path) -> str:
    """The mathematics ($...$ and $$...$$) of a page's prose, code cells removed."""
    prose = CODE_CELL.sub("", path.read_text())
    return "\n".join(MATH.findall(prose))


def notation_table() -> str:
    text = (ROOT / "index.md").read_text()
    return text.split("## Notation", 1)[1].split("\n## ", 1)[0]


# (pattern that must not appear in any page's mathematics, what to write instead)
FORBIDDEN = [
    (r"(?<![A-Za-z\\])w_\{?[kj]\b", r"mixture weights are \pi_k, not w_k"),
    (r"\\gamma_\{?t\b", r"step sizes are \eta_t; \gamma is only a responsibility"),
    (r"\\gamma_\{?(?!n)[a-z0-9]", r"\gamma is only the responsibility \gamma_{nk}"),
    (r"\^\{-\\alpha\}", r"the step-size exponent is \kappa; \alpha is a gamma shape or Dirichlet"),
    (r"I_\{(obs|com|mis)\}", r"informations are I_{\text{obs}}, I_{\text{com}}, I_{\text{mis}}"),
    (r"(?<![A-Za-z\\])J\(", r"the observed information is I_{\text{obs}}, not J"),
    (r"(?<![A-Za-z\\])S\(\\", r"the score is U(\theta); S_k is a scatter"),
    (r"(?<![A-Za-z\\{])d\^[23]|(?<![A-Za-z\\])d = \d", r"the dimension is D, not d"),
    (r"M_\\theta|I_M\b|U_M\b", r"M is the EM map; the latent dimension is L"),
    # a standardised bound is not alpha (a gamma shape or a Dirichlet concentration)
    (r"\\alpha\s*=\s*\(c|\\(varphi|Phi)\(\\alpha\)|\\int_\\alpha",
     r"\alpha is a gamma shape or a Dirichlet concentration; "
     r"write the standardised bound a = (c - \mu)/\sigma"),
    # the inverse Mills ratio is not lambda (an eigenvalue)
    (r"\\lambda\s*=\s*\\varphi|\\sigma\s*\\lambda|\)\s*\\lambda\b",
     r"\lambda is an eigenvalue; the inverse Mills ratio is h"),
    # a precision matrix is not Lambda (a diagonal matrix of eigenvalues)
    (r"\\Sigma\^\{-1\}\s*=\s*\\Lambda|\\Lambda_\{?(mm|mo|om|oo)\b",
     r"\Lambda is a diagonal matrix of eigenvalues; a precision matrix is \Omega"),
    # the conjugate prior's degrees of freedom and scale carry the subscript 0 (\nu alone is a t's)
    (r"\\mathrm\{I[GW]\}\(\\nu(?!_0)|\\nu(?!_0)\s*\+\s*(2|3|D \+ 1)\b"
     r"|\\xi(?!_0)\s*[/+)]|[(+]\s*\\xi(?!_0)",
     r"the prior is IG(\nu_0/2, \xi_0/2), IW(\nu_0, \Xi_0); "
     r"\nu alone is a Student t's degrees of freedom"),
    # the steps of a hidden Markov model are n = 1, ..., N; t counts EM iterations
    (r"(?<![A-Za-z\\])[xz]_\{?t\}?(?![A-Za-z0-9])|(?<![A-Za-z\\])z_\{?T\}?(?![A-Za-z0-9])",
     r"hidden Markov steps are x_n, z_n, n = 1..N; t is the EM iteration"),
    # the distributed sufficient statistics are s (s_{k0}, s_{k1}, s_{k2}); S_k is the
    # weighted scatter
    (r"^\$S\$$", r"the sums are s_{k0}, s_{k1}, s_{k2}; S (always S_k) is the weighted scatter"),
]


@pytest.mark.parametrize("pattern, advice", FORBIDDEN, ids=[a for _, a in FORBIDDEN])
def test_no_page_uses_a_symbol_against_the_notation_table(pattern, advice):
    offenders = [(p.name, m.group(0)) for p in pages()
                 for m in re.finditer(pattern, math_of(p), re.M)]
    assert not offenders, f"{advice}: {offenders[:5]}"


SYMPY_NAMES = re.compile(r"""sp\.symbols?\(\s*["']([^"']+)["']|sp\.Symbol\(\s*["']([^"']+)["']""")
# sympy symbol names a check cell may not give a quantity of another meaning: the name is
# what sympy prints, so it is notation the reader sees (the prose checks above skip code)
FORBIDDEN_SYMPY_NAMES = {"psi": "psi is the digamma function; the prior scale is xi_0"}


def sympy_names(path) -> list[str]:
    names = []
    for cell in CODE_CELL.findall(path.read_text()):
        for m in SYMPY_NAMES.finditer(cell):
            names += re.split(r"[\s,]+", (m.group(1) or m.group(2)).strip())
    return names


def test_no_check_cell_names_a_sympy_symbol_against_the_notation_table():
    offenders = [(p.name, n, FORBIDDEN_SYMPY_NAMES[n]) for p in pages() for n in sympy_names(p)
                 if n in FORBIDDEN_SYMPY_NAMES]
    assert not offenders, offenders


@pytest.mark.parametrize("symbol", [r"\pi_k", r"\gamma_{nk}", r"\eta_t", r"\kappa",
                                    r"I_{\text{obs}}", r"U(\theta)", r"S_k", r"$D$", r"$L$", r"$M$",
                                    r"DM", r"\alpha", r"\lambda", r"\xi_0", r"\nu_0", r"n_0",
                                    r"\psi", r"\Omega", r"$\nu$"])
def test_the_notation_table_defines_each_shared_symbol(symbol):
    assert symbol in notation_table()


def test_the_mixture_weights_are_pi_k_wherever_a_mixture_is_written():
    # every page that writes a mixture density sum_k (weight) N(...) uses \pi_k for the weight
    for page in pages():
        for m in re.finditer(r"\\sum_\{?[kj]\b[^$]{0,20}?([a-z\\]+)_\{?[kj]\}?"
                             r"\s*\\?,?\s*\\mathcal\{?N", math_of(page)):
            assert m.group(1) == r"\pi", f"{page.name}: mixture weight written {m.group(1)}_k"


def test_the_forbidden_patterns_catch_the_old_notation():
    # the patterns above must fire on the notation this test replaced
    old = [r"$w_k = N_k / N$", r"$\gamma_t = 1/t$", r"$\gamma_1(x)$", r"$(t + t_0)^{-\alpha}$",
           r"$I_{obs}$", r"$J(\theta)$", r"$S(\theta)$", r"$O(N d^2 K)$", r"$M_\theta^{-1}$",
           # issue 32, items 11, 12 and 14: what chapters 8-11 and the glossary wrote
           r"$\alpha = (c - \mu)/\sigma$ and $\lambda = \varphi(\alpha)/(1 - \Phi(\alpha))$",
           r"$\mathbb{E}[y \mid y > c] = \mu + \sigma\lambda$",
           r"$\Sigma^{-1} = \Lambda$; covariance $\Lambda_{mm}^{-1}$",
           r"$\sigma_k^2 \sim \mathrm{IG}(\nu/2, \xi/2)$ and floor $\xi/(N + \nu + 3)$",
           r"hidden states $z_1, \dots, z_T$ and observation $x_t$ depends on $z_t$",
           r"its sums written as $S$: $\sum_n \gamma_{nk} x_n = s_{k1}$"]
    assert len(old) == len(FORBIDDEN)
    for text, (pattern, _) in zip(old, FORBIDDEN):
        assert re.search(pattern, "\n".join(MATH.findall(text)), re.M), (text, pattern)


def test_the_sympy_name_check_catches_the_old_prior_scale():
    # issue 32, item 11: chapter 8's check cell called the prior scale psi
    cell = '```{code-cell} ipython3\nmu, nu, psi = sp.symbols("mu nu psi", positive=True)\n```'
    names = [n for m in SYMPY_NAMES.finditer(CODE_CELL.findall(cell)[0])
             for n in re.split(r"[\s,]+", (m.group(1) or m.group(2)).strip())]
    assert set(names) & set(FORBIDDEN_SYMPY_NAMES) == {"psi"}


# -- the API reference: the docstrings reference.md renders ------------------------------------

AUTODOC = re.compile(r"^\.\. auto(?:class|function|module|method|data)::\s+(\S+)"
                     r"(?:\n   :members: ([^\n]+))?", re.M)
DOC_MATH = re.compile(r":math:`([^`]+)`|^\s*\.\. math::\n((?:\s*\n|[ \t]+\S[^\n]*\n)+)", re.M)
# plain-text forms a docstring may use outside :math: for the same quantities
DOCSTRING_FORBIDDEN = [
    (r"\bgamma_t\b(?!\()", r"step sizes are eta_t (gamma is only a responsibility)"),
    (r"\^\s*\(-\s*(alpha|learning_decay)\)", r"the step-size exponent is kappa"),
]


def _resolve(name):
    import importlib

    parts = name.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        for attr in parts[i:]:
            obj = getattr(obj, attr)
        return obj
    raise ImportError(name)


def reference_docstrings() -> str:
    """The docstrings of every object and listed member the API reference renders."""
    import inspect

    docs = []
    for name, members in AUTODOC.findall((ROOT / "reference.md").read_text()):
        obj = _resolve(name)
        docs.append(inspect.getdoc(obj) or "")
        for member in (m.strip() for m in members.split(",") if m.strip()):
            docs.append(inspect.getdoc(getattr(obj, member)) or "")
    return "\n".join(docs)


def test_the_reference_is_read_and_its_mathematics_found():
    docs = reference_docstrings()
    assert "run_em" in docs and "GaussianMixture" in docs
    assert len(DOC_MATH.findall(docs)) > 10


# The book's patterns that apply to docstrings too: not the hidden Markov steps' (a docstring
# writes a sequence of EM iterates x_t, as aitken's does, with t the iteration as in the table)
# nor chapter 9's bare S (PPCA's sample covariance is S, as in Bishop).
DOCSTRING_PATTERNS = [(p, a) for p, a in FORBIDDEN
                      if "hidden Markov" not in a and "S (always" not in a]


@pytest.mark.parametrize("pattern, advice", DOCSTRING_PATTERNS,
                         ids=[a for _, a in DOCSTRING_PATTERNS])
def test_no_reference_docstring_uses_a_symbol_against_the_notation_table(pattern, advice):
    maths = "\n".join("$" + (a or b).strip() + "$"
                      for a, b in DOC_MATH.findall(reference_docstrings()))
    offenders = [m.group(0) for m in re.finditer(pattern, maths, re.M)]
    assert not offenders, f"{advice}: {offenders[:5]}"


@pytest.mark.parametrize("pattern, advice", DOCSTRING_FORBIDDEN,
                         ids=[a for _, a in DOCSTRING_FORBIDDEN])
def test_no_reference_docstring_writes_a_step_size_against_the_notation_table(pattern, advice):
    offenders = re.findall(pattern, reference_docstrings())
    assert not offenders, advice


def test_the_docstring_patterns_catch_the_old_online_em_notation():
    old = "``alpha`` of :meth:`partial_fit`'s steps ``gamma_t = (t + t0)^(-alpha)``"
    for pattern, _ in DOCSTRING_FORBIDDEN:
        assert re.search(pattern, old), pattern
