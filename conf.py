"""Sphinx configuration of the book.

The book is built from the executed notebooks (``chapters/*.ipynb``) with
execution off, so it shows exactly the outputs that nbval checks in CI. The
chapters' ``.md`` sources are excluded, so Sphinx sees every chapter once.
"""

import shutil
from pathlib import Path

project = "The EM Algorithm, Executed"
author = "The emcore authors"
copyright = "2026, the emcore authors"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx-mathjax-offline",  # MathJax copied into _build/html: the book reads offline
    "myst_nb",
    "sphinx_external_toc",
    "sphinx_proof",
    "sphinx_exercise",
    "sphinxcontrib.bibtex",
]

external_toc_path = "_toc.yml"
external_toc_exclude_missing = False

_here = Path(__file__).parent
# Sphinx reads each chapter from its executed .ipynb; the .md sources are never
# built (a chapter without its .ipynb fails tests/test_notebooks.py instead).
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
    "CONTRIBUTING.md",
    "benchmarks",
    "emcore",
    "tests",
    "*.egg-info",
    "chapters/*.md",
]

nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "substitution"]
myst_heading_anchors = 3

bibtex_bibfiles = ["references.bib"]
bibtex_default_style = "plain"
bibtex_reference_style = "author_year"

# API reference from emcore's numpydoc docstrings.
autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
napoleon_use_rtype = False
# Docstring types ("array_like of shape (n,)", "numpy.ndarray", ...) are prose for
# readers, not links; only references into emcore itself must resolve.
nitpick_ignore_regex = [("py:class", r"(?!emcore\.).*"), ("py:obj", r"(?!emcore\.).*")]

html_theme = "sphinx_book_theme"
html_sourcelink_suffix = ""  # "download" links give the real .ipynb, not .ipynb.txt
html_title = project
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,
    "use_source_button": False,
}
suppress_warnings = []
nitpicky = True


def _add_md_download(app, pagename, templatename, context, doctree):
    """Offer each chapter's MyST-Markdown source beside its executed .ipynb."""
    if f"{pagename}.md" not in _paired_md:
        return
    url = f"{context['pathto']('_sources', 1)}/{pagename}.md"
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(1, {
                "type": "link", "url": url, "text": ".md", "icon": "fas fa-file-lines",
                "tooltip": "Download the MyST-Markdown source (opens as a notebook with jupytext)",
                "label": "download-md-button",
            })


def _copy_md_sources(app, exc):
    if exc is None and app.builder.format == "html":
        for md in _paired_md:
            target = Path(app.outdir) / "_sources" / md
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(_here / md, target)


def _public_bases(app, name, obj, options, bases):
    """Show a class's public bases: a private helper base (a mixin) is replaced by its own."""
    def private(cls):
        return cls.__module__.startswith("emcore") and any(
            part.startswith("_") for part in cls.__module__.split("."))

    while any(private(b) for b in bases):
        i = next(i for i, b in enumerate(bases) if private(b))
        bases[i:i + 1] = [b for b in bases[i].__bases__ if b not in bases]
    if not bases:
        bases.append(object)


def setup(app):
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("html-page-context", _add_md_download, priority=600)
    app.connect("build-finished", _copy_md_sources)
