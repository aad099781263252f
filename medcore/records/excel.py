"""Records from Excel: an .xlsx sheet -> rows of cells (``openpyxl``, read-only, values only).

Told apart by content, not by file name: an .xlsx is a zip holding ``xl/workbook.xml``; an Excel
97-2003 workbook (.xls) and a password-protected .xlsx are both OLE2 compound files, the latter
holding an ``EncryptedPackage`` stream. Neither can be read here: their message says how to save
the file as .xlsx or CSV. Cells become text as a CSV would hold them, so that one set of checks
serves both.
"""
from __future__ import annotations

import datetime
import io
import zipfile
from dataclasses import dataclass

from medcore.errors import DataValidationError

_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SAVE_AS = ("In Excel use File > Save As and choose 'Excel Workbook (*.xlsx)' or 'CSV UTF-8 "
            "(Comma delimited) (*.csv)', then upload that file.")


@dataclass(frozen=True)
class Sheet:
    """The non-blank rows of one worksheet.

    rows : list of (spreadsheet row number, cells as text)
    name : the sheet's name; sheets : every worksheet of the workbook, in order.
    """

    rows: list[tuple[int, list[str]]]
    name: str
    sheets: tuple[str, ...]


def workbook_kind(data: bytes) -> str | None:
    """``"xlsx"``, ``"xls"``, ``"encrypted"``, ``"ods"``, ``"zip"`` (another zip), or None."""
    if data.startswith(_OLE2):
        return "encrypted" if "EncryptedPackage".encode("utf-16-le") in data else "xls"
    if not data.startswith(b"PK\x03\x04"):
        return None
    try:
        names = set(zipfile.ZipFile(io.BytesIO(data)).namelist())
    except (zipfile.BadZipFile, ValueError, OSError):
        return "zip"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "content.xml" in names and data[30:38] == b"mimetype" \
            and b"opendocument.spreadsheet" in data[:200]:
        return "ods"
    return "zip"


def refuse(kind: str) -> DataValidationError:
    """The error for a file that is a workbook or archive this module cannot read."""
    if kind == "xls":
        return DataValidationError(
            "the records file is an Excel 97-2003 workbook (.xls), a format this dashboard does "
            f"not read; expected an .xlsx workbook or a CSV file. {_SAVE_AS}")
    if kind == "encrypted":
        return DataValidationError(
            "the records file is a password-protected (encrypted) Excel workbook, which cannot "
            "be read without its password; expected an unprotected .xlsx workbook or a CSV file. "
            "In Excel open it, choose File > Info > Protect Workbook > Encrypt with Password, "
            "delete the password and save; or use File > Save As > 'CSV UTF-8 (Comma delimited) "
            "(*.csv)'.")
    if kind == "ods":
        return DataValidationError(
            "the records file is an OpenDocument spreadsheet (.ods); expected an .xlsx workbook "
            "or a CSV file. In LibreOffice use File > Save As and choose 'Excel 2007-365 "
            "(.xlsx)' or 'Text CSV (.csv)'.")
    return DataValidationError(
        "the records file is a ZIP archive but not an Excel workbook (.xlsx); expected a CSV text "
        "file or an .xlsx workbook. Unpack the archive and upload the table itself.")


def sheet_names(data: bytes) -> tuple[str, ...]:
    """The worksheets of an .xlsx, in order (reads the workbook's index only); () for any other
    file (a CSV).

    Raises
    ------
    DataValidationError
        The workbook is damaged.
    """
    if workbook_kind(data) != "xlsx":
        return ()
    workbook = _open(data)
    try:
        return tuple(workbook.sheetnames)
    finally:
        workbook.close()


def header_rows(data: bytes, rows: int = 5) -> dict[str, list[str]]:
    """Sheet name -> its first non-blank row (within the first ``rows``), for each worksheet of
    an .xlsx; reads only the top of each sheet. {} for any other file.

    Raises
    ------
    DataValidationError
        The workbook is damaged.
    """
    if workbook_kind(data) != "xlsx":
        return {}
    workbook = _open(data)
    try:
        headers = {}
        for name in workbook.sheetnames:
            worksheet = workbook[name]
            headers[name] = []
            if not hasattr(worksheet, "iter_rows"):
                continue
            worksheet.reset_dimensions()
            for values in worksheet.iter_rows(values_only=True, max_row=rows):
                cells = [_text(v).strip() for v in values]
                if any(cells):
                    headers[name] = cells
                    break
        return headers
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on damaged sheets
        raise _damaged(exc) from exc
    finally:
        workbook.close()


def read_sheet(data: bytes, sheet: str | None = None) -> Sheet:
    """The non-blank rows of ``sheet`` (default: the first) of an .xlsx, cells as text.

    Numbers are written as Python writes them (``56.0``), booleans as 1/0, dates in ISO form,
    formulas as their last computed value (an empty cell if Excel never computed it).

    Raises
    ------
    DataValidationError
        A damaged workbook, or no sheet of that name.
    """
    workbook = _open(data)
    try:
        names = tuple(workbook.sheetnames)
        name = names[0] if sheet is None else sheet
        if name not in names:
            raise DataValidationError(
                f"the workbook has no sheet named {sheet!r}; expected one of "
                f"{', '.join(repr(n) for n in names)}. Pick one of these sheets.")
        worksheet = workbook[name]
        if not hasattr(worksheet, "iter_rows"):
            raise DataValidationError(
                f"sheet {name!r} of the workbook is a chart, not a table; expected a sheet with "
                "a header row and one row per record. Pick another sheet.")
        worksheet.reset_dimensions()           # some writers store a wrong A1:A1 dimension
        rows = []
        for number, values in enumerate(worksheet.iter_rows(values_only=True), start=1):
            cells = [_text(v) for v in values]
            if any(cells):
                rows.append((number, cells))
    except DataValidationError:
        raise
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on damaged sheets
        raise _damaged(exc) from exc
    finally:
        workbook.close()
    return Sheet(rows=rows, name=name, sheets=names)


def _open(data: bytes):
    import openpyxl

    try:
        return openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds on damaged files
        raise _damaged(exc) from exc


def _damaged(exc: BaseException) -> DataValidationError:
    detail = str(exc).strip().splitlines()[0][:120] if str(exc).strip() else ""
    return DataValidationError(
        f"the records file looks like an Excel workbook (.xlsx) but could not be read "
        f"({type(exc).__name__}{': ' + detail if detail else ''}); expected a complete .xlsx "
        f"workbook. {_SAVE_AS}")


def _text(value) -> str:
    """A cell's value as a CSV would hold it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ")
    return str(value)
