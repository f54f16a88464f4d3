"""One bad account must not hurt others: a time zone or a retention that cannot be used is refused where it
enters (sign-up, settings, the model), and rows stored before that are repaired."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from dlquiz.study.models import StudySettings
from dlquiz.study.zones import zone_get
from tests.factories import api_error, client_for, make_user

pytestmark = pytest.mark.django_db

# an unknown key, zone-database directories (ZoneInfo raises OSError), a file that is not a zone, a path
BAD_ZONES = ["Mars/Phobos", "America", "Asia", "zone.tab", "../etc/passwd", "/etc/localtime", "Asia/\x00"]


@pytest.mark.parametrize("name", BAD_ZONES)
def test_zone_get_says_none_for_anything_but_a_zone(name):
    assert zone_get(name) is None


def test_zone_get_finds_real_zones():
    assert str(zone_get("America/Los_Angeles")) == "America/Los_Angeles"
    assert str(zone_get("UTC")) == "UTC"


@pytest.mark.parametrize("name", BAD_ZONES)
def test_signup_refuses_a_time_zone_that_is_not_one(name):
    resp = APIClient().post(
        "/api/v1/auth/signup",
        {"username": "newbie", "password": "a-long-password-42", "timezone": name},
        format="json",
    )
    assert "timezone" in api_error(resp, 400)["fields"]
    assert not get_user_model().objects.filter(username="newbie").exists()


def test_signup_service_refuses_a_directory_of_the_zone_database():
    from dlquiz.accounts.services import user_create
    from dlquiz.errors import ServiceError

    with pytest.raises(ServiceError) as exc:
        user_create(username="newbie", password="a-long-password-42", timezone="America")
    assert "timezone" in exc.value.fields
    assert not get_user_model().objects.filter(username="newbie").exists()


@pytest.mark.parametrize("name", BAD_ZONES)
def test_settings_refuse_a_time_zone_that_is_not_one(name):
    user = make_user(tz="Europe/Berlin")
    c = client_for(user)
    assert (
        "timezone" in api_error(c.patch("/api/v1/settings", {"timezone": name}, format="json"), 400)["fields"]
    )
    assert StudySettings.objects.get(user=user).timezone == "Europe/Berlin"
    for url in ("/api/v1/decks", "/api/v1/study/queue", "/api/v1/dashboard", "/api/v1/settings"):
        assert c.get(url).status_code == 200


def test_the_model_refuses_a_directory_of_the_zone_database():
    prefs = StudySettings(user=make_user(), timezone="America")
    with pytest.raises(ValidationError) as exc:
        prefs.full_clean(exclude=["user"])
    assert "timezone" in exc.value.message_dict


@pytest.mark.parametrize("value", ["NaN", "nan", "Infinity", "-Infinity", "inf", "1e400"])
def test_settings_refuse_non_finite_retention_as_a_string(value):
    user = make_user()
    c = client_for(user)
    err = api_error(c.patch("/api/v1/settings", {"desired_retention": value}, format="json"), 400)
    assert "desired_retention" in err["fields"]
    assert StudySettings.objects.get(user=user).desired_retention == 0.9
    for url in ("/api/v1/settings", "/api/v1/study/queue", "/api/v1/study/extra-new"):
        assert c.get(url).status_code == 200


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400", "-1e400"])
def test_settings_refuse_non_finite_retention_as_a_json_token(token):
    user = make_user()
    c = client_for(user)
    body = f'{{"desired_retention": {token}}}'
    resp = c.patch("/api/v1/settings", body, content_type="application/json")
    api_error(resp, 400)
    assert StudySettings.objects.get(user=user).desired_retention == 0.9


def test_the_model_and_the_service_refuse_nan():
    from dlquiz.errors import ServiceError
    from dlquiz.study.services import settings_update

    user = make_user()
    with pytest.raises(ValidationError) as exc:
        StudySettings(user=user, desired_retention=float("nan")).full_clean(exclude=["user"])
    assert "desired_retention" in exc.value.message_dict
    with pytest.raises(ServiceError) as err:
        settings_update(user=user, desired_retention=float("nan"))
    assert "desired_retention" in err.value.fields
    assert StudySettings.objects.get(user=user).desired_retention == 0.9


def test_migration_repairs_zones_and_retentions_stored_before_validation():
    migration = importlib.import_module("dlquiz.study.migrations.0002_validate_zone_and_retention")
    bad, good = make_user(), make_user(tz="Europe/Berlin", desired_retention=0.8)
    StudySettings.objects.filter(user=bad).update(timezone="America", desired_retention=1.5)
    migration.repair_settings(apps, None)
    assert StudySettings.objects.filter(user=bad).values_list("timezone", "desired_retention").get() == (
        "Asia/Shanghai",
        0.9,
    )
    assert StudySettings.objects.filter(user=good).values_list("timezone", "desired_retention").get() == (
        "Europe/Berlin",
        0.8,
    )
