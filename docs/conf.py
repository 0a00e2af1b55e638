"""Sphinx configuration for the skdigitnet documentation."""

import importlib
import os
import pkgutil

from sphinx.pycode import ModuleAnalyzer

import skdigitnet

project = "skdigitnet"
author = "the skdigitnet developers"
copyright = "the skdigitnet developers"
release = skdigitnet.__version__
version = ".".join(release.split(".")[:2])

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    # MathJax from the built site itself, so that equations render offline.
    "sphinx-mathjax-offline",
    "sphinx.ext.viewcode",
    "sphinxarg.ext",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
default_role = "literal"
# Text is printed as typed: "--eta" stays two hyphens and quotes stay
# straight, so that whatever a reader copies from a page can be pasted.
smartquotes = False

# -- API pages ---------------------------------------------------------------
# The API reference is generated from each public module's ``__all__``, so
# that a name added there appears in the docs without editing them.
autosummary_generate = True
autosummary_ignore_module_all = False


def _module_all(package):
    """Map the package and each public module under it to its ``__all__``."""
    names = {package.__name__: list(getattr(package, "__all__", []))}
    for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if any(part.startswith("_") for part in info.name.split(".")):
            continue
        module = importlib.import_module(info.name)
        names[info.name] = list(getattr(module, "__all__", []))
    return names


# Autosummary finds module-level data only where that module documents it;
# the templates list the rest of ``__all__`` from here.
autosummary_context = {"module_all": _module_all(skdigitnet)}


def _reexported_data_doc(app, what, name, obj, options, lines):
    """Give data re-exported by the package the ``#:`` comment where defined.

    Autodoc reads such comments only in the module it documents; without one
    it shows the docstring of the value's type (``list``), which is dropped.
    """
    if what != "data" or not name.startswith("skdigitnet."):
        return
    attr = ("", name.rsplit(".", 1)[1])
    for info in pkgutil.walk_packages(skdigitnet.__path__, "skdigitnet."):
        comment = ModuleAnalyzer.for_module(info.name).find_attr_docs().get(attr)
        if comment:
            lines[:] = list(comment)
            return
    if type(obj).__doc__ and "\n".join(lines).strip() == type(obj).__doc__.strip():
        lines[:] = []


def _inherited_from_sklearn(app, what, name, obj, options, lines):
    """Replace the docstring of a method inherited from scikit-learn by a link.

    Those docstrings refer to labels and glossary terms of scikit-learn's own
    documentation, which do not exist here.
    """
    module = getattr(obj, "__module__", None) or ""
    if what != "method" or not module.startswith("sklearn."):
        return
    method = name.rsplit(".", 1)[1]
    owner = next(
        (
            f"{cls.__module__}.{cls.__qualname__}"
            for cls in skdigitnet.SigmoidMLPClassifier.__mro__
            if method in vars(cls)
        ),
        "sklearn.base.BaseEstimator",
    )
    public = {
        "sklearn.base.BaseEstimator": "sklearn.base.BaseEstimator",
        "sklearn.base.ClassifierMixin": "sklearn.base.ClassifierMixin",
    }.get(owner)
    where = f":class:`{public}`" if public else "scikit-learn"
    lines[:] = [
        f"Inherited from {where}; see scikit-learn's documentation of ``{method}``.",
    ]


def setup(app):
    app.connect("autodoc-process-docstring", _reexported_data_doc)
    app.connect("autodoc-process-docstring", _inherited_from_sklearn)


autodoc_typehints = "none"
# The page's table of contents names methods as "fit()", not with the class
# name in front, which the right column would cut.
toc_object_entries_show_parents = "hide"
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = True
# numpydoc's defaults link "bool" and "array-like" with :ref: and :term:, which
# warn when the inventories are unreachable; object links degrade to text.
numpydoc_xref_aliases = {
    # Builtins by their bare names: linked where Python's inventory is loaded,
    # plain "float" (not "python:float") where it is not.
    "None": "None",
    "True": "True",
    "False": "False",
    "int": "int",
    "float": "float",
    "str": "str",
    "string": "str",
    "list": "list",
    "tuple": "tuple",
    "dict": "dict",
    "callable": "callable",
    "iterable": "collections.abc.Iterable",
    "sequence": "collections.abc.Sequence",
    "scalar": "numpy.generic",
    "bool": "bool",
    "boolean": "bool",
    "array-like": "numpy.typing.ArrayLike",
    "array_like": "numpy.typing.ArrayLike",
    "ndarray": "numpy.ndarray",
    "dtype": "numpy.dtype",
    "RandomState": "numpy.random.RandomState",
    "Bunch": "sklearn.utils.Bunch",
    "estimator": "sklearn.base.BaseEstimator",
}
numpydoc_xref_ignore = {
    "of",
    "or",
    "shape",
    "default",
    "optional",
    "instance",
    "sparse",
    "matrix",
    "array-like",
    "n_samples",
    "n_features",
    "n_classes",
    "n_labels",
    "n_in",
    "n_out",
    "n_layers",
    "hidden_layer_sizes",
    "layer",
}

# -- Links to Python, NumPy and scikit-learn ---------------------------------
# Without network access the inventories cannot be fetched, and the build
# warns once per inventory. SKDIGITNET_DOCS_OFFLINE=1 (as in CI and
# ``make html-offline``) leaves the mapping out: those names then render as
# plain text and the build has nothing to warn about.
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "scipy": ("https://docs.scipy.org/doc/scipy", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "matplotlib": ("https://matplotlib.org/stable", None),
}
intersphinx_timeout = 5
if os.environ.get("SKDIGITNET_DOCS_OFFLINE", "") not in ("", "0"):
    intersphinx_mapping = {}

# -- Gallery -----------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": "../examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "doc_module": ("skdigitnet",),
    "backreferences_dir": os.path.join("generated", "backreferences"),
    "within_subsection_order": "FileNameSortKey",
    "write_computation_times": False,
    "remove_config_comments": True,
    "plot_gallery": "True",
}

# -- HTML --------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"skdigitnet {release}"
html_static_path = ["_static"]
# Wide equations and tables scroll inside the text column.
html_css_files = ["skdigitnet.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
}
# The left column lists a page's subpages; pages without any leave it out
# (their sections are in the right column), which widens the text.
html_sidebars = {
    page: []
    for page in (
        "index",
        "quick_start",
        "user_guide",
        "choosing_settings",
        "comparison",
        "deploying",
        "cli",
        "implementation",
        "changelog",
        "auto_examples/plot_*",
    )
}
