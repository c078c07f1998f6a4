"""Sphinx configuration of the book.

The book is built from the executed notebooks (``chapters/*.ipynb``) with
execution off, so it shows exactly the outputs that nbval checks in CI. The
chapters' ``.md`` sources are excluded, so Sphinx sees every chapter once.
"""

import shutil
import sys
from pathlib import Path

from docutils import nodes
from sphinx import addnodes

import emcore

sys.path.insert(0, str(Path(__file__).parent))  # tools.execution_report, an extension here

project = "The EM Algorithm, Executed"
author = "The emcore authors"
copyright = "2026, the emcore authors"
# One version for the library and the book (pyproject.toml reads the same attribute):
# shown on the front page ({{ version }}), on the PDF's title page, and in CITATION.cff.
release = version = emcore.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx-mathjax-offline",  # MathJax copied into _build/html: the book reads offline
    "myst_nb",
    "sphinx_external_toc",
    "sphinx_proof",
    "sphinx_exercise",
    "sphinx_togglebutton",  # folds dropdown admonitions and solutions (one click opens)
    "sphinxcontrib.bibtex",
    "tools.execution_report",  # the execution report's tables, from the stored notebooks
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
myst_substitutions = {"version": version}

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
# The theme reads the reader's light/dark choice from localStorage; on a first visit
# (nothing stored) an empty default logs "Got invalid theme mode" to the console.
html_context = {"default_mode": "light"}
# Every page's footer links to the "Changes and errata" page and names the version.
templates_path = ["_templates"]
html_theme_options["footer_content_items"] = [
    "author.html", "copyright.html", "last-updated.html", "extra-footer.html", "errata-footer.html",
]
html_static_path = ["_static"]
html_css_files = ["book.css"]
suppress_warnings = []
nitpicky = True
# Equations, figures and tables numbered per chapter, "(5.3)", as LaTeX numbers them
# in the PDF edition.
numfig = True


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


# ---- The PDF edition (`make pdf`: Sphinx's LaTeX builder, xelatex through latexmk) ----
PDF_NAME = "em-algorithm-executed"
_pdf = _here / "_build" / "pdf" / f"{PDF_NAME}.pdf"  # where `make pdf` leaves the book
if _pdf.is_file():  # the HTML pages then offer it for download
    html_extra_path = [str(_pdf.parent.relative_to(_here))]

latex_engine = "xelatex"  # the chapters are full of Unicode (Δ, ≥, –) that pdflatex rejects
latex_documents = [("index", f"{PDF_NAME}.tex", project, author, "manual", False)]
latex_domain_indices = False  # no index of proof labels; the general index stays
latex_elements = {
    "papersize": "a4paper",
    "pointsize": "10pt",
    # Code and its output wrap at the margin, even inside a long token, never run off it.
    "sphinxsetup": "verbatimforcewraps=true, verbatimmaxunderfull=1, verbatimhintsturnover=false",
    "fvset": r"\fvset{fontsize=\footnotesize}",
    "preamble": r"""
\setcounter{tocdepth}{1}
% Table headers in small type: the execution report's eight narrow columns fit their words.
\renewcommand{\sphinxstyletheadfamily}{\sffamily\small}
% Sphinx names the table of contents after the first toctree's caption ("Chapters").
\addto\captionsenglish{\renewcommand{\contentsname}{Contents}}
% Figures: Sphinx already shrinks them to the text width; also to half the page height.
\makeatletter\AtBeginDocument{\spx@image@maxheight=0.5\textheight}\makeatother
% The index's two columns are narrow: the owner of an entry (a long dotted name) in small type.
\AtBeginDocument{\renewcommand{\sphinxstyleindexextra}[1]{ {\footnotesize(\emph{#1})}}}
""",
}


def _latex_book_structure(app, doctree, docname):
    """Give the PDF the shape of a book.

    In the HTML book the chapters hang from a "Contents" section of the front
    page; LaTeX would make them sections of one chapter. Here the front page's
    text becomes an unnumbered Preface, each chapter of the numbered toctree a
    numbered chapter (so equations, figures and exercises number as in the
    HTML: 5.3), and the back matter unnumbered chapters, ending with the
    bibliography that LaTeX collects from every citation.
    """
    if app.builder.name != "latex" or docname != app.config.root_doc:
        return
    _latex_cross_references(app, doctree)
    root = next(iter(doctree.findall(nodes.section)))
    docs = list(root.findall(addnodes.start_of_file))
    if not docs:
        return
    holders = [s for s in root.children if isinstance(s, nodes.section)
               and any(s.findall(addnodes.start_of_file))]
    preface = nodes.section(ids=["preface"], names=["preface"])
    preface += nodes.title(text="Preface")
    for child in list(root.children[1:]):
        root.remove(child)
        if child not in holders:
            preface += child

    def secnum(depth):
        return nodes.raw("", rf"\setcounter{{secnumdepth}}{{{depth}}}", format="latex")

    root += [secnum(-1), preface]
    # Sphinx moves every citation into one bibliography at the end of the LaTeX
    # document, which makes its own chapter: the HTML page that held them goes.
    bib_pages = {key.docname for key in app.env.get_domain("cite").bibliographies}
    numbered = None
    for sof in docs:
        sof.parent.remove(sof)
        is_numbered = bool(app.env.toc_secnumbers.get(sof["docname"]))
        if not is_numbered and sof["docname"] in bib_pages:  # links to it land there
            doc = sof["docname"]
            ids = [f"{doc}::doc"] + [f"{doc}:{i}" for sec in sof.findall(nodes.section)
                                     for i in sec["ids"]]
            root += nodes.raw("", r"\clearpage\phantomsection" + "".join(
                rf"\label{{\detokenize{{{i}}}}}" for i in ids), format="latex")
            continue
        if is_numbered != numbered:
            root += secnum(2 if is_numbered else -1)
            numbered = is_numbered
        root += sof


def _add_pdf_download(app, pagename, templatename, context, doctree):
    """Offer the whole book as a PDF from every page, once `make pdf` has built it."""
    if not _pdf.is_file():
        return
    for group in context.get("header_buttons", []):
        if group.get("label") == "download-buttons":
            group["buttons"].insert(0, {
                "type": "link", "url": context["pathto"](_pdf.name, 1), "text": "book.pdf",
                "icon": "fas fa-book", "label": "download-book-pdf-button",
                "tooltip": "Download the whole book as a PDF (typeset with LaTeX)",
            })


def _latex_cross_references(app, tree):
    """Cross-references to exercises and proof blocks resolve in LaTeX (no "??").

    sphinx-exercise labels an exercise ``exercise:<label>`` and rewrites only
    references within one document; Sphinx writes the others as ``\\ref`` to a
    label that does not exist.
    """
    registry = getattr(app.env, "sphinx_exercise_registry", {})
    for ref in list(tree.findall(addnodes.number_reference)):
        label = ref.get("refid") or ref.get("refuri", "").rpartition("#")[2]
        if label in registry and type(ref) is addnodes.number_reference:
            ref.replace_self(nodes.raw(
                "", rf"\hyperref[exercise:{label}]{{{ref.astext()}}}", format="latex"))
    # sphinx-proof labels its blocks "None:<label>" when inlined into one LaTeX document,
    # and "Solution to Exercise n" links to "<docname>:<label>": give each block the
    # label that Sphinx's references use.
    labelled = ("sphinx_proof.nodes", "sphinx_exercise.nodes")
    for sof in list(tree.findall(addnodes.start_of_file)):
        for node in list(sof.findall(nodes.Element)):
            if type(node).__module__ in labelled and node.get("label"):
                alias = rf"\phantomsection\label{{\detokenize{{{sof['docname']}:{node['label']}}}}}"
                node.parent.insert(node.parent.index(node), nodes.raw("", alias, format="latex"))


def setup(app):
    app.connect("doctree-resolved", _latex_book_structure)
    app.connect("html-page-context", _add_pdf_download, priority=600)
    app.connect("autodoc-process-bases", _public_bases)
    app.connect("html-page-context", _add_md_download, priority=600)
    app.connect("build-finished", _copy_md_sources)
