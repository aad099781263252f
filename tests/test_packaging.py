"""The library installs: the wheel holds medcore and the shipped models, nothing else; the
dependencies of pyproject.toml hold the pins of requirements.txt; the registry finds the models
in a checkout and inside an installed package.

The wheel is built with the setuptools already installed (``--no-build-isolation``: no download).
"""
from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "assets" / "models"


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    # built from a copy, so no build/ or egg-info left from an earlier build can leak in
    source = tmp_path_factory.mktemp("source") / "medcore"
    _copy_tree(source)
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "--quiet", "-w", str(out), str(source)],
        capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    (path,) = out.glob("medcore-*.whl")
    with zipfile.ZipFile(path) as archive:
        yield archive


def _copy_tree(target: Path) -> None:
    """The files git would commit (tracked and new, not ignored), copied to ``target``."""
    listing = subprocess.run(["git", "-C", str(ROOT), "ls-files", "-z", "--cached", "--others",
                              "--exclude-standard"], check=True, capture_output=True).stdout
    for name in filter(None, listing.decode().split("\0")):
        source = ROOT / name
        if source.is_file():
            destination = target / name
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(source.read_bytes())


@pytest.mark.slow
def test_wheel_holds_the_library_and_every_shipped_model_only(wheel):
    names = wheel.namelist()
    shipped = sorted(p.name for p in MODELS.iterdir()
                     if p.suffix in (".keras", ".tflite", ".json"))
    assert shipped and sorted(n.rsplit("/", 1)[1] for n in names
                              if n.startswith("medcore/assets/models/")) == shipped
    for name in shipped:   # byte for byte the checkout's copy
        assert wheel.read(f"medcore/assets/models/{name}") == (MODELS / name).read_bytes()
    for name in ("pneumoniamnist_subset.npz", "LICENSE-pneumoniamnist.txt"):   # no data folder
        assert wheel.read(f"medcore/assets/data/{name}") == (ROOT / "assets" / "data" / name
                                                             ).read_bytes()
    modules = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "medcore").rglob("*.py"))
    assert sorted(n for n in names if n.endswith(".py")) == modules
    tops = {n.split("/", 1)[0] for n in names}
    assert tops == {"medcore", "medcore-0.1.0.dist-info"}, tops   # no tests, ui, app_pages, bench
    entry_points = wheel.read("medcore-0.1.0.dist-info/entry_points.txt").decode()
    assert "medcore = medcore.__main__:main" in entry_points


def _requirements(name: str = "requirements.txt") -> dict[str, str]:
    pins = {}
    for line in (ROOT / name).read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (specifier,) = requirement.specifier
            assert specifier.operator == "==", f"{line}: requirements.txt pins with =="
            pins[requirement.name.lower()] = specifier.version
    return pins


def test_dependencies_hold_the_pinned_versions_of_requirements_txt():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    cluster = _requirements("requirements-cluster.txt")     # the optional Ray engine's pins
    assert not set(cluster) & set(_requirements()), "the cluster extra stays out of CI's file"
    pins = {**_requirements(), **cluster}
    declared = [Requirement(r) for r in project["dependencies"]] + [
        Requirement(r) for extra in project["optional-dependencies"].values() for r in extra]
    for requirement in declared:
        name = requirement.name.lower()
        assert name in pins, f"{name} is a dependency but not pinned in requirements.txt"
        assert requirement.specifier.contains(pins[name]), (
            f"requirements.txt pins {name}=={pins[name]}, outside {requirement.specifier}")
    runtime = {Requirement(r).name.lower() for r in project["dependencies"]}
    assert {"streamlit", "playwright", "pytest"}.isdisjoint(runtime)   # not the library's
    assert set(pins) == {r.name.lower() for r in declared}, "a pin no dependency declares"


def test_registry_finds_the_models_in_a_checkout_and_in_an_installed_package(tmp_path):
    from medcore import registry

    assert registry.MODELS_DIR == MODELS
    installed = tmp_path / "site-packages" / "medcore"
    (installed / "assets" / "models").mkdir(parents=True)
    (installed / "registry.py").write_text((ROOT / "medcore" / "registry.py").read_text())
    code = ("import importlib.util, sys; spec = importlib.util.spec_from_file_location("
            f"'r', {str(installed / 'registry.py')!r}); module = importlib.util.module_from_spec("
            "spec); sys.modules['r'] = module; spec.loader.exec_module(module); "   # dataclasses
            "print(module.MODELS_DIR)")
    printed = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    assert Path(printed) == installed / "assets" / "models"
