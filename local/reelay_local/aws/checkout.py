"""Which Reelay checkout the emulator deploys: template.yaml and functions/ are read from it, not installed.

With an editable install (what `make` does) that is the tree this package lives in. A normal
`pip install '.[local]'` copies only the packages into site-packages, so there the checkout
is the directory `reelay up` or `reelay demo` runs in.
"""

from __future__ import annotations

from pathlib import Path


def checkout_root(package_file: Path | None = None, cwd: Path | None = None) -> Path:
    """The package's own source tree if it is a checkout, else the current directory."""
    source_tree = Path(package_file or __file__).resolve().parents[3]
    for candidate in (source_tree, cwd or Path.cwd()):
        if (candidate / "template.yaml").is_file() and (candidate / "functions").is_dir():
            return candidate
    # Neither: the current directory, so the missing template.yaml is reported where the user is.
    return cwd or Path.cwd()
