"""A Sphinx extension: each page loads every script once.

sphinx-thebe (which Jupyter Book 1 always enables) registers its inline configuration script
``const THEBE_JS_URL = ...`` in a way that reaches the page twice with Sphinx 7.4; the second
copy is a SyntaxError in the browser ("Identifier 'THEBE_JS_URL' has already been declared").
Scripts with the same file (or none), attributes and inline body are kept once, in order.
"""
from __future__ import annotations


def script_key(script) -> tuple:
    """What makes two script tags the same: file, attributes (the inline body among them)."""
    attributes = getattr(script, "attributes", {})
    return (getattr(script, "filename", script) or "", tuple(sorted(attributes.items())))


def keep_each_script_once(app, pagename, templatename, context, doctree) -> None:
    seen, kept = set(), []
    for script in context.get("script_files", []):
        key = script_key(script)
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.connect("html-page-context", keep_each_script_once, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
