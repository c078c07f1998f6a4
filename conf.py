"""Sphinx configuration of the book.

The book is built from the executed notebooks (``chapters/*.ipynb``) with
execution off, so it shows exactly the outputs that nbval checks in CI. Each
chapter's ``.md`` source is excluded when its ``.ipynb`` exists, so Sphinx
sees every chapter once.
"""

from pathlib import Path

project = "The EM Algorithm, Executed"
author = "The emcore authors"
copyright = "2026, the emcore authors"

extensions = [
    "myst_nb",
    "sphinx_external_toc",
    "sphinx_proof",
    "sphinx_exercise",
    "sphinxcontrib.bibtex",
]

external_toc_path = "_toc.yml"
external_toc_exclude_missing = False

_here = Path(__file__).parent
_paired_md = sorted(
    str(md.relative_to(_here))
    for md in (_here / "chapters").glob("*.md")
    if md.with_suffix(".ipynb").exists()
)
exclude_patterns = [
    "_build",
    ".venv",
    "**.ipynb_checkpoints",
    ".pytest_cache",
    ".hypothesis",
    "README.md",
    "benchmarks",
    "emcore",
    "tests",
    "*.egg-info",
    *_paired_md,
]

nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3

bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

html_theme = "sphinx_book_theme"
html_title = project
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "use_source_button": False,
}
suppress_warnings = []
nitpicky = True
