"""One-patient input forms built from a records schema (:mod:`medcore.schemas`).

Usage (e.g. on the Diagnosis or Survival page)::

    from medcore.records import example_values
    from medcore.schemas import WDBC
    from ui import forms, state

    card = registry.load_card(spec.name)
    values = forms.schema_form(
        WDBC, defaults=example_values(WDBC),                 # or the last patient's values
        training_ranges=card.input_contract.ranges,          # {name: (low, high)}
        key_prefix="wdbc")                                   # WDBC.groups -> one tab per group
    if values is not None:                                   # only on the submit click
        st.session_state[state.input_key(spec)] = pd.DataFrame([values])

``schema_form`` returns the validated values (``dict`` column -> value, schema order, identifiers
left out) on the run in which the submit button was clicked and ``None`` otherwise, so store the
result in ``st.session_state`` to keep it across reruns. Invalid values show ``st.error`` and
return ``None``; values outside the training range show ``st.warning`` but are returned.
"""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import streamlit as st

from medcore.errors import DataValidationError
from medcore.records import as_range, out_of_range, validate_values
from medcore.schemas import Column, Schema
from ui.common import show_error, show_warning

_MISSING = "unknown"


def _decimals(column: Column, default: Any) -> int:
    """Decimals that show a typical value with about four significant digits."""
    typical = default if isinstance(default, (int, float)) and default else column.example
    if not isinstance(typical, (int, float)) or not typical:
        typical = (column.maximum or 10.0) / 10.0
    return int(min(6, max(1, 3 - math.floor(math.log10(abs(typical))))))


def _help(column: Column, training_ranges: Mapping[str, Sequence[float]] | None) -> str:
    parts = [column.description.capitalize() + "."] if column.description else []
    parts.append(f"CSV column: `{column.name}`.")
    if column.minimum is not None or column.maximum is not None:
        parts.append(f"Plausible range: {column.minimum:g} to {column.maximum:g}"
                     + (f" {column.unit}" if column.unit else "") + ".")
    if training_ranges and column.name in training_ranges:
        low, high = as_range(training_ranges[column.name])
        parts.append(f"The model was trained on {low:g} to {high:g}.")
    if column.allow_missing:
        parts.append("May be left empty if unknown.")
    return " ".join(parts)


def _widget(column: Column, default: Any, help_text: str, key: str, label: str) -> Any:
    """One input for one column, labelled ``label``; returns the widget's value."""
    missing = default is None or (isinstance(default, float) and math.isnan(default))
    if not missing and column.kind in ("float", "int") and not column.levels:
        low = -math.inf if column.minimum is None else column.minimum
        high = math.inf if column.maximum is None else column.maximum
        try:
            missing = not low <= float(default) <= high    # an impossible default starts empty
        except (TypeError, ValueError):
            missing = True
    if column.kind == "category" or column.levels:
        options = list(column.categories or column.levels)
        if column.allow_missing:
            options = [_MISSING] + options
        index = options.index(default) if default in options else 0
        choice = st.selectbox(label, options, index=index, help=help_text, key=key)
        return None if choice == _MISSING else choice
    if column.kind == "binary":
        if column.allow_missing:
            options = [_MISSING, 0, 1]
            index = 0 if missing else options.index(int(default))
            choice = st.selectbox(label, options, index=index, help=help_text, key=key,
                                  format_func=lambda v: {0: "no", 1: "yes"}.get(v, v))
            return None if choice == _MISSING else choice
        return int(st.checkbox(label, value=bool(default) and not missing,
                               help=help_text, key=key))
    if column.kind == "int":
        value = None if missing else int(default)
        return st.number_input(label, min_value=_bound(column.minimum, int),
                               max_value=_bound(column.maximum, int), value=value, step=1,
                               help=help_text, key=key,
                               placeholder="unknown" if column.allow_missing else None)
    decimals = _decimals(column, default)
    return st.number_input(label, min_value=_bound(column.minimum, float),
                           max_value=_bound(column.maximum, float),
                           value=None if missing else float(default), step=10.0 ** -decimals,
                           format=f"%.{decimals}f", help=help_text, key=key,
                           placeholder="unknown" if column.allow_missing else None)


def _bound(value: float | None, kind: type) -> Any:
    return None if value is None else kind(value)


def schema_form(schema: Schema, *, defaults: Mapping[str, Any],
                training_ranges: Mapping[str, Sequence[float]] | None = None,
                key_prefix: str, groups: Mapping[str, Sequence[str]] | None = None,
                columns: int = 3, submit_label: str = "Use these values") -> dict | None:
    """Render an ``st.form`` with one input per feature column of ``schema``.

    Parameters
    ----------
    schema : Schema
        Identifier columns are left out; every other column gets a number input (float / int,
        limited to the plausible range), a selectbox (category, fixed levels, binary that may be
        missing) or a checkbox (binary). Labels are the clinician's titles with the unit
        (:attr:`~medcore.schemas.Column.display_label`, or ``short_label`` inside the schema's
        own groups, whose tab says the rest: "Radius (px)" under "Mean"); help texts give the
        CSV column name, the description, the plausible range and the training range.
    defaults : mapping of column name -> value
        Initial values (e.g. ``medcore.records.example_values(schema)`` or the last patient).
        Columns not in it start at their schema example.
    training_ranges : mapping of column name -> (low, high) or {"min": .., "max": ..}, optional
        From the model card; values outside are flagged with ``st.warning`` after submit.
    key_prefix : str
        Makes every widget key stable and unique: ``f"{key_prefix}_{column}"``.
    groups : mapping of group title -> column names, optional
        Defaults to ``schema.groups``; several groups are shown as tabs.
    columns : int
        Inputs per row.
    submit_label : str

    Returns
    -------
    dict or None
        The validated values (column -> value, schema order) on the run in which the form was
        submitted with valid values; ``None`` otherwise (not submitted, or invalid: the problems
        are shown with ``st.error``).
    """
    features = [c for c in schema.columns if c.kind != "id"]
    own_groups = groups is None
    groups = dict(groups if groups is not None else schema.groups)
    groups = groups or {"": [c.name for c in features]}
    grouped = {name for names in groups.values() for name in names}
    rest = [c.name for c in features if c.name not in grouped]
    if rest:
        groups["Other"] = rest
    values: dict[str, Any] = {}
    with st.form(key=f"{key_prefix}_form"):
        containers = st.tabs(list(groups)) if len(groups) > 1 else [st.container()]
        for container, names in zip(containers, groups.values()):
            with container:
                grid = st.columns(columns)
                for index, name in enumerate(names):
                    column = schema.column(name)
                    default = defaults.get(name, column.example)
                    label = (column.short_label if own_groups and name in grouped
                             else column.display_label)
                    with grid[index % columns]:
                        values[name] = _widget(column, default, _help(column, training_ranges),
                                               key=f"{key_prefix}_{name}", label=label)
        submitted = st.form_submit_button(submit_label, type="primary",
                                          key=f"{key_prefix}_submit")
    if not submitted:
        return None
    try:
        frame = validate_values(values, schema)
    except DataValidationError as exc:
        show_error(exc)
        return None
    for warning in out_of_range(frame, training_ranges or {}):
        show_warning(warning)
    row = frame.iloc[0]
    return {c.name: _plain(row[c.name]) for c in features}


def _plain(value: Any) -> Any:
    """numpy scalars -> Python numbers; NaN -> None."""
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value
