"""The IO manager: every asset's Arrow table goes to the warehouse, and reaches downstream assets as an input.

Built on Dagster's UPathIOManager, whose universal-pathlib paths span a local folder and an S3 prefix;
the bytes go through `curata.warehouse`, so writes are atomic on both and paths are the warehouse's own.
"""

from collections.abc import Callable, Mapping
from typing import Any, get_origin

import pyarrow as pa
from dagster import (
    ConfigurableIOManagerFactory,
    InputContext,
    OutputContext,
    ResourceDependency,
    UPathIOManager,
)
from upath import UPath

from curata.catalog import spec_of
from curata.layout import WAREHOUSE
from curata.warehouse import EXTENSION, UNPARTITIONED, Warehouse, partition_file, read_as_dictionary
from resources.curata_settings import CurataSettings
from resources.table_metadata import table_metadata

# Input metadata: give None for an unpartitioned table that was never materialized, instead of failing.
ALLOW_MISSING = "curata/allow_missing"


class TableIOManager(UPathIOManager):
    extension = EXTENSION

    def __init__(self, warehouse: Warehouse, check_root: Callable[[], object] = lambda: None):
        super().__init__(base_path=warehouse.store.path(WAREHOUSE))
        self.warehouse = warehouse
        self.check_root = check_root  # raises, in one sentence, while the data root is unusable

    def handle_output(self, context: OutputContext, obj: Any) -> None:
        self.check_root()
        super().handle_output(context, obj)

    def get_asset_relative_path(self, context: InputContext | OutputContext) -> UPath:
        name = context.asset_key.path[-1]
        return UPath(name) if context.has_asset_partitions else UPath(name, UNPARTITIONED)

    def make_safe_partition_path(self, base_path: UPath, partition: str) -> UPath:
        return base_path / partition_file(partition)

    def dump_to_path(self, context: OutputContext, obj: pa.Table, path: UPath) -> None:
        self.warehouse.write_key(self.warehouse.store.key_of(path.path), obj)

    def load_from_path(self, context: InputContext, path: UPath) -> pa.Table:
        dictionary = read_as_dictionary(context.asset_key.path[-1])
        return self.warehouse.read_key(self.warehouse.store.key_of(path.path), dictionary=dictionary)

    def load_input(self, context: InputContext) -> Any:
        self.check_root()
        if context.has_asset_key and context.has_asset_partitions:
            return self.load_partitions(context)  # also when no partition exists yet: an empty table
        path = self._get_path(context)
        if (context.definition_metadata or {}).get(ALLOW_MISSING) and not self.path_exists(path):
            return None  # the asset says so itself (the health report names what was never materialized)
        return super().load_input(context)

    def load_partitions(self, context: InputContext) -> pa.Table | dict[str, pa.Table]:
        """Only the stored partitions of those asked for: a day without sessions was never materialized.

        Given as one table, or as {partition: table} to an input annotated as a dict.
        """
        table = context.asset_key.path[-1]
        stored = set(self.warehouse.partitions(table))
        keys = [k for k in context.asset_partition_keys if k in stored]
        if _is_mapping(context.dagster_type.typing_type):
            return {k: self.warehouse.read(table, k) for k in keys}
        return self.warehouse.read_all(table, keys) if len(keys) != 1 else self.warehouse.read(table, keys[0])

    def get_metadata(self, context: OutputContext, obj: pa.Table) -> dict[str, Any]:
        if obj is None:
            return {}
        return table_metadata(obj, _declared(context, obj))


def _is_mapping(annotation: object) -> bool:
    """An input annotated `dict[...]` (or a Mapping) asks for {partition: table}."""
    origin = get_origin(annotation) or annotation
    return isinstance(origin, type) and issubclass(origin, Mapping)


def _declared(context: OutputContext, obj: pa.Table) -> pa.Schema:
    try:
        return spec_of(context.asset_key.path[-1]).schema
    except KeyError:  # a table whose shape depends on the run (e.g. the vector width): its own schema
        return obj.schema


class WarehouseIOManager(ConfigurableIOManagerFactory):
    """Stores tables where the `curata` resource says output goes (the data root, or an S3 prefix)."""

    curata: ResourceDependency[CurataSettings]

    def create_io_manager(self, context: Any) -> TableIOManager:
        return TableIOManager(Warehouse(self.curata.unchecked_store), check_root=lambda: self.curata.layout)
