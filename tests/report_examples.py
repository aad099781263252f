"""Real inputs for the report tests: a DICOM carrying patient identifiers around a shipped
PneumoniaMNIST test radiograph, and one record or visit history of each records model."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from medcore.registry import MODELS_DIR

#: Identifiers written into the test DICOM: none may appear in a report.
IDENTIFIERS = {"PatientName": "Zebedee^Testpatient", "PatientID": "QX-7731-ID",
               "PatientBirthDate": "19991231", "AccessionNumber": "ACC99887766"}
#: Text forms the identifiers could take in a report.
IDENTIFIER_TEXTS = ("Zebedee", "Testpatient", "QX-7731-ID", "19991231", "ACC99887766")
SUBSET = MODELS_DIR.parent / "data" / "pneumoniamnist_subset.npz"


def radiograph(index: int = 0) -> np.ndarray:
    """A shipped PneumoniaMNIST test image (28 x 28, uint8) and its label."""
    data = np.load(SUBSET)
    return data["test_images"][index, :, :, 0].astype(np.uint8), int(data["test_labels"][index])


def identified_dicom(path: Path, image: np.ndarray, *, modality: str = "CR") -> Path:
    """``image`` as a DICOM Part 10 file with the patient's name, ID, birth date and accession
    number set, a window that shows the stored values unchanged (as the training JPEGs)."""
    from pydicom.dataset import FileDataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = FileDataset(str(path), {}, file_meta=meta, preamble=b"\0" * 128)
    for keyword, value in IDENTIFIERS.items():
        setattr(ds, keyword, value)
    ds.Modality, ds.BodyPartExamined, ds.SeriesDescription = modality, "CHEST", "Chest AP"
    ds.SOPClassUID, ds.SOPInstanceUID = meta.MediaStorageSOPClassUID, meta.MediaStorageSOPInstanceUID
    ds.Rows, ds.Columns = image.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 8, 8, 7, 0
    ds.WindowCenter, ds.WindowWidth = 127.5, 256
    ds.PixelData = image.tobytes()
    ds.save_as(path, enforce_file_format=True)
    return path
