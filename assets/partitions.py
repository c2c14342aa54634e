"""Partition definitions shared by assets, sensors and schedules."""

from dagster import DailyPartitionsDefinition, DynamicPartitionsDefinition

PARTITION_TAG = "dagster/partition"  # the run tag Dagster gives a partitioned run its partition key in

# Sessions are partitioned by the UTC day of their timestamp; end_offset=1 includes today.
session_days = DailyPartitionsDefinition(start_date="2024-01-01", end_offset=1)

# One partition per finished project folder; the project sensor adds them as folders appear.
historical_projects = DynamicPartitionsDefinition(name="historical_projects")
