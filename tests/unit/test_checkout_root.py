"""The emulator deploys the checkout's template.yaml and functions/, however the local extra was installed."""

from __future__ import annotations

from pathlib import Path

from reelay_local.aws.checkout import checkout_root

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_FILE = ("reelay_local", "aws", "checkout.py")


def _checkout(root: Path) -> Path:
    (root / "functions").mkdir(parents=True)
    (root / "template.yaml").write_text("Resources: {}\n")
    return root


def test_an_editable_install_uses_the_tree_it_lives_in_wherever_it_runs(tmp_path: Path):
    source = _checkout(tmp_path / "reelay")
    elsewhere = _checkout(tmp_path / "another-checkout")
    package_file = source.joinpath("local", *PACKAGE_FILE)

    assert checkout_root(package_file, cwd=elsewhere) == source


def test_a_normal_install_uses_the_checkout_it_runs_in(tmp_path: Path):
    site_packages = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    checkout = _checkout(tmp_path / "reelay")

    assert checkout_root(site_packages.joinpath(*PACKAGE_FILE), cwd=checkout) == checkout


def test_outside_any_checkout_the_missing_template_is_looked_for_where_the_user_is(tmp_path: Path):
    site_packages = tmp_path / "venv" / "lib" / "python3.11" / "site-packages"
    assert checkout_root(site_packages.joinpath(*PACKAGE_FILE), cwd=tmp_path) == tmp_path


def test_this_repository_is_the_checkout_of_the_tests_install():
    assert checkout_root() == REPO_ROOT
