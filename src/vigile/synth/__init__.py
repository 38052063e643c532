"""Realistic synthetic French medical-lab exports and patient databases, with ground truth.

truth = generate_lab_export(ExportSpec(rows=10_000, seed=1), "export.csv")
db = generate_patient_db(PatientDbSpec(size=50_000, seed=1), truth, "patients.parquet")
"""

from vigile.synth.lab_export import ExportSpec, generate_lab_export
from vigile.synth.patient_db import PatientDbSpec, PatientDbTruth, generate_patient_db
from vigile.synth.truth import GroundTruth

__all__ = [
    "ExportSpec",
    "GroundTruth",
    "PatientDbSpec",
    "PatientDbTruth",
    "generate_lab_export",
    "generate_patient_db",
]
