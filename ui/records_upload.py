"""The Upload page's records half: schema picker, template download, CSV upload, table + summary.

``render()`` keeps the last good records per schema in
``st.session_state[ui.state.RECORDS][schema_name]`` (a validated ``DataFrame``, see
:func:`medcore.records.load_records`); a bad file shows ``st.error`` and leaves them in place.
Uploaded bytes stay in memory (never written to disk) and nothing about them is logged.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from medcore import registry
from medcore.errors import MedcoreError
from medcore.records import load_records, out_of_range, summarise, template_csv
from medcore.schemas import SCHEMAS, Schema
from ui import state
from ui.common import show_error

#: Which model reads records of which schema (for the training-range warnings).
SCHEMA_MODELS = {"wdbc": "breast_cancer_fnn", "rotterdam": "breast_cancer_deepsurv",
                 "pbc_visits": "pbc_rnn"}


@st.cache_data(show_spinner=False, max_entries=16)
def _load(data: bytes, schema_name: str) -> pd.DataFrame:
    """Validated records, cached on the upload's bytes and the schema name."""
    return load_records(data, schema_name)


def _training_ranges(schema_name: str) -> dict:
    model = SCHEMA_MODELS.get(schema_name)
    if not model or not registry.is_available(model):
        return {}
    try:
        card = registry.load_card(model)
    except MedcoreError:
        return {}
    ranges = (card.get("input_contract") or {}).get("training_ranges") or {}
    return ranges if isinstance(ranges, dict) else {}


def _columns_table(schema: Schema) -> pd.DataFrame:
    def limits(c):
        if c.categories:
            return " / ".join(c.categories) + (" (or mm)" if c.bins else "")
        if c.levels:
            return " / ".join(f"{v:g}" for v in c.levels)
        if c.kind == "binary":
            return "0 / 1"
        if c.minimum is None and c.maximum is None:
            return ""
        return f"{c.minimum:g} to {c.maximum:g}"
    return pd.DataFrame([{"CSV header": c.name, "meaning": c.title, "unit": c.unit, "kind": c.kind,
                          "allowed": limits(c), "required": "yes" if c.required else "no",
                          "empty allowed": "yes" if c.allow_missing else "no",
                          "description": c.description} for c in schema.columns])


def _show_records(frame: pd.DataFrame, schema: Schema) -> None:
    name = frame.attrs.get("file_name", "the uploaded file")
    st.success(f"{len(frame)} record{'s' if len(frame) != 1 else ''} from {name}, checked "
               f"against the '{schema.name}' schema.", icon=":material/check_circle:")
    for note in frame.attrs.get("notes", []):
        st.caption(note.capitalize() + ".")
    warnings = out_of_range(frame, _training_ranges(schema.name))
    if warnings:
        st.warning(f"Values outside the training data of `{SCHEMA_MODELS[schema.name]}` "
                   "(accepted, but its predictions for these rows deserve extra caution):\n"
                   + "\n".join(f"- {w}" for w in warnings), icon=":material/warning:")
    shown = frame.rename(columns=schema.display_labels)    # the file's headers: in the summary
    rows = frame.attrs.get("rows")
    if rows is not None and len(rows) == len(frame):
        shown.index = pd.Index(rows, name="row")
    st.dataframe(shown, key=f"records_table_{schema.name}")
    st.markdown("**Per-column summary**")
    summary = summarise(frame, schema)
    for statistic in ("min", "median", "max"):                 # 4 significant digits on screen
        summary[statistic] = summary[statistic].map(lambda v: float(f"{v:.4g}"))
    small = st.column_config.Column(width="small")
    st.dataframe(summary, hide_index=True, key=f"records_summary_{schema.name}",
                 height=35 * (len(summary) + 1) + 3,              # every column, no scrolling
                 column_config={"column": st.column_config.TextColumn(width="medium"),
                                "header": st.column_config.TextColumn("CSV header",
                                                                      width="small"),
                                "kind": small, "count": small, "missing": small,
                                "min": small, "median": small, "max": small,
                                "values": st.column_config.TextColumn(width="medium")},
                 column_order=["column", "header", "kind", "count", "missing", "min", "median",
                               "max", "values"])


def render() -> None:
    """Render the records half of the Upload page."""
    st.subheader("Patient records")
    schema_name = st.selectbox("Records schema", list(SCHEMAS), key="records_schema",
                               format_func=lambda n: f"{SCHEMAS[n].title} ({n})")
    schema = SCHEMAS[schema_name]
    st.caption(schema.description)
    with st.expander(f"Columns of the '{schema_name}' schema"):
        st.dataframe(_columns_table(schema), hide_index=True, key="records_columns")
        example = schema.column(schema.feature_names[0])
        st.caption("The file's header row holds the CSV headers (as in the template); a "
                   f"header may also be the meaning, e.g. '{example.title}' for "
                   f"'{example.name}'. Rows are "
                   "numbered as in a spreadsheet (the header is row 1). Columns not in the schema "
                   "are ignored; identifiers absent from the file are filled with the row number.")
    st.download_button("Download the template CSV", data=template_csv(schema),
                       file_name=f"{schema_name}_template.csv", mime="text/csv",
                       key="records_template", icon=":material/download:")
    upload = st.file_uploader("Records CSV (comma, semicolon or tab separated)",
                              type=["csv", "tsv", "txt"], key="records_file")
    kept = st.session_state.setdefault(state.RECORDS, {})
    if upload is not None:
        try:
            with st.spinner("Checking the records..."):
                frame = _load(upload.getvalue(), schema_name)
        except MedcoreError as exc:
            show_error(exc)
            if schema_name in kept:
                st.caption("Below: the last good records for this schema, still in use.")
        else:
            frame.attrs["file_name"] = upload.name
            kept[schema_name] = frame
    if schema_name in kept:
        _show_records(kept[schema_name], schema)
    elif upload is None:
        st.info("No records for this schema yet: download the template, fill it in (one row "
                "per patient" + (" visit" if "day" in schema.column_names else "")
                + "), and upload it.")
