"""Network builders: one ``build_*(...) -> keras.Model`` function per network kind, uncompiled.

Importing a module here imports Keras; importing this package alone does not.
"""
