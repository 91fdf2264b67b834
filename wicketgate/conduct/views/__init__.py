"""The conduct pages: staff (incidents, sanctions, alerts) and the prisoner portal."""
