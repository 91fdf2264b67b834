"""The video-call pages: staff (bookings, sessions, settings, live calls), the family portal, the prisoner portal, and the call page itself."""
