"""Streamlit rendering helpers shared by the pages (the only package besides app_pages/ that imports
streamlit). Each page section lives in its own module so a new model adds one module here."""
