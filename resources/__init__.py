"""Dagster resources: where the data lives and how the warehouse stores tables."""

from resources.curata_settings import CurataSettings
from resources.warehouse_io import WarehouseIOManager

__all__ = ["CurataSettings", "WarehouseIOManager"]
