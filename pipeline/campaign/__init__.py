"""The campaign file (SPEC §2): the model (model.py) and its loader (loader.py)."""

from pipeline.campaign.loader import load, parse
from pipeline.campaign.model import (Campaign, CampaignError, Column, Grading, Limits, Round, Scale, Sheet, Unit,
                                     WorkbookLayout)

__all__ = ["Campaign", "CampaignError", "Column", "Grading", "Limits", "Round", "Scale", "Sheet", "Unit",
           "WorkbookLayout", "load", "parse"]
