"""The establishment page for staff: its locations, features and counts."""
