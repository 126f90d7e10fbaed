"""The price table: USD per million tokens for each model, and each model's cheaper fallback.

Validated when built: a negative, non-numeric, infinite or NaN price, a fallback naming an unknown model, a
fallback that costs more, or a chain that loops back on itself is an error naming the model. Costs are integer
micro-USD, rounded up.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel

MAX_PRICE_USD_PER_MTOK = Decimal(1_000_000)


class PricingError(ValueError):
    """The price table is unusable (the message names the model and the problem)."""


class UnknownModelError(PricingError):
    """A model the price table does not know: refused, never run unpriced."""


class ModelPrice(BaseModel):
    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, alias_generator=to_camel, allow_inf_nan=False
    )

    input_usd_per_mtok: Decimal = Field(ge=0, le=MAX_PRICE_USD_PER_MTOK, description="USD per 1M input tokens.")
    output_usd_per_mtok: Decimal = Field(ge=0, le=MAX_PRICE_USD_PER_MTOK, description="USD per 1M output tokens.")
    fallback: str | None = Field(default=None, description="The cheaper model to downgrade to over budget.")

    @field_validator("input_usd_per_mtok", "output_usd_per_mtok", mode="before")
    @classmethod
    def _numeric(cls, value: Any) -> Any:
        # bool is an int to Python; a price of ``true`` is a typo, not one dollar.
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            raise ValueError(f"must be a number, got {type(value).__name__} {value!r}")
        return value


def _tokens_cost(tokens: int, usd_per_mtok: Decimal) -> int:
    # tokens x (USD per 1e6 tokens) is exactly the cost in micro-USD.
    return math.ceil(tokens * usd_per_mtok)


class PriceTable:
    """Prices by model name, with validated downgrade chains."""

    def __init__(self, models: Mapping[str, ModelPrice]) -> None:
        self._models = dict(models)
        for name in self._models:
            self.chain(name)  # raises on unknown fallbacks, cycles, dearer fallbacks

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> PriceTable:
        from pydantic import ValidationError

        models: dict[str, ModelPrice] = {}
        for name, entry in raw.items():
            try:
                models[name] = ModelPrice.model_validate(entry)
            except ValidationError as exc:
                raise PricingError(f"price of model {name!r} is invalid: {exc}") from None
        return cls(models)

    def __contains__(self, model: object) -> bool:
        return model in self._models

    @property
    def models(self) -> Mapping[str, ModelPrice]:
        return dict(self._models)

    def price(self, model: str) -> ModelPrice:
        try:
            return self._models[model]
        except KeyError:
            raise UnknownModelError(f"model {model!r} is not in the price table; it is refused") from None

    def chain(self, model: str) -> tuple[str, ...]:
        """``model`` followed by its fallbacks, cheapest last."""
        seen: list[str] = []
        current: str | None = model
        while current is not None:
            if current in seen:
                loop = " -> ".join([*seen[seen.index(current) :], current])
                raise PricingError(f"downgrade chain of {model!r} has a cycle: {loop}")
            if current not in self._models:
                where = f"fallback of {seen[-1]!r}" if seen else "model"
                raise UnknownModelError(f"{where} {current!r} is not in the price table")
            if seen:
                dearer, cheaper = self._models[seen[-1]], self._models[current]
                if (
                    cheaper.input_usd_per_mtok > dearer.input_usd_per_mtok
                    or cheaper.output_usd_per_mtok > dearer.output_usd_per_mtok
                ):
                    raise PricingError(f"fallback {current!r} of {seen[-1]!r} costs more; a downgrade must be cheaper")
            seen.append(current)
            current = self._models[current].fallback
        return tuple(seen)

    def estimate(self, model: str, prompt_tokens: int, max_output_tokens: int) -> int:
        """The most a call can cost, in micro-USD: what admission reserves."""
        if prompt_tokens < 0 or max_output_tokens < 0:
            raise ValueError("token counts cannot be negative")
        price = self.price(model)
        return _tokens_cost(prompt_tokens, price.input_usd_per_mtok) + _tokens_cost(
            max_output_tokens, price.output_usd_per_mtok
        )

    def cost(self, model: str, input_tokens: int, output_tokens: int) -> int:
        """What a call cost, in micro-USD, from the provider's usage numbers."""
        return self.estimate(model, input_tokens, output_tokens)
