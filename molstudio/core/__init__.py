"""The MolStudio engine (headless: never imports Qt)."""
