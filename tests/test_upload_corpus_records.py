"""Records uploads as clinicians produce them: a corpus built here, each case with its outcome.

Every file is made at test time (CSV text, .xlsx through openpyxl, and the first bytes of .xls,
encrypted and OpenDocument files); nothing is committed. A case states either the error of a
file no row of which is usable, or which rows ``read_records`` keeps and, for each row it
leaves out, the column, what was found and a phrase of what is expected.
"""
from __future__ import annotations

import io
import math
import zipfile
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pytest

from medcore.errors import DataValidationError
from medcore.records import (MAX_BYTES, load_records, read_records, records_sheet, safe_csv,
                             sheet_names, template_csv)

ROTTERDAM_HEADER = "patient_id,hormon,age,meno,size,grade,nodes,pgr,er"
GOOD = "0,56,1,20-50,3,4,38,65"                 # everything after patient_id
VISITS_HEADER = ("id,day,age,sex,trt,bili,albumin,protime,alk.phos,ast,platelet,ascites,hepato,"
                 "spiders,edema,stage")
VISIT = "50,f,1,1.2,3.5,10.5,1200,100,250,0,1,0,0,3"   # everything after id and day


def rotterdam(*rows: str) -> bytes:
    """A Rotterdam CSV; each row is ``"id"`` (all good) or ``"id,<8 cells>"``."""
    lines = [r if "," in r else f"{r},{GOOD}" for r in rows]
    return ("\n".join([ROTTERDAM_HEADER, *lines]) + "\n").encode()


def with_cell(patient: str, column: str, value: str) -> str:
    cells = dict(zip(ROTTERDAM_HEADER.split(","), [patient, *GOOD.split(",")]))
    cells[column] = value
    return ",".join(cells.values())


def visits(*rows: tuple[str, str]) -> bytes:
    lines = [f"{patient},{day},{VISIT}" for patient, day in rows]
    return ("\n".join([VISITS_HEADER, *lines]) + "\n").encode()


def xlsx(sheets: dict[str, list[list]]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def csv_rows(data: bytes) -> list[list]:
    """A CSV's rows as an Excel user would type them: numbers as numbers, the rest as text."""
    def cell(text: str):
        try:
            value = float(text) if "." in text or "e" in text.lower() else int(text)
        except ValueError:
            return text
        return value if math.isfinite(value) else text      # Excel keeps 1e999 as text
    return [[cell(c) for c in line.split(",")] for line in data.decode().splitlines()]


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def ods() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"),
                         "application/vnd.oasis.opendocument.spreadsheet")
        archive.writestr("content.xml", "<office:document-content/>")
    return buffer.getvalue()


@dataclass
class Case:
    data: bytes
    schema: str = "rotterdam"
    kept: list[int] = field(default_factory=list)               # spreadsheet rows kept
    # row -> (phrase of the column, what was found, phrase of what is expected)
    left_out: dict[int, tuple[str, str, str]] = field(default_factory=dict)
    error: str | None = None
    sheet: str | None = None


MESSY = rotterdam("p1", with_cell("p2", "age", "12 mm"), with_cell("p3", "age", "n/a"),
                  with_cell("p4", "nodes", ">5"), with_cell("p5", "age", "-3"),
                  with_cell("p6", "age", "250"), with_cell("p7", "pgr", "inf"),
                  with_cell("p8", "er", "1e999"), "p9")

CASES = {
    "text, impossible values, inf and 1e999": Case(MESSY, kept=[2, 10], left_out={
        3: ("'age' (Age at surgery, years)", "'12 mm'", "write the number alone"),
        4: ("'age'", "'n/a'", "may not be left empty"),
        5: ("'nodes' (Positive lymph nodes)", "'>5'", "a number such as 4"),
        6: ("'age'", "-3", "a value from 18 to 100"),
        7: ("'age'", "250", "a value from 18 to 100"),
        8: ("'pgr' (Progesterone receptor, fmol/l)", "'inf'", "a finite number"),
        9: ("'er'", "'1e999'", "a finite number")}),
    "ragged rows": Case(
        rotterdam("p1", "p2,0,56,1,20-50,3,4,38,65,99", "p3,0,56,1,20-50", "p4",
                  "p5,0,56,1,20-50,3,4,38,65,,"),
        kept=[2, 5, 6], left_out={3: ("", "10 cells", "9 cells, one per header column"),
                                  4: ("", "5 cells", "a missing cell shifts")}),
    "a copied row and a conflicting duplicate": Case(
        rotterdam("p1", "p2", "p1", with_cell("p2", "age", "60"), "p3"), kept=[2, 6], left_out={
            3: ("", "patient patient_id 'p2', repeated with other values", "each 'patient_id'"),
            4: ("", "an exact copy of row 2", "a copy is left out"),
            5: ("", "again (also in row 3, with other values)", "each 'patient_id' once")}),
    "visits duplicated and out of order": Case(
        visits(("7", "0"), ("7", "182"), ("7", "182"), ("8", "400"), ("8", "100"), ("9", "0")),
        schema="pbc_visits", kept=[2, 3, 5, 7], left_out={
            4: ("", "an exact copy of row 3", "each 'id' and 'day' once"),
            6: ("'day' (Visit day, days since first visit)",
                "day 100 after day 400 in an earlier row of patient 8",
                "sort the rows by 'id' and 'day'")}),
    "markdown in a cell is just text": Case(
        rotterdam("p1", with_cell("p2", "age", "![x](http://127.0.0.1:9/p.png)")), kept=[2],
        left_out={3: ("'age'", "'![x](http://127.0.0.1:9/p.png)'", "a number")}),
    "empty file": Case(b"", error=r"empty \(0 bytes\)"),
    "blank lines only": Case(b"\n \n\r\n", error="only blank text"),
    "header with no rows": Case(rotterdam(), error="has a header but no records"),
    "duplicate column names": Case(
        b"patient_id,hormon,age,meno,size,grade,nodes,pgr,er,Age\np1," + GOOD.encode() + b",57\n",
        error=r"columns given twice: 'Age' \(same as 'age'\); expected each column once"),
    "a binary file named .csv": Case(b"\x89PNG\r\n\x1a\n" + bytes(64),
                                     error="is a PNG image, not a CSV text file"),
    "random bytes named .csv": Case(bytes(range(256)) * 4, error="holds binary data, not CSV"),
    "an .xls workbook": Case(OLE2 + bytes(600),
                             error=r"Excel 97-2003 workbook \(.xls\).*Save As.*\.xlsx.*CSV UTF-8"),
    "a password-protected workbook": Case(
        OLE2 + bytes(100) + "EncryptedPackage".encode("utf-16-le") + bytes(100),
        error=r"password-protected .*Encrypt with Password.*CSV UTF-8"),
    "an OpenDocument spreadsheet": Case(ods(), error=r"OpenDocument spreadsheet \(.ods\)"),
    "a zip that is no workbook": Case(
        b"PK\x03\x04" + bytes(40), error="ZIP archive but not an Excel workbook"),
    "xlsx: the first sheet": Case(
        xlsx({"Patients": csv_rows(rotterdam("p1", "p2")), "Notes": [["free text"]]}),
        kept=[2, 3]),
    "xlsx: a chosen sheet, with a problem": Case(
        xlsx({"Notes": [["free text"]], "Patients": csv_rows(MESSY)}), sheet="Patients",
        kept=[2, 10], left_out={3: ("'age'", "'12 mm'", "a number such as 56"),
                                6: ("'age'", "-3", "a value from 18 to 100")}),
    "xlsx: an empty first sheet": Case(
        xlsx({"Sheet1": [], "Data": csv_rows(rotterdam("p1"))}),
        error="sheet 'Sheet1' of the workbook is empty.*other sheets: 'Data'"),
    "xlsx: no such sheet": Case(xlsx({"A": [["x"]]}), sheet="B",
                                error="no sheet named 'B'; expected one of 'A'"),
    "xlsx renamed .csv is read as a workbook": Case(
        xlsx({"Sheet1": csv_rows(rotterdam("p1"))}), kept=[2]),
}


@pytest.mark.parametrize("name", list(CASES))
def test_corpus_case(name):
    case = CASES[name]
    if case.error:
        with pytest.raises(DataValidationError, match=case.error):
            read_records(case.data, case.schema, sheet=case.sheet)
        with pytest.raises(DataValidationError, match=case.error):
            load_records(case.data, case.schema, sheet=case.sheet)
        return
    result = read_records(case.data, case.schema, sheet=case.sheet)
    assert result.valid.attrs["rows"] == case.kept
    assert result.n_records == len(case.kept) + len(result.rejected)
    found = {p.row: p for p in result.problems}
    for row, (column, what, expected) in case.left_out.items():
        problem = found[row]
        assert problem.column.startswith(column), problem
        assert what in problem.found and expected in problem.expected, problem
        assert problem.message.startswith(f"Row {row}")
    assert sorted(found) == result.rejected_rows
    if result.problems:                               # all or nothing: one error, every problem
        with pytest.raises(DataValidationError) as info:
            load_records(case.data, case.schema, sheet=case.sheet)
        assert str(info.value) == result.message
    else:
        assert load_records(case.data, case.schema, sheet=case.sheet).equals(result.valid)


def test_the_left_out_rows_keep_the_file_s_cells_and_their_problems():
    result = read_records(MESSY, "rotterdam")
    rejected = result.rejected
    assert list(rejected.columns) == ["problems", *ROTTERDAM_HEADER.split(",")]
    assert rejected.loc[3, "age"] == "12 mm" and rejected.loc[9, "er"] == "1e999"
    assert rejected.loc[3, "problems"].startswith("'age' (Age at surgery, years): found '12 mm'")
    assert len(result.valid) == 2 and result.valid["age"].dtype == np.float64
    assert result.valid["nodes"].dtype == np.int64
    assert "7 of 9 records left out" in result.valid.attrs["notes"][-1]


def test_excel_and_csv_give_the_same_problems():
    from_csv = read_records(MESSY, "rotterdam")
    from_excel = read_records(xlsx({"S": csv_rows(MESSY)}), "rotterdam")
    assert [p.message for p in from_excel.problems] == [p.message for p in from_csv.problems]
    pd.testing.assert_frame_equal(from_excel.valid, from_csv.valid)
    assert from_excel.sheet == "S" and from_excel.sheets == ("S",)
    assert "read from sheet 'S' of the workbook" in from_excel.valid.attrs["notes"][0]


def test_sheet_names_and_the_template_in_excel():
    template = pd.read_csv(io.BytesIO(template_csv("pbc_visits")), dtype=str,
                           keep_default_na=False)
    data = xlsx({"Read me": [["visits on the next sheet"]],
                 "Visits": [list(template.columns), *template.to_numpy().tolist()]})
    assert sheet_names(data) == ("Read me", "Visits") and sheet_names(b"id,day\n") == ()
    assert records_sheet(data, "pbc_visits") == "Visits"
    assert records_sheet(data, "wdbc") is None and records_sheet(b"id,day\n", "wdbc") is None
    frame = load_records(data, "pbc_visits", sheet="Visits")
    assert len(frame) == 1 and frame.attrs["rows"] == [2]


def test_excel_cells_of_other_types():
    import datetime

    rows = csv_rows(rotterdam("p1", "p2"))
    rows[1][1] = True                                # a checkbox-like TRUE in "hormon"
    rows[2][2] = datetime.datetime(2020, 1, 2)      # a date where the age belongs
    result = read_records(xlsx({"S": rows}), "rotterdam")
    assert result.valid["hormon"].tolist() == [1]
    assert result.problems[0].row == 3 and result.problems[0].found == "'2020-01-02 00:00:00'"


def test_a_records_file_over_the_limit_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as handle:
        handle.truncate(200 * 1024 * 1024)          # sparse: nothing written to the disk
    with pytest.raises(DataValidationError, match="is 200 MB; expected at most 50 MB"):
        read_records(big, "rotterdam")

    class Unreadable(io.BytesIO):
        size = 60 * 1024 * 1024

        def read(self, *args):
            raise AssertionError("read before the size was checked")

        getvalue = read

    with pytest.raises(DataValidationError, match="is 60 MB; expected at most 50 MB"):
        read_records(Unreadable(), "rotterdam")
    assert MAX_BYTES == 50 * 1024 * 1024


def test_downloads_never_hold_a_formula_but_keep_negative_numbers():
    frame = pd.DataFrame({"patient_id": ["=HYPERLINK(\"http://x\")", "+44 20", "-12.5", "@SUM(A1)",
                                         "\tx", "p1", "-1+A1"],
                          "score": [-0.5, 1.0, 2.0, 3.0, 4.0, 5.0, -6.0]})
    text = safe_csv(frame).decode()
    lines = text.splitlines()
    assert lines[0] == "patient_id,score"
    assert lines[1] == '"\'=HYPERLINK(""http://x"")",-0.5'
    assert lines[2:] == ["'+44 20,1.0", "-12.5,2.0", "'@SUM(A1),3.0", "'\tx,4.0", "p1,5.0",
                         "'-1+A1,-6.0"]
    read_back = pd.read_csv(io.StringIO(text))
    assert read_back["score"].tolist() == frame["score"].tolist()      # numbers stay numbers
    assert frame["patient_id"][0].startswith("=")                     # the input is unchanged
