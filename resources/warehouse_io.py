"""IO manager that stores each asset's Arrow table in the warehouse, one Parquet file per partition."""

from pathlib import Path

import pyarrow as pa
from dagster import ConfigurableIOManager, InputContext, OutputContext

from curata.layout import DataRoot
from curata.warehouse import Warehouse


class WarehouseIOManager(ConfigurableIOManager):
    data_root: str

    @property
    def _warehouse(self) -> Warehouse:
        return Warehouse(DataRoot(Path(self.data_root).resolve()).warehouse)

    def handle_output(self, context: OutputContext, obj: pa.Table) -> None:
        if obj is None:
            return
        partition = context.partition_key if context.has_partition_key else None
        path = self._warehouse.write(context.asset_key.path[-1], obj, partition)
        context.add_output_metadata({"rows": obj.num_rows, "path": str(path)})

    def load_input(self, context: InputContext) -> pa.Table:
        table = context.asset_key.path[-1]
        if context.has_asset_partitions:
            keys = list(context.asset_partition_keys)
            if len(keys) == 1:
                return self._warehouse.read(table, keys[0])
            return self._warehouse.read_partitions(table, keys)
        return self._warehouse.read(table)
