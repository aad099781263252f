"""Explanations: SHAP for all three network kinds, Grad-CAM for images, plain-language summaries.

One module per method (``gradcam``, ...); TensorFlow is imported only by the functions that need it.
"""
