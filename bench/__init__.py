"""`make bench`: page and query times at province scale (budgets live here, not in tests)."""
