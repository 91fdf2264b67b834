"""The policy pages: staff (the catalogue, rules, proposals, exceptions, why a request was decided so, site requests) and the prisoner portal (what I can use, asking for a site)."""
