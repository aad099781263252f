"""Plotly figure builders, one module per topic; no Streamlit here."""
