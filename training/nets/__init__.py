"""Networks: one architecture per module."""
