from __future__ import annotations

from unittest import mock

from django.test import Client


def test_it_is_alive(db: None) -> None:
    response = Client().get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_it_is_ready_when_migrations_are_applied(db: None) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


def test_it_is_not_ready_with_a_migration_pending(db: None) -> None:
    pending = mock.Mock(app_label="people", name="0099_future")
    pending.name = "0099_future"
    with mock.patch("wicketgate.web.health.MigrationExecutor") as executor:
        executor.return_value.migration_plan.return_value = [(pending, False)]
        response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["pending_migrations"] == ["people.0099_future"]


def test_it_refuses_anything_but_get(db: None) -> None:
    assert Client().post("/healthz").status_code == 405
