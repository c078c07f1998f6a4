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
]


@pytest.mark.parametrize("pattern, advice", FORBIDDEN, ids=[a for _, a in FORBIDDEN])
def test_no_page_uses_a_symbol_against_the_notation_table(pattern, advice):
    offenders = [(p.name, m.group(0)) for p in pages() for m in re.finditer(pattern, math_of(p))]
    assert not offenders, f"{advice}: {offenders[:5]}"


@pytest.mark.parametrize("symbol", [r"\pi_k", r"\gamma_{nk}", r"\eta_t", r"\kappa", r"I_{\text{obs}}",
                                    r"U(\theta)", r"S_k", r"$D$", r"$L$", r"$M$", r"DM", r"\alpha",
                                    r"\lambda", r"\xi", r"n_0", r"\psi"])
def test_the_notation_table_defines_each_shared_symbol(symbol):
    assert symbol in notation_table()


def test_the_mixture_weights_are_pi_k_wherever_a_mixture_is_written():
    # every page that writes a mixture density sum_k (weight) N(...) uses \pi_k for the weight
    for page in pages():
        for m in re.finditer(r"\\sum_\{?[kj]\b[^$]{0,20}?([a-z\\]+)_\{?[kj]\}?\s*\\?,?\s*\\mathcal\{?N", math_of(page)):
            assert m.group(1) == r"\pi", f"{page.name}: mixture weight written {m.group(1)}_k"


def test_the_forbidden_patterns_catch_the_old_notation():
    # the patterns above must fire on the notation this test replaced
    old = [r"$w_k = N_k / N$", r"$\gamma_t = 1/t$", r"$\gamma_1(x)$", r"$(t + t_0)^{-\alpha}$",
           r"$I_{obs}$", r"$J(\theta)$", r"$S(\theta)$", r"$O(N d^2 K)$", r"$M_\theta^{-1}$"]
    for text, (pattern, _) in zip(old, FORBIDDEN):
        assert re.search(pattern, "\n".join(MATH.findall(text))), (text, pattern)
