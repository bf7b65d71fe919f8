"""A run: take in the inbox, choose the round and decide every verdict, write the outputs, say the verdict."""
