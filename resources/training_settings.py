"""Training when a dataset is ready: the user's own command, a field of the `training` resource."""

from dagster import ConfigurableResource


class TrainingSettings(ConfigurableResource):
    """`training_command` runs on each newly ready export version (`{export_path}` and $CURATA_EXPORT_PATH name it);
    empty, the default, runs nothing and the training step records that none is configured."""

    training_command: str = ""
