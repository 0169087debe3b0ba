"""Sphinx configuration for the rmtdyn documentation.

Build with ``python -m sphinx -W -b html docs docs/_build/html``. Every figure
in the tutorials is produced by running code during the build (matplotlib's
``plot`` directive, and the ``rmtdyn-run`` directive defined below for printed
output), so the pages cannot drift from the library. The build also runs every
``examples/*.py`` in fast mode for the gallery; for quick local rebuilds set
``RMTDYN_DOCS_REUSE_GALLERY=1`` to reuse the last gallery (CI never sets it).
"""

import os
import re as _re
import sys

sys.path.insert(0, os.path.abspath(".."))
os.environ.setdefault("MPLBACKEND", "Agg")
# Small matrices everywhere: single-threaded BLAS avoids thread oversubscription.
for _name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ.setdefault(_name, "1")

project = "rmtdyn"
author = "the rmtdyn developers"
copyright = "2026, the rmtdyn developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "myst_parser",
    "matplotlib.sphinxext.plot_directive",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
master_doc = "index"
exclude_patterns = ["_build"]

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_numpy_docstring = True
napoleon_google_docstring = False

plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 90)]
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\nimport rmtdyn as rd\n"

html_theme = "alabaster"
html_title = "rmtdyn"
suppress_warnings = ["myst.header"]

# --------------------------------------------------------------------------
# Generated pages: the command-line help and the example gallery are produced
# by running the installed code at build time, so they cannot drift.

_HERE = os.path.dirname(os.path.abspath(__file__))
_GENERATED = os.path.join(_HERE, "_generated")
exclude_patterns.append("_generated")


def _write_cli_help(app):
    import argparse

    from rmtdyn.cli.main import build_parser

    parser = build_parser()
    lines = ["```text", parser.format_help().rstrip(), "```", ""]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                lines += [f"## `rmtdyn {name}`", "", "```text", sub.format_help().rstrip(),
                          "```", ""]
    os.makedirs(_GENERATED, exist_ok=True)
    with open(os.path.join(_GENERATED, "cli_help.md"), "w") as fh:
        fh.write("\n".join(lines))


def _run_gallery(app):
    """Run every example in fast mode and write the gallery page that shows them."""
    import ast
    import subprocess

    body = os.path.join(_GENERATED, "gallery_body.md")
    if os.environ.get("RMTDYN_DOCS_REUSE_GALLERY") and os.path.exists(body):
        return  # quick local rebuilds only; CI always reruns the examples

    examples = os.path.join(_HERE, "..", "examples")
    out_dir = os.path.join(_HERE, "_static", "gallery")
    os.makedirs(out_dir, exist_ok=True)
    lines = []
    for name in sorted(os.listdir(examples)):
        if not name.endswith(".py") or name.startswith("_"):
            continue
        path = os.path.join(examples, name)
        with open(path) as fh:
            doc = ast.get_docstring(ast.parse(fh.read())) or ""
        title, _, body = doc.partition("\n")
        png = os.path.join(out_dir, name[:-3] + ".png")
        subprocess.run([sys.executable, path, "--fast", "--out", png], check=True,
                       env={**os.environ, "MPLBACKEND": "Agg"})
        lines += [f"## {title.strip() or name}", "", body.strip(), "",
                  f"```bash\npython examples/{name}\n```", "",
                  f"![{name}](/_static/gallery/{name[:-3]}.png)", ""]
    with open(os.path.join(_GENERATED, "gallery_body.md"), "w") as fh:
        fh.write("\n".join(lines))


def _write_export_table(app):
    """The table of ``rmtdyn._EXPORTS`` (public name -> defining module) for api.md."""
    import rmtdyn

    lines = ["| name | defined in |", "|---|---|"]
    for name in sorted(rmtdyn._EXPORTS, key=str.lower):
        obj = getattr(rmtdyn, name)
        module = getattr(obj, "__module__", None) or rmtdyn._EXPORTS[name]
        target = f"{module}.{getattr(obj, '__qualname__', name)}"
        lines.append(f"| {{py:obj}}`rd.{name} <{target}>` | `{module}` |")
    os.makedirs(_GENERATED, exist_ok=True)
    with open(os.path.join(_GENERATED, "api_exports.md"), "w") as fh:
        fh.write("\n".join(lines) + "\n")


# --------------------------------------------------------------------------
# ``rmtdyn-run``: execute a code block at build time and show its printed
# output (used by the tutorials to print sympy equations and numbers that the
# library actually returns). Blocks of one page share a namespace, in order.
# With the ``:latex:`` flag every printed line is typeset as display math.

_RUN_PRELUDE = "import numpy as np\nimport sympy as sp\nimport rmtdyn as rd\n"


def _make_run_directive():
    import contextlib
    import io

    from docutils import nodes
    from docutils.parsers.rst import directives
    from sphinx.util.docutils import SphinxDirective

    class RunDirective(SphinxDirective):
        has_content = True
        option_spec = {"latex": directives.flag, "hide-code": directives.flag}

        def run(self):
            store = self.env.temp_data.setdefault("rmtdyn_run_namespaces", {})
            namespace = store.get(self.env.docname)
            if namespace is None:
                namespace = {}
                exec(_RUN_PRELUDE, namespace)
                store[self.env.docname] = namespace
            code = "\n".join(self.content)
            buffer = io.StringIO()
            try:
                with contextlib.redirect_stdout(buffer):
                    exec(compile(code, f"<{self.env.docname} rmtdyn-run>", "exec"), namespace)
            except Exception as exc:  # a failing tutorial must fail the build
                raise self.error(f"rmtdyn-run block raised {type(exc).__name__}: {exc}") from exc
            output = buffer.getvalue().rstrip("\n")
            result = []
            if "hide-code" not in self.options:
                block = nodes.literal_block(code, code)
                block["language"] = "python"
                result.append(block)
            if output:
                if "latex" in self.options:
                    for line in output.splitlines():
                        if line.strip():
                            result.append(nodes.math_block(line, line, nowrap=False, number=None))
                else:
                    out = nodes.literal_block(output, output)
                    out["language"] = "text"
                    result.append(out)
            return result

    return RunDirective


# --------------------------------------------------------------------------
# Docstrings are written as plain text with formulas (``l_pm``, ``a*b``,
# ``|v|^2``, indented formula lines). This hook (run after napoleon) makes such
# text safe for reStructuredText without touching the modules:
#
# * outside ``literals`` it escapes ``name_`` (a link target), a lone ``*`` or
#   ``**`` (emphasis) and ``|`` (a substitution); a literal may span lines;
# * an indented block under a plain paragraph (a formula) becomes a literal
#   block, and a blank line is inserted wherever the indentation drops;
# * a section title inside a docstring becomes a rubric; a simple table is
#   shown verbatim.
# Doctest lines, literal blocks, directives and napoleon's fields keep their
# markup.

_LITERAL = _re.compile(r"(``.+?``|:[a-z:]+:`[^`]+`|`[^`]+`_{0,2})")
_TRAILING_UNDERSCORE = _re.compile(r"(?<=[A-Za-z0-9\)\]])_(?!\w)")
_STRONG = _re.compile(r"\*\*[^*\s][^*]*?(?<!\s)\*\*")
_STAR = _re.compile(r"(?<!\\)\*")
_BAR = _re.compile(r"(?<!\\)\|")
_BULLET = _re.compile(r"^(\s*)([*+\-]|\d+[.)]|#\.)(\s+)")
_FIELD = _re.compile(r"^(\s*:[^:`]+:)(.*)$")
_UNDERLINE = _re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")
_TABLE_BORDER = _re.compile(r"^=+( +=+)+\s*$")
_VERBATIM_DIRECTIVE = _re.compile(
    r"^\.\. (math|code|code-block|plot|doctest|testcode|highlight|literalinclude)::")


def _escape_segment(part):
    pieces = _STRONG.split(part)
    strongs = _STRONG.findall(part)
    out = []
    for k, piece in enumerate(pieces):
        piece = _TRAILING_UNDERSCORE.sub(r"\\_", piece)
        piece = _STAR.sub(r"\\*", piece)
        piece = _BAR.sub(r"\\|", piece)
        out.append(piece)
        if k < len(strongs):
            out.append(strongs[k])
    return "".join(out)


def _escape_plain(text, in_literal=False):
    """Escape ``text``; return it and whether a ``literal`` is still open at its end."""
    prefix = ""
    if in_literal:
        close = text.find("``")
        if close < 0:
            return text, True
        prefix, text = text[:close + 2], text[close + 2:]
    parts = _LITERAL.split(text)
    tail_open = False
    for i in range(0, len(parts), 2):
        part = parts[i]
        if i == len(parts) - 1 and part.count("``") % 2 == 1:
            head, _, rest = part.partition("``")
            parts[i] = _escape_segment(head) + "``" + rest
            tail_open = True
        else:
            parts[i] = _escape_segment(part)
    return prefix + "".join(parts), tail_open


def _indent(line):
    return len(line) - len(line.lstrip())


def _is_plain_paragraph(stripped):
    return not (stripped.startswith((":", ".. ", ">>>", "..."))
                or stripped.endswith("::") or _BULLET.match(stripped)
                or _UNDERLINE.match(stripped) or _TABLE_BORDER.match(stripped))


def _sanitize_docstring(app, what, name, obj, options, lines):
    out = []
    verbatim_indent = None      # inside a literal block / verbatim directive
    table_borders = 0           # inside a simple table (shown verbatim)
    in_literal = False
    previous = None             # previous non-blank output line
    for index, line in enumerate(lines):
        stripped = line.strip()
        indent = _indent(line)
        if table_borders:
            out.append("    " + line)
            if _TABLE_BORDER.match(stripped):
                table_borders += 1
                if table_borders == 3:
                    table_borders = 0
                    out.append("")
            continue
        if verbatim_indent is not None:
            if not stripped or indent > verbatim_indent:
                out.append(line)
                continue
            verbatim_indent = None
            if out and out[-1].strip():
                out.append("")
        if not stripped:
            in_literal = False
            out.append(line)
            continue
        if _TABLE_BORDER.match(stripped):
            out += ["", " " * indent + "::", "", "    " + line]
            table_borders = 1
            verbatim_indent = None
            continue
        following = lines[index + 1].strip() if index + 1 < len(lines) else ""
        if (_UNDERLINE.match(following) and _is_plain_paragraph(stripped)
                and len(following) >= min(3, len(stripped))):
            continue  # the title line: emitted with the underline below
        if _UNDERLINE.match(stripped) and index > 0 and lines[index - 1].strip() \
                and _is_plain_paragraph(lines[index - 1].strip()):
            title = lines[index - 1].strip()
            if out and out[-1].strip():
                out.append("")
            out += [" " * _indent(lines[index - 1]) + ".. rubric:: " + _escape_plain(title)[0], ""]
            previous = None
            continue
        if previous is not None and out and out[-1].strip():
            prev_indent = _indent(previous)
            if indent < prev_indent:
                out.append("")   # an unindent must follow a blank line
            elif indent > prev_indent and _is_plain_paragraph(previous.strip()) \
                    and not in_literal:
                out += ["", " " * prev_indent + "::", ""]
                verbatim_indent = prev_indent
                out.append(line)
                previous = line
                continue
        elif previous is not None and indent > _indent(previous) \
                and _is_plain_paragraph(previous.strip()) and out and not out[-1].strip():
            out += [" " * _indent(previous) + "::", ""]
            verbatim_indent = _indent(previous)
            out.append(line)
            previous = line
            continue
        if _VERBATIM_DIRECTIVE.match(stripped):
            verbatim_indent = indent
            out.append(line)
        elif stripped.startswith((">>>", "...", ".. ")):
            out.append(line)
        elif stripped.endswith("::"):
            head, in_literal = _escape_plain(line.rstrip()[:-2], in_literal)
            out.append(head + "::")
            verbatim_indent = indent
            in_literal = False
        else:
            field = _FIELD.match(line)
            bullet = _BULLET.match(line)
            if field:
                body, in_literal = _escape_plain(field.group(2), in_literal)
                out.append(field.group(1) + body)
            elif bullet:
                body, in_literal = _escape_plain(line[bullet.end():], in_literal)
                out.append(line[:bullet.end()] + body)
            else:
                body, in_literal = _escape_plain(line, in_literal)
                out.append(body)
        previous = line
    lines[:] = out


_FIELD_SECTIONS = {"parameters", "other parameters", "keyword arguments", "attributes"}
_PARAM_HEADER = _re.compile(r"^\*{0,2}[A-Za-z_]\w*(\s*,\s*\*{0,2}[A-Za-z_]\w*)*\s*(:.*)?$")


def _close_field_sections(app, what, name, obj, options, lines):
    """Before napoleon: a plain paragraph after a ``Parameters`` list starts a Notes section.

    numpydoc reads every unindented line of a ``Parameters`` section as a parameter, so
    a closing remark (``Returns (values, errors); ...``) would become a list of bogus
    parameters split at its commas.
    """
    index = 0
    while index < len(lines) - 1:
        title, underline = lines[index].strip(), lines[index + 1].strip()
        if title.lower() in _FIELD_SECTIONS and _UNDERLINE.match(underline):
            base = _indent(lines[index])
            j = index + 2
            while j < len(lines):
                line = lines[j]
                if line.strip() and _indent(line) <= base:
                    nxt = lines[j + 1].strip() if j + 1 < len(lines) else ""
                    if _indent(line) < base or _UNDERLINE.match(nxt):
                        break
                    if not _PARAM_HEADER.match(line.strip()):
                        pad = " " * base
                        blank = [""] if lines[j - 1].strip() else []
                        lines[j:j] = blank + [pad + "Notes", pad + "-----"]
                        break
                j += 1
            index = j
        else:
            index += 1


def setup(app):
    app.connect("builder-inited", _write_cli_help)
    app.connect("builder-inited", _run_gallery)
    app.connect("builder-inited", _write_export_table)
    app.connect("autodoc-process-docstring", _close_field_sections, priority=400)
    app.connect("autodoc-process-docstring", _sanitize_docstring, priority=600)
    app.add_directive("rmtdyn-run", _make_run_directive())
