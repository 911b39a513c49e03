"""Communication and access needs: how each person wants us to contact them, and what helps."""
