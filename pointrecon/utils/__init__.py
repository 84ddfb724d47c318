"""Small shared utilities: atomic writes, the config instantiation wrapper, seeding."""
