"""The prisoner pages for staff: the list, a prisoner's profile, and the changes staff make there (alerts, incentive reviews, moves, unlocking an account or a device)."""
