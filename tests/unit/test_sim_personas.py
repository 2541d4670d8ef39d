"""The persona catalogue: stable ids, documented enums, filters and the automatic pick."""

from __future__ import annotations

import uuid

from reelay_local.simulators.creatify import personas


def test_catalogue_has_about_three_dozen_personas_with_stable_uuid5_ids() -> None:
    assert len(personas.PERSONAS) == 36
    ids = [persona.id for persona in personas.PERSONAS]
    assert len(set(ids)) == len(ids)
    maya = personas.PERSONAS[0]
    assert maya.id == str(uuid.uuid5(uuid.UUID("6f1c1e7e-3a55-4e0b-9a5e-1d2c7b0f5a11"), "Maya"))


def test_every_persona_uses_the_documented_enums_and_covers_them() -> None:
    assert {p.gender for p in personas.PERSONAS} == set(personas.GENDERS)
    assert {p.age_range for p in personas.PERSONAS} == set(personas.AGE_RANGES)


def test_persona_json_points_previews_under_the_base_url() -> None:
    shown = personas.persona_json(personas.PERSONAS[1], "http://127.0.0.1:5000")
    assert shown["id"] == personas.PERSONAS[1].id
    assert shown["preview_image_9_16"].startswith("http://127.0.0.1:5000/media/personas/")
    assert shown["is_active"] is True


def test_filters_combine_age_range_and_gender() -> None:
    picked = personas.filter_personas({"senior"}, {"m"})
    assert picked and all(p.age_range == "senior" and p.gender == "m" for p in picked)
    assert personas.filter_personas(None, None) == list(personas.PERSONAS)


def test_lookup_is_case_insensitive_and_unknown_ids_are_none() -> None:
    first = personas.PERSONAS[0]
    assert personas.get_persona(first.id.upper()) == first
    assert personas.get_persona(str(uuid.uuid4())) is None


def test_the_automatic_pick_is_a_stable_adult_who_fits_the_product() -> None:
    picked = personas.pick_persona("https://cdn.example.com/headphones.png", "Headphones")
    assert picked.age_range == "adult"
    assert "headphones" in picked.suitable_industries
    assert personas.pick_persona("https://cdn.example.com/headphones.png", "Headphones") == picked
