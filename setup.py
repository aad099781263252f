"""Packages of the wheel, beside pyproject.toml (which holds the metadata and dependencies).

The wheel holds the ``medcore`` library, the shipped models and the small PneumoniaMNIST subset
(``assets/data``, carried as ``medcore/assets/data``). The models stay in one place in
the repository, ``assets/models/`` at its root; the wheel carries them as ``medcore/assets/models``
(``package_dir`` maps that package to the root folder), where :data:`medcore.registry.MODELS_DIR`
finds them once installed. Nothing else goes in: not ``tests/``, ``ui/``, ``app_pages/``, ``bench/``
or ``dashboard.py`` (the dashboard runs from a checkout).
"""
from setuptools import find_packages, setup

MODELS_PACKAGE = "medcore.assets.models"
#: The PneumoniaMNIST subset the dashboard uses without the data folder, with its licence.
DATA_PACKAGE = "medcore.assets.data"

setup(
    packages=find_packages(include=["medcore", "medcore.*"]) + [MODELS_PACKAGE, DATA_PACKAGE],
    package_dir={MODELS_PACKAGE: "assets/models", DATA_PACKAGE: "assets/data"},
    package_data={MODELS_PACKAGE: ["*.keras", "*.tflite", "*.json"],
                  DATA_PACKAGE: ["*.npz", "*.txt"]},
)
