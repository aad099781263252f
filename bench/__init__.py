"""Tooling around the product, outside the ``medcore`` package: the browser harness used by the
browser tests and the browser figures (see ``bench/README.md``). Run from the repository root."""
