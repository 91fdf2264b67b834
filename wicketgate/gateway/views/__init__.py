"""The gateway's pages: staff (devices, sessions, lockdowns, what was blocked, a prisoner's browsing) and the prisoner portal's block page and blocked attempts."""
