"""Typed getters over one JSON object, raising errors that name the file and the dotted field."""

from __future__ import annotations

import math
from typing import Any

from yourtts_onnx.errors import CheckpointError


class ConfigFields:
    """Typed getters over one JSON object that raise errors naming the file and the dotted field."""

    def __init__(self, data: Any, source: str, prefix: str = "") -> None:
        if not isinstance(data, dict):
            raise CheckpointError(f"{source}: '{prefix or '<root>'}' must be a JSON object")
        self.data = data
        self.source = source
        self.prefix = prefix

    def _name(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def _get(self, key: str, default: Any, required: bool) -> Any:
        if key not in self.data or self.data[key] is None:
            if required:
                raise CheckpointError(f"{self.source}: missing field '{self._name(key)}'")
            return default
        return self.data[key]

    def int(
        self, key: str, default: int | None = None, *, required: bool = False, positive: bool = False
    ) -> int:
        value = self._get(key, default, required and default is None)
        if isinstance(value, float) and value.is_integer():
            value = int(value)  # some JSON writers emit 16000.0
        if isinstance(value, bool) or not isinstance(value, int):
            raise CheckpointError(
                f"{self.source}: field '{self._name(key)}' must be an integer, got {value!r}"
            )
        if positive and value <= 0:
            raise CheckpointError(
                f"{self.source}: field '{self._name(key)}' must be a positive integer, got {value}"
            )
        return value

    def float(self, key: str, default: float | None = None, *, required: bool = False) -> float:
        value = self._get(key, default, required and default is None)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise CheckpointError(f"{self.source}: field '{self._name(key)}' must be a number, got {value!r}")
        return float(value)

    def optional_float(self, key: str) -> float | None:
        value = self.data.get(key)
        if value is None:
            return None
        return self.float(key)

    def bool(self, key: str, default: bool | None = None, *, required: bool = False) -> bool:
        value = self._get(key, default, required and default is None)
        if not isinstance(value, bool):
            raise CheckpointError(
                f"{self.source}: field '{self._name(key)}' must be true or false, got {value!r}"
            )
        return value

    def str(self, key: str, default: str | None = None, *, required: bool = False) -> str:
        value = self._get(key, default, required and default is None)
        if not isinstance(value, str):
            raise CheckpointError(f"{self.source}: field '{self._name(key)}' must be a string, got {value!r}")
        return value

    def optional_str(self, key: str) -> str | None:
        value = self.data.get(key)
        if value is None or isinstance(value, str):
            return value
        raise CheckpointError(f"{self.source}: field '{self._name(key)}' must be a string or null")

    def int_list(self, key: str, default: list[int] | None = None) -> tuple[int, ...]:
        value = self._get(key, default, default is None)
        if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value
        ):
            raise CheckpointError(f"{self.source}: field '{self._name(key)}' must be a list of integers")
        return tuple(value)

    def int_list_list(self, key: str, default: list[list[int]] | None = None) -> tuple[tuple[int, ...], ...]:
        value = self._get(key, default, default is None)
        ok = isinstance(value, list) and all(
            isinstance(row, list) and all(isinstance(v, int) and not isinstance(v, bool) for v in row)
            for row in value
        )
        if not ok:
            raise CheckpointError(f"{self.source}: field '{self._name(key)}' must be a list of integer lists")
        return tuple(tuple(row) for row in value)

    def child(self, key: str, *, required: bool = True) -> ConfigFields:
        value = self._get(key, {}, required)
        return ConfigFields(value, self.source, self._name(key))
