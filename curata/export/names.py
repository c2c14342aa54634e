"""The published datasets' names, said once: their exports, their probes' tables and the summary use them."""

EDIT_TRIPLETS_NAME = "edit_triplets"
PREFERENCE_PAIRS_NAME = "preference_pairs"  # its spec depends on the vectors' width, so the name stands alone
CROP_BOXES_NAME = "crop_boxes"
