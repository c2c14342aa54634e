"""The curation app's logs: which variant a person chose and the crop they drew, validated row by row."""

from curata.kinds import InputFolder

CURATION = InputFolder("curation", "curation logs (`selection_only_log.csv`, `select_crop_log.csv`) and their images")
