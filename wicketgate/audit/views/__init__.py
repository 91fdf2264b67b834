"""The audit log's pages for staff: searching it, exporting it, one event, a prisoner's timeline."""
