"""The campaign file (SPEC §2): the model and its loader."""

from pipeline.campaign.loader import load, parse
from pipeline.campaign.model import (
                                     Band,
                                     Campaign,
                                     CampaignError,
                                     Cap,
                                     Column,
                                     Criterion,
                                     Form,
                                     Grading,
                                     InfoField,
                                     Limits,
                                     Option,
                                     RequiredActivity,
                                     Round,
                                     Scale,
                                     Sheet,
                                     Unit,
                                     Veto,
                                     WorkbookLayout,
)

__all__ = ["Band", "Campaign", "CampaignError", "Cap", "Column", "Criterion", "Form", "Grading", "InfoField", "Limits",
           "Option", "RequiredActivity", "Round", "Scale", "Sheet", "Unit", "Veto", "WorkbookLayout", "load", "parse"]
