"""Partition definitions shared by assets, sensors and schedules."""

from dagster import DailyPartitionsDefinition

# Sessions are partitioned by the UTC day of their timestamp; end_offset=1 includes today.
session_days = DailyPartitionsDefinition(start_date="2024-01-01", end_offset=1)
