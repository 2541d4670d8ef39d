"""The shop's products and their photos, kept in memory in one platform-neutral shape.

The platforms (shopify.py, woocommerce.py) turn a `Product` into their own JSON; ids come from
the platform too, since Shopify's are 13-digit numbers and WooCommerce's are WordPress post ids.
`Catalog` is thread-safe: the HTTP front and the Python face change it from different threads.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from reelay_local.simulators.shop.errors import UnknownProduct
from reelay_local.simulators.shop.images import ImageFormat, PhotoSpec

MAX_IMAGES = 20


@dataclass(frozen=True)
class ProductImage:
    id: int
    position: int
    created_at: datetime
    width: int
    height: int
    format: ImageFormat
    # The path the HTTP front serves the file at (no query string).
    path: str
    file_name: str
    alt: str | None = None


@dataclass
class Product:
    id: int
    title: str
    description: str
    vendor: str
    product_type: str
    tags: list[str]
    price: str
    sku: str
    # Shopify's handle, WooCommerce's slug: unique in the shop, fixed at creation.
    handle: str
    created_at: datetime
    updated_at: datetime
    # Ids of the parts a platform shows (Shopify's default variant and option); 0 where unused.
    variant_id: int = 0
    option_id: int = 0
    images: list[ProductImage] = field(default_factory=list)
    # WooCommerce's post status ("publish", or "trash" once a merchant trashed it) and its
    # custom fields as the REST API shows them: [{"id", "key", "value"}, ...].
    status: str = "publish"
    meta_data: list[dict[str, Any]] = field(default_factory=list)

    def photo(self, image: ProductImage) -> PhotoSpec:
        return PhotoSpec(
            self.id, image.id, image.position, self.title, image.width, image.height, image.format
        )


# Fields a caller may change after creation (create_product takes the same names).
EDITABLE_FIELDS: tuple[str, ...] = ("title", "description", "vendor", "product_type", "tags", "price", "sku")


class Catalog:
    def __init__(self) -> None:
        self._products: dict[int, Product] = {}
        self._images_by_path: dict[str, tuple[int, int]] = {}
        self._handles: set[str] = set()
        self._lock = threading.RLock()

    @contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the catalog still while a change is made and its webhook payload is taken."""
        with self._lock:
            yield

    def unique_handle(self, wanted: str) -> str:
        """`wanted`, or `wanted-1`, `wanted-2`, ... as both platforms do for a taken handle."""
        with self._lock:
            handle, n = wanted, 0
            while handle in self._handles:
                n += 1
                handle = f"{wanted}-{n}"
            self._handles.add(handle)
            return handle

    def add(self, product: Product) -> None:
        with self._lock:
            self._products[product.id] = product
            for image in product.images:
                self._images_by_path[image.path] = (product.id, image.id)

    def add_image(self, product: Product, image: ProductImage) -> None:
        with self._lock:
            product.images.append(image)
            self._images_by_path[image.path] = (product.id, image.id)

    def remove(self, product_id: int) -> Product:
        """Delete the product for good; its photos stop being served (its handle stays taken)."""
        with self._lock:
            product = self.get(product_id)
            del self._products[product_id]
            for image in product.images:
                self._images_by_path.pop(image.path, None)
            return product

    def get(self, product_id: int) -> Product:
        with self._lock:
            product = self._products.get(product_id)
        if product is None:
            raise UnknownProduct(f"no product with id {product_id}")
        return product

    def all(self) -> list[Product]:
        with self._lock:
            return list(self._products.values())

    def photo_at(self, path: str) -> PhotoSpec | None:
        with self._lock:
            found = self._images_by_path.get(path)
            if found is None:
                return None
            product = self._products[found[0]]
            image = next(image for image in product.images if image.id == found[1])
            return product.photo(image)

    def snapshot(self, product: Product, render: Callable[[Product], dict[str, Any]]) -> dict[str, Any]:
        """`render(product)` taken under the lock, so a payload never mixes two states of a product."""
        with self._lock:
            return render(product)


def now() -> datetime:
    # Both platforms report whole seconds.
    return datetime.now(UTC).replace(microsecond=0)


def handle_for(title: str) -> str:
    """A URL handle from a title: lower case, words joined by '-', letters of any script kept."""
    words = re.findall(r"[^\W_]+", title.lower())
    return "-".join(words)[:200] or "product"


def ascii_file_stem(title: str) -> str:
    """An ASCII file name stem from a title, as an upload tool would name a product photo."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_title.lower())
    return "-".join(words)[:40].strip("-") or "product"
