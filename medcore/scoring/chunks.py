"""Batch scoring, second step: one :class:`~medcore.scoring.plan.Chunk` read, checked and scored.

:class:`ChunkScorer` holds one model's serving model (``registry.serving_model``: LiteRT, no
TensorFlow), loaded once, and turns a chunk into two tables: the scored rows (one per record,
image or patient) and the error rows (the row or file, and the message). Both engines call it:
the local engine in its own process, the Ray engine once per worker. Everything a page does to
an upload is done here with the page's own functions: records are checked by the Upload page's
checks (:func:`medcore.records.check_rows`), scored by the model module's ``score_records`` (the
columns of the page's download), flagged outside the training ranges (the card's
``input_contract``); a scan is read by :func:`medcore.imaging.load_scan` and judged by the
model's intended-use gate (``assess_input``: "Not assessable by this model"). A bad record or
file becomes an error row and never stops the batch.

An image is named by its path, never by anything read from inside it: no DICOM Patient's Name
or Patient ID reaches the output.
"""
from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from medcore import registry
from medcore.errors import InvalidUploadError, MedcoreError
from medcore.registry import ModelKind
from medcore.scoring.plan import Chunk, image_label

#: Output column holding the model version (the first hex digits of the ``.keras`` sha256, as
#: the cards and the pages show it).
VERSION = "model_version"
#: Output column of the warnings, as text ("" when none).
WARNINGS = "warnings"
#: Hex digits of the sha256 kept as the version.
VERSION_DIGITS = 12
#: What an image the model cannot judge shows instead of a call (the pages' words).
NOT_ASSESSABLE = "Not assessable by this model"
#: Largest single image file read (a guard against a stray video or archive in the folder).
MAX_IMAGE_BYTES = 256 * 1024 * 1024


class ChunkScorer:
    """Scores chunks of one model's inputs; ``scorer(chunk) -> (scored, errors)``.

    Parameters
    ----------
    name : str
        A registered model.
    models_dir : path, optional
        Where its files are (default: the registry's).
    """

    def __init__(self, name: str, models_dir: str | Path | None = None) -> None:
        self.spec = registry.spec(name)
        self.model = registry.serving_model(name, models_dir)
        self.module = registry.model_module(name)
        self.card = self.model.card
        self.version = self.card.sha256[:VERSION_DIGITS]
        contract = self.card.input_contract
        self.ranges = dict(contract.ranges) if contract is not None else {}

    def __call__(self, chunk: Chunk) -> tuple[pd.DataFrame, pd.DataFrame]:
        if chunk.kind == "images":
            scored, errors = self._images(chunk)
        else:
            scored, errors = self._records(chunk)
        if chunk.label:
            scored.insert(0, "file", chunk.label)
            errors.insert(0, "file", chunk.label)
        return scored, errors

    # -- records ---------------------------------------------------------------------------
    def _records(self, chunk: Chunk) -> tuple[pd.DataFrame, pd.DataFrame]:
        from medcore.scoring.readers import read_chunk

        try:
            result = read_chunk(chunk, self.spec.schema)
        except MedcoreError as exc:        # the whole slice unreadable (e.g. not valid CSV)
            return _empty(), _errors([chunk.first_line], [str(exc)])
        if result is None:
            return _empty(), _errors([], [])
        rejected = result.rejected
        errors = _errors(rejected.index.tolist(), rejected["problems"].tolist())
        valid = result.valid
        if self.spec.kind is ModelKind.SEQUENCE_SURVIVAL:
            scored, more = self._patients(valid, rejected)
            return scored, pd.concat([errors, more], ignore_index=True)
        if not len(valid):
            return _empty(), errors
        rows = np.asarray(valid.attrs["rows"])
        # pandas deep-copies ``attrs`` in every operation: 50,000 row numbers there cost 70%
        # of a chunk's time. The schema is passed on explicitly instead.
        valid.attrs = {}
        scored, failed = self._score_parts(valid, [np.array([i]) for i in range(len(valid))])
        keep = np.setdiff1d(np.arange(len(valid)), [i for i, _ in failed])
        scored.insert(0, "row", rows[keep])
        scored[VERSION] = self.version
        scored[WARNINGS] = _row_warnings(valid.iloc[keep], self.ranges, self.spec.schema)
        more = _errors([int(rows[i]) for i, _ in failed], [m for _, m in failed])
        return scored, pd.concat([errors, more], ignore_index=True)

    def _score_parts(self, frame: pd.DataFrame,
                     parts: list[np.ndarray]) -> tuple[pd.DataFrame, list[tuple[int, str]]]:
        """``score_records`` on the whole frame; should it refuse the batch, on each part alone
        (a record, a patient's visits), so that one bad part fails alone. Returns the scored
        rows and ``(first position of the part, message)`` of each part that failed."""
        try:
            return self._download(frame), []
        except MedcoreError:
            pass
        scored, failed = [], []
        for part in parts:
            try:
                scored.append(self._download(_rows(frame, part)))
            except MedcoreError as exc:
                failed.append((int(part[0]), str(exc)))
        return (pd.concat(scored, ignore_index=True) if scored else _empty()), failed

    def _download(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The page's download of ``frame``: ``score_records``, in the page's column order where
        the module has one (``results_first``)."""
        scored = self.module.score_records(self.model, frame)
        order = getattr(self.module, "results_first", None)
        return scored if order is None else order(scored)

    def _patients(self, visits: pd.DataFrame,
                  rejected: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
        """One row per patient of a visits table. A patient with a rejected visit is not scored
        (the rest of the history would be another history): an error row says so."""
        from medcore.datasets.pbc import check_visit_sequences

        headers = visits.attrs.get("headers") or {}
        id_header = headers.get("id", "id")
        rows = np.asarray(visits.attrs.get("rows", np.arange(2, len(visits) + 2)))
        bad_ids = set(rejected[id_header].astype(str)) if id_header in rejected else set()
        ids = visits["id"].astype(str).to_numpy()
        error_rows, messages = [], []
        for patient in sorted(bad_ids & set(ids)):
            error_rows.append(int(rows[ids == patient][0]))
            messages.append(f"patient {patient}: not scored, as a visit of this patient was "
                            "rejected (see its row); a history without it would give another "
                            "prediction. Correct that row and score again.")
        keep = ~np.isin(ids, list(bad_ids))
        visits, rows, ids = _rows(visits, np.flatnonzero(keep)), rows[keep], ids[keep]
        if not len(visits):
            return _empty(), _errors(error_rows, messages)
        parts = [np.flatnonzero(ids == patient) for patient in pd.unique(ids)]
        warnings: dict[str, list[str]] = {}
        good = []
        for part in parts:
            patient = ids[part[0]]
            try:
                found = check_visit_sequences(_rows(visits, part),
                                              required=list(self.module.REQUIRED_COLUMNS))
            except MedcoreError as exc:
                error_rows.append(int(rows[part[0]]))
                messages.append(str(exc))
                continue
            good.append(part)
            ranges = _row_warnings(_rows(visits, part), self.ranges, self.spec.schema)
            warnings[patient] = list(dict.fromkeys(
                [w for w in ranges if w] + [w for w in found]))
        if not good:
            return _empty(), _errors(error_rows, messages)
        chosen = np.concatenate(good)
        frame = _rows(visits, chosen)
        scored, failed = self._score_parts(frame, _positions(ids[chosen]))
        for position, message in failed:
            error_rows.append(int(rows[chosen][position]))
            messages.append(message)
        scored[VERSION] = self.version
        scored[WARNINGS] = ["; ".join(warnings.get(str(i), [])) for i in scored["id"]]
        return scored, _errors(error_rows, messages)

    # -- images ----------------------------------------------------------------------------
    def _assess(self, scan: Any) -> Any:
        """The model's intended-use gate (``assess_input``, as the pages call it; it makes the
        model input, so unusable pixels raise here); a model without one judges every scan."""
        assess = getattr(self.module, "assess_input", None)
        if assess is not None:
            return assess(scan, self.card)
        from medcore.models.pneumonia_cnn_scope import Assessment   # the verdicts' one shape

        self.module.model_input(scan)
        return Assessment(assessable=True)

    def _images(self, chunk: Chunk) -> tuple[pd.DataFrame, pd.DataFrame]:
        from medcore.imaging import load_scan

        labels, scans, notes, assessable = [], [], [], []
        bad, messages = [], []
        archive = None if Path(chunk.path).is_dir() else zipfile.ZipFile(chunk.path)
        try:
            for member in chunk.members:
                label = image_label(chunk, member)
                try:
                    scan = load_scan(_image_bytes(chunk.path, archive, member), filename=label)
                    judged = self._assess(scan)
                except MedcoreError as exc:
                    bad.append(label)
                    messages.append(str(exc))
                    continue
                labels.append(label)
                scans.append(scan)
                assessable.append(judged.assessable)
                words = ([f"{NOT_ASSESSABLE}: " + "; ".join(judged.reasons)]
                         if not judged.assessable else [])
                notes.append("; ".join(words + list(judged.cautions)))
        finally:
            if archive is not None:
                archive.close()
        errors = pd.DataFrame({"file": bad, "message": messages})
        if not scans:
            return pd.DataFrame(), errors
        scored = self.module.score_records(self.model,
                                           pd.DataFrame({"file": labels, "image": scans}))
        judged = np.asarray(assessable)
        outputs = [c for c in scored.columns if c not in ("file", "call")]
        scored.loc[~judged, outputs] = np.nan          # no probability where it cannot judge
        scored["call"] = np.where(judged, scored["call"], "not assessable")
        scored[VERSION] = self.version
        scored[WARNINGS] = notes
        return scored, errors


def _image_bytes(folder: str, archive: zipfile.ZipFile | None, member: str) -> bytes:
    """The bytes of one image file, refused over :data:`MAX_IMAGE_BYTES`."""
    if archive is None:
        path = Path(folder) / member
        size = path.stat().st_size
        reader = lambda: path.read_bytes()  # noqa: E731
    else:
        try:
            size = archive.getinfo(member).file_size
        except KeyError:
            raise InvalidUploadError(f"{member} is no longer in the zip; expected the zip "
                                     "unchanged during the run.") from None
        reader = lambda: archive.read(member)  # noqa: E731
    if size > MAX_IMAGE_BYTES:
        raise InvalidUploadError(f"{member} is {size / 1e6:,.0f} MB; expected an image file of "
                                 f"at most {MAX_IMAGE_BYTES / 1e6:,.0f} MB.")
    try:
        return reader()
    except (OSError, zipfile.BadZipFile, RuntimeError) as exc:
        raise InvalidUploadError(f"{member} could not be read ({type(exc).__name__}: {exc}); "
                                 "expected a readable file (an unencrypted zip).") from None


def _row_warnings(frame: pd.DataFrame, ranges: dict, schema: Any) -> list[str]:
    from medcore.records import row_warnings

    if not ranges or not len(frame):
        return [""] * len(frame)
    return [str(w) for w in row_warnings(frame, ranges, schema=schema)]


def _rows(frame: pd.DataFrame, positions: np.ndarray) -> pd.DataFrame:
    """Rows of a validated frame by position, its ``attrs`` (schema, headers, rows) kept."""
    part = frame.iloc[positions].reset_index(drop=True)
    attrs = dict(frame.attrs)
    if "rows" in attrs and len(attrs["rows"]) == len(frame):
        attrs["rows"] = [attrs["rows"][int(i)] for i in positions]
    part.attrs = attrs
    return part


def _positions(ids: np.ndarray) -> list[np.ndarray]:
    """Positions of each id's rows, in order of first appearance."""
    return [np.flatnonzero(ids == value) for value in pd.unique(ids)]


def _errors(rows: list, messages: list) -> pd.DataFrame:
    return pd.DataFrame({"row": pd.array(rows, dtype="Int64"),
                         "message": pd.Series(messages, dtype=object)})


def _empty() -> pd.DataFrame:
    return pd.DataFrame()

