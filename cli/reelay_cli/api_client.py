"""Client for Reelay's REST API, local or deployed; `reelay submit/status/list` and the demo use it."""

from __future__ import annotations

from typing import Any

import httpx

from reelay_cli.errors import UserError

TERMINAL_STATUSES = ("video_generated", "failed")


class ApiError(UserError):
    """The API answered with an error (its one error shape), or could not be reached."""

    def __init__(self, status: int | None, code: str, message: str, field: str | None = None) -> None:
        where = f" ({field})" if field else ""
        prefix = f"HTTP {status} " if status is not None else ""
        super().__init__(f"{prefix}{code}: {message}{where}")
        self.status = status
        self.code = code
        self.field = field


class ReelayClient:
    """`api_url` is the base URL with the stage, e.g. https://abc.execute-api.eu-west-1.amazonaws.com/dev."""

    def __init__(self, api_url: str, api_key: str, timeout: float = 15.0) -> None:
        self.api_url = api_url.rstrip("/")
        self._http = httpx.Client(
            base_url=self.api_url,
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": "reelay-cli"},
            timeout=timeout,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> ReelayClient:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        try:
            answer = self._http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise ApiError(None, "unreachable", f"{self.api_url}: {exc}") from exc
        try:
            body = answer.json()
        except ValueError:
            body = None
        if answer.is_success:
            return body
        error = body.get("error") if isinstance(body, dict) else None
        if isinstance(error, dict):
            raise ApiError(
                answer.status_code,
                str(error.get("code")),
                str(error.get("message")),
                error.get("field"),
            )
        message = body.get("message") if isinstance(body, dict) else answer.text[:200]
        raise ApiError(answer.status_code, "http_error", str(message or answer.reason_phrase))

    def submit(self, request: dict[str, Any], idempotency_key: str | None = None) -> dict[str, Any]:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return dict(self._call("POST", "/v1/product-videos", json=request, headers=headers))

    def get(self, task_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/product-videos/{task_id}"))

    def history(self, task_id: str) -> dict[str, Any]:
        return dict(self._call("GET", f"/v1/product-videos/{task_id}/history"))

    def list(
        self, status: str | None = None, limit: int = 20, cursor: str | None = None, **external: str
    ) -> dict[str, Any]:
        """A page of tasks; `external` filters on source, shop or product_id."""
        params: dict[str, Any] = {"limit": limit, **{k: v for k, v in external.items() if v}}
        if status:
            params["status"] = status
        if cursor:
            params["cursor"] = cursor
        return dict(self._call("GET", "/v1/product-videos", params=params))

    def request_video(self, task_id: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
        return dict(self._call("POST", f"/v1/product-videos/{task_id}/video", json=overrides or {}))

    def regenerate(self, task_id: str, image_prompt: str | None = None) -> dict[str, Any]:
        body = {"image_prompt": image_prompt} if image_prompt else {}
        return dict(self._call("POST", f"/v1/product-videos/{task_id}/regenerate", json=body))

    def reject(self, task_id: str, reason: str | None = None) -> dict[str, Any]:
        body = {"reason": reason} if reason else {}
        return dict(self._call("POST", f"/v1/product-videos/{task_id}/reject", json=body))

    def replay_delivery(self, task_id: str) -> dict[str, Any]:
        return dict(self._call("POST", f"/v1/product-videos/{task_id}/deliveries"))

    def stuck(self, minutes: int, limit: int = 100) -> dict[str, Any]:
        params = {"stuck_for_minutes": minutes, "limit": limit}
        return dict(self._call("GET", "/v1/product-videos", params=params))

    def avatars(self, **filters: str) -> dict[str, Any]:
        return dict(self._call("GET", "/v1/avatars", params=filters))

    def credits(self) -> dict[str, Any]:
        return dict(self._call("GET", "/v1/credits"))

    def connect_shop(self, request: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("POST", "/v1/shop-connections", json=request))

    def shop_connections(self) -> dict[str, Any]:
        return dict(self._call("GET", "/v1/shop-connections"))

    def update_shop_connection(self, connection_id: str, changes: dict[str, Any]) -> dict[str, Any]:
        return dict(self._call("PATCH", f"/v1/shop-connections/{connection_id}", json=changes))

    def disconnect_shop(self, connection_id: str) -> None:
        self._call("DELETE", f"/v1/shop-connections/{connection_id}")
