"""MolStudio: train neural networks on your own compound data."""

__version__ = "0.1.0"
