"""What the clerk receives: 回复清单 (who to write to), manifest.json, the data/*.csv files."""
