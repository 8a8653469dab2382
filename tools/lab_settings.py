"""JupyterLab settings that ``make lab`` installs into the project's environment.

They go to ``<sys.prefix>/share/jupyter/lab/settings/overrides.json`` (JupyterLab's
per-environment defaults, which a user's own settings still override): no "Would you like to
receive official Jupyter news?" pop-up and no update check when the collection opens. The
notebooks name the kernel ``python3``, which in this environment is its own Python (with
genlib), so no kernel dialog appears either. Run: ``python tools/lab_settings.py``.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

OVERRIDES = {
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false",
                                                    "checkForUpdates": False},
}


def overrides_path(prefix: str | Path = sys.prefix) -> Path:
    return Path(prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"


def install(prefix: str | Path = sys.prefix) -> Path:
    """Merge :data:`OVERRIDES` into the environment's ``overrides.json``; returns its path."""
    path = overrides_path(prefix)
    settings = json.loads(path.read_text()) if path.is_file() else {}
    for plugin, values in OVERRIDES.items():
        settings.setdefault(plugin, {}).update(values)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(settings, indent=2) + "\n")
    return path


if __name__ == "__main__":
    print(f"JupyterLab settings written to {install()}")
