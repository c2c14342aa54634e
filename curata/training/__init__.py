"""Probing whether a dataset is learnable, its likely label errors, and training on it when it is ready."""
