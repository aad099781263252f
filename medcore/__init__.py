"""medcore: clinical neural networks, their data, metrics and explanations.

Importing ``medcore`` (or ``medcore.imaging`` / ``medcore.records``) never imports TensorFlow or
Streamlit; modules that need Keras import it themselves.
"""
from __future__ import annotations

__version__ = "0.1.0"

#: Shown on every page that shows a prediction, and in every model card.
RESEARCH_USE_DISCLAIMER = (
    "Research use only. medcore is not a medical device: its predictions have not been "
    "validated for clinical decisions and must not replace a clinician's judgement."
)
