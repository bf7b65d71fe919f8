"""What units receive: the templates (with their live preview) and the returned copies of their own workbooks."""
