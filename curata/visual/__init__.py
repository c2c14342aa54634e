"""Pictures of the data for people to look at: contact sheets, preference pairs, crops, the health history.

Plain Python (Pillow, matplotlib): each function returns PNG bytes small enough to embed in metadata.
"""

from curata.visual.crops import crop_sheet
from curata.visual.health_plot import health_history_png, history_table
from curata.visual.pairs import pair_sheet
from curata.visual.quarantine_sheet import quarantine_sheet

__all__ = ["crop_sheet", "health_history_png", "history_table", "pair_sheet", "quarantine_sheet"]
