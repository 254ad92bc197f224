"""Framework adapters over infiniretri_core."""
