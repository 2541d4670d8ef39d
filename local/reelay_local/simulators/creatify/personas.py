"""The avatar ("persona") catalogue: deterministic, so an id copied today still works tomorrow.

Ids are uuid5 values from a fixed namespace and the creator's name; timestamps are fixed. Preview
URLs point under the simulator's base URL: the images are drawn on request, the preview videos are
not served (Reelay never fetches them).
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from typing import Any

GENDERS: tuple[str, ...] = ("m", "f", "nb")
AGE_RANGES: tuple[str, ...] = ("child", "teen", "adult", "senior")

# Fixed forever: changing it would change every persona id.
PERSONA_NAMESPACE = uuid.UUID("6f1c1e7e-3a55-4e0b-9a5e-1d2c7b0f5a11")


@dataclass(frozen=True)
class Persona:
    creator_name: str
    gender: str
    age_range: str
    location: str
    style: str
    video_scene: str
    suitable_industries: str
    keywords: str

    @property
    def id(self) -> str:
        return str(uuid.uuid5(PERSONA_NAMESPACE, self.creator_name))


_P = Persona
PERSONAS: tuple[Persona, ...] = (
    _P(
        "Maya",
        "f",
        "adult",
        "outdoor",
        "selfie",
        "park",
        "fashion,apparel,footwear",
        "sporty,energetic,casual",
    ),
    _P(
        "Jonah",
        "m",
        "adult",
        "indoor",
        "presenter",
        "studio",
        "electronics,tech,gadgets",
        "calm,expert,clear",
    ),
    _P("Priya", "f", "adult", "indoor", "ugc", "kitchen", "food,beverage,kitchenware", "warm,friendly,home"),
    _P(
        "Theo",
        "m",
        "teen",
        "outdoor",
        "selfie",
        "skatepark",
        "footwear,games,apparel",
        "playful,trendy,street",
    ),
    _P(
        "Alex",
        "nb",
        "adult",
        "indoor",
        "ugc",
        "living room",
        "beauty,skincare,wellness",
        "honest,relaxed,genuine",
    ),
    _P(
        "Rosa",
        "f",
        "senior",
        "indoor",
        "presenter",
        "library",
        "books,home,garden",
        "trustworthy,gentle,wise",
    ),
    _P(
        "Kenji",
        "m",
        "adult",
        "indoor",
        "presenter",
        "office",
        "software,finance,saas",
        "professional,concise",
    ),
    _P(
        "Lena",
        "f",
        "adult",
        "outdoor",
        "lifestyle",
        "beach",
        "travel,swimwear,sunscreen",
        "sunny,relaxed,summer",
    ),
    _P("Omar", "m", "adult", "indoor", "ugc", "gym", "fitness,supplements,sportswear", "strong,motivating"),
    _P(
        "Sofia",
        "f",
        "teen",
        "indoor",
        "selfie",
        "bedroom",
        "beauty,accessories,stationery",
        "bubbly,trendy,fun",
    ),
    _P(
        "Walter",
        "m",
        "senior",
        "outdoor",
        "lifestyle",
        "garden",
        "garden,tools,outdoor",
        "experienced,calm,handy",
    ),
    _P("Noor", "f", "adult", "indoor", "presenter", "studio", "jewelry,watches,luxury", "elegant,polished"),
    _P("Sam", "nb", "teen", "outdoor", "selfie", "street", "music,headphones,gaming", "creative,bold,young"),
    _P("Grace", "f", "senior", "indoor", "ugc", "kitchen", "kitchenware,food,home", "homely,kind,caring"),
    _P(
        "Diego",
        "m",
        "adult",
        "outdoor",
        "lifestyle",
        "rooftop",
        "beverage,fashion,sunglasses",
        "charming,social",
    ),
    _P("Hana", "f", "adult", "indoor", "lifestyle", "cafe", "coffee,mugs,stationery", "cozy,thoughtful"),
    _P("Ravi", "m", "adult", "indoor", "ugc", "desk", "electronics,headphones,gadgets", "curious,techie"),
    _P(
        "Iris",
        "nb",
        "adult",
        "outdoor",
        "lifestyle",
        "forest",
        "outdoor,camping,bottles",
        "adventurous,earthy",
    ),
    _P("Ben", "m", "child", "indoor", "ugc", "playroom", "toys,kids,games", "cheerful,curious"),
    _P("Lily", "f", "child", "outdoor", "selfie", "playground", "toys,kids,snacks", "happy,lively"),
    _P(
        "Marcus",
        "m",
        "adult",
        "indoor",
        "presenter",
        "showroom",
        "automotive,tools,hardware",
        "confident,direct",
    ),
    _P("Chloe", "f", "adult", "indoor", "selfie", "bathroom", "skincare,beauty,haircare", "fresh,honest"),
    _P(
        "Ahmed", "m", "senior", "indoor", "presenter", "study", "finance,insurance,health", "reassuring,clear"
    ),
    _P("Yuki", "f", "teen", "indoor", "ugc", "desk", "stationery,games,anime", "cute,enthusiastic"),
    _P(
        "Jordan",
        "nb",
        "adult",
        "indoor",
        "presenter",
        "studio",
        "fashion,beauty,lifestyle",
        "stylish,articulate",
    ),
    _P("Elena", "f", "adult", "outdoor", "lifestyle", "vineyard", "wine,food,travel", "sophisticated,warm"),
    _P("Tom", "m", "adult", "outdoor", "ugc", "trail", "sportswear,footwear,bottles", "active,down-to-earth"),
    _P("Amara", "f", "adult", "indoor", "ugc", "living room", "home,decor,candles", "calm,tasteful"),
    _P(
        "Felix",
        "m",
        "teen",
        "indoor",
        "selfie",
        "gaming room",
        "gaming,headphones,energy drinks",
        "hyped,fast",
    ),
    _P("Margaret", "f", "senior", "outdoor", "lifestyle", "porch", "home,garden,tea", "gracious,gentle"),
    _P("Luis", "m", "adult", "indoor", "presenter", "kitchen", "kitchenware,food,appliances", "chef,expert"),
    _P("Zoe", "f", "adult", "outdoor", "selfie", "city", "fashion,bags,watches", "urban,confident"),
    _P("River", "nb", "teen", "outdoor", "lifestyle", "lake", "outdoor,swimwear,bottles", "free,easygoing"),
    _P("Daniel", "m", "adult", "indoor", "ugc", "garage", "tools,hardware,automotive", "practical,handy"),
    _P("Mei", "f", "adult", "indoor", "presenter", "studio", "electronics,watches,gadgets", "precise,modern"),
    _P("Arthur", "m", "senior", "indoor", "ugc", "den", "watches,books,pipes", "classic,distinguished"),
)

_BY_ID: dict[str, Persona] = {persona.id: persona for persona in PERSONAS}

# Fixed so answers are byte-for-byte repeatable across runs.
_CREATED_AT = "2024-09-12T08:30:00Z"
_UPDATED_AT = "2025-03-04T16:45:00Z"


def get_persona(persona_id: str) -> Persona | None:
    return _BY_ID.get(persona_id.lower())


def filter_personas(age_ranges: set[str] | None, genders: set[str] | None) -> list[Persona]:
    return [
        persona
        for persona in PERSONAS
        if (not age_ranges or persona.age_range in age_ranges) and (not genders or persona.gender in genders)
    ]


def pick_persona(product_url: str, product_name: str) -> Persona:
    """Who presents a product when the caller did not choose: an adult whose industries fit.

    Stable per product URL, like a recommender that always suggests the same face for a product.
    """
    wanted = _stems(product_name)
    adults = [persona for persona in PERSONAS if persona.age_range == "adult"]
    fitting = [
        persona for persona in adults if wanted & _stems(f"{persona.suitable_industries},{persona.keywords}")
    ]
    pool = fitting or adults
    index = int.from_bytes(hashlib.sha256(product_url.encode()).digest()[:4], "big") % len(pool)
    return pool[index]


def _stems(text: str) -> set[str]:
    # Crude singular form, enough to match "Headphones" in a product name with "headphones".
    return {word.lower().rstrip("s") for word in re.split(r"[\s,]+", text) if word}


def persona_json(persona: Persona, base_url: str) -> dict[str, Any]:
    """A Persona as the API shows it, in the documented field order."""
    pid = persona.id
    image = f"{base_url}/media/personas/{pid}"
    video = f"{base_url}/media/personas/{pid}"
    return {
        "id": pid,
        "created_at": _CREATED_AT,
        "updated_at": _UPDATED_AT,
        "gender": persona.gender,
        "creator_name": persona.creator_name,
        "suitable_industries": persona.suitable_industries,
        "preview_image_16_9": f"{image}/preview_16x9.jpg",
        "preview_image_1_1": f"{image}/preview_1x1.jpg",
        "preview_image_9_16": f"{image}/preview_9x16.jpg",
        "preview_video_16_9": f"{video}/preview_16x9.mp4",
        "preview_video_1_1": f"{video}/preview_1x1.mp4",
        "preview_video_9_16": f"{video}/preview_9x16.mp4",
        "landscape_preview_video": f"{video}/preview_16x9.mp4",
        "squared_preview_video": f"{video}/preview_1x1.mp4",
        "portrait_preview_video": f"{video}/preview_9x16.mp4",
        "is_active": True,
        "process_status": "done",
        "failed_reason": "",
        "type": "normal",
        "age_range": persona.age_range,
        "location": persona.location,
        "style": persona.style,
        "video_scene": persona.video_scene,
        "keywords": persona.keywords,
    }
