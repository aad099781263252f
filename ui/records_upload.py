"""The Upload page's records half: schema picker, template, CSV or Excel upload, table + summary.

``render()`` keeps the last good records per schema in
``st.session_state[ui.state.RECORDS][schema_name]`` (a validated ``DataFrame``, see
:func:`medcore.records.read_records`). A file without problems replaces them. A file whose rows
are partly bad lists every problem (row, column, what was found, what is expected) and offers
to continue with the good rows; nothing is dropped silently. A file no row of which is usable
shows ``st.error`` and leaves the earlier records in place. An .xlsx with several sheets gets a
sheet picker. Uploaded bytes stay in memory (never written to disk) and nothing about them is
logged; names and cells from the file are escaped before they reach Markdown.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from medcore import registry
from medcore.errors import MedcoreError
from medcore.records import (MAX_BYTES, RecordsResult, check_file_size, out_of_range,
                             read_records, records_sheet, safe_csv, sheet_names, summarise,
                             template_csv)
from medcore.safe_text import escape_markdown, markdown_message
from medcore.schemas import SCHEMAS, Schema
from ui import audit_trail, state
from ui.common import show_error, show_warning, upload_table

#: Private session key: (file id, schema, sheet) of the partly bad upload the user chose to
#: continue with, so its good rows stay in use across reruns.
_ACCEPTED = "_records_accepted"


@st.cache_data(show_spinner=False, max_entries=16)
def _sheets(data: bytes, schema_name: str) -> tuple[tuple[str, ...], str | None]:
    """The worksheets of an .xlsx upload (() for a CSV) and the one most likely to hold the
    schema's records (cached on the bytes and the schema)."""
    return sheet_names(data), records_sheet(data, schema_name)


@st.cache_data(show_spinner=False, max_entries=16)
def _read(data: bytes, schema_name: str, sheet: str | None) -> RecordsResult:
    """Checked records, cached on the upload's bytes, the schema name and the sheet."""
    return read_records(data, schema_name, sheet=sheet)


def _training_ranges(schema_name: str) -> dict[str, tuple[float, float]]:
    """The training ranges of the model that reads records of this schema ({} when none is
    built)."""
    spec = registry.spec_for_schema(schema_name)
    if spec is None or not registry.is_available(spec.name):
        return {}
    try:
        return registry.load_card(spec.name).input_contract.ranges
    except MedcoreError:
        return {}


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
    st.success(f"{len(frame)} record{'s' if len(frame) != 1 else ''} from "
               f"{escape_markdown(name)}, checked against the '{schema.name}' schema.",
               icon=":material/check_circle:")
    for note in frame.attrs.get("notes", []):
        st.caption(markdown_message(note[:1].upper() + note[1:] + "."))
    warnings = out_of_range(frame, _training_ranges(schema.name))
    if warnings:
        show_warning(f"Values outside the training data of "
                     f"{registry.spec_for_schema(schema.name).name} "
                     "(accepted, but its predictions for these rows deserve extra caution):\n"
                     + "\n".join(f"- {w}" for w in warnings))
    shown = frame.rename(columns=schema.display_labels)    # the file's headers: in the summary
    rows = frame.attrs.get("rows")
    if rows is not None and len(rows) == len(frame):
        shown.index = pd.Index(rows, name="row")
    upload_table(shown, key=f"records_table_{schema.name}")
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


def _problems_table(result: RecordsResult) -> pd.DataFrame:
    return pd.DataFrame([{"row": p.row, "column": p.column or "(whole row)", "found": p.found,
                          "expected": p.expected} for p in result.problems])


def _partly_bad(result: RecordsResult, upload, schema: Schema, sheet: str | None,
                kept: dict) -> None:
    """Some rows good, some not: list the others; offer to continue with the good ones."""
    good, bad = len(result.valid), len(result.rejected)
    name = escape_markdown(upload.name)
    st.warning(f"{bad} of {result.n_records} records in {name} have problems and are listed "
               f"below; the other {good} passed every check. Correct the file and upload it "
               "again, or continue with the good records.", icon=":material/warning:")
    upload_table(_problems_table(result), hide_index=True, key="records_problems",
                 column_config={"row": st.column_config.NumberColumn("Row", width="small"),
                                "column": st.column_config.TextColumn("Column", width="medium"),
                                "found": st.column_config.TextColumn("Found", width="medium"),
                                "expected": st.column_config.TextColumn("Expected",
                                                                        width="large")})
    st.caption("Rows are numbered as in a spreadsheet: the header is row 1, the first record "
               "row 2.")
    with st.expander(f"The {bad} row{'s' if bad != 1 else ''} left out, as in the file"):
        upload_table(result.rejected, key="records_rejected")
        st.download_button("Download these rows (CSV)", data=safe_csv(result.rejected,
                                                                      index=True),
                           file_name=f"{schema.name}_rows_left_out.csv", mime="text/csv",
                           key="records_rejected_download", icon=":material/download:")
    signature = (upload.file_id, schema.name, sheet)
    if st.session_state.get(_ACCEPTED) == signature:
        st.info(f"Using the {good} good records; the {bad} listed above are left out.",
                icon=":material/playlist_add_check:")
        return
    if st.button(f"Continue with the {good} good record{'s' if good != 1 else ''} "
                 f"(leave out {bad})", key="records_continue", type="primary"):
        _keep(result.valid, upload.name, kept, schema)
        st.session_state[_ACCEPTED] = signature
        audit_trail.upload_checked("Upload", "uploaded-records", True, upload.file_id)
        st.rerun()
    if schema.name in kept:
        st.caption("Below: the last good records for this schema, still in use.")


def _keep(frame: pd.DataFrame, name: str, kept: dict, schema: Schema) -> None:
    frame.attrs["file_name"] = name
    kept[schema.name] = frame


def _choose_sheet(data: bytes, schema: Schema) -> str | None:
    """A sheet picker for a workbook with several sheets, starting at the sheet whose header
    names the schema's columns; None for a CSV or a one-sheet workbook."""
    sheets, likely = _sheets(data, schema.name)
    if len(sheets) < 2:
        return None
    return st.selectbox(f"This workbook has {len(sheets)} sheets: pick the one with the records",
                        sheets, index=sheets.index(likely) if likely in sheets else 0,
                        key="records_sheet")


def _upload(upload, schema: Schema, kept: dict) -> None:
    """Check one uploaded file; keep its records when they are good (or the user says so)."""
    try:
        check_file_size(upload.size, MAX_BYTES)      # before the bytes are copied or hashed
        data = upload.getvalue()
        sheet = _choose_sheet(data, schema)
        with st.spinner("Checking the records..."):
            result = _read(data, schema.name, sheet)
    except MedcoreError as exc:
        audit_trail.upload_checked("Upload", "uploaded-records", False, upload.file_id)
        show_error(exc)
        if schema.name in kept:
            st.caption("Below: the last good records for this schema, still in use.")
        return
    if result.ok:
        audit_trail.upload_checked("Upload", "uploaded-records", True, upload.file_id)
        _keep(result.valid, upload.name, kept, schema)
    elif len(result.valid):
        _partly_bad(result, upload, schema, sheet, kept)
    else:
        audit_trail.upload_checked("Upload", "uploaded-records", False, upload.file_id)
        show_error(result.error())
        if schema.name in kept:
            st.caption("Below: the last good records for this schema, still in use.")


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
    upload = st.file_uploader("Records: CSV (comma, semicolon or tab separated) or Excel (.xlsx)",
                              type=["csv", "tsv", "txt", "xlsx", "xlsm", "xls"],
                              key="records_file",
                              max_upload_size=max(1, MAX_BYTES // (1024 * 1024)),
                              help="An Excel workbook: its first sheet, or the one you pick. "
                                   "Read in memory, never written to disk.")
    kept = st.session_state.setdefault(state.RECORDS, {})
    if upload is not None:
        _upload(upload, schema, kept)
    if schema_name in kept:
        _show_records(kept[schema_name], schema)
    elif upload is None:
        st.info("No records for this schema yet: download the template, fill it in (one row "
                "per patient" + (" visit" if "day" in schema.column_names else "")
                + "), and upload it.")
