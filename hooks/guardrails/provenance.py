"""Argument provenance: what each conversation's tool results said, so a value the user never gave stands out.

An agent hijacked through a tool result typically passes on a value it read there (an attacker's email
address, IBAN or URL). ``ConversationMemory`` keeps a bounded record of recent tool-result text per
conversation; ``foreign_values`` names the arguments whose value appears in that text but in none of the
user's own messages.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

#: Tool-result text remembered per conversation (oldest dropped first). Bounded so that a provenance
#: check stays a fast substring scan however long the conversation runs.
MAX_CHARS_PER_CONVERSATION = 262_144


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def iter_strings(value: Any, max_depth: int = 64) -> Iterator[str]:
    """Every string (and number, as text) inside a JSON-like value, depth-bounded."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, int | float):
            yield str(item)
        elif depth < max_depth and isinstance(item, Mapping):
            stack.extend((v, depth + 1) for v in item.values())
        elif depth < max_depth and isinstance(item, list | tuple):
            stack.extend((v, depth + 1) for v in item)


class ConversationMemory:
    """Recent tool-result text per conversation, bounded in conversations and characters."""

    def __init__(self, max_conversations: int = 10_000, max_chars: int = MAX_CHARS_PER_CONVERSATION) -> None:
        self._texts: OrderedDict[str, deque[str]] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self._max_conversations = max_conversations
        self._max_chars = max_chars

    def record_result(self, conversation_id: str, result: Any) -> None:
        texts = self._texts.setdefault(conversation_id, deque())
        self._texts.move_to_end(conversation_id)
        for text in iter_strings(result):
            folded = _fold(text)[: self._max_chars]
            texts.append(folded)
            self._sizes[conversation_id] = self._sizes.get(conversation_id, 0) + len(folded)
        while self._sizes.get(conversation_id, 0) > self._max_chars and texts:
            self._sizes[conversation_id] -= len(texts.popleft())
        while len(self._texts) > self._max_conversations:
            dropped, _ = self._texts.popitem(last=False)
            self._sizes.pop(dropped, None)

    def seen_in_results(self, conversation_id: str, value: str) -> bool:
        needle = _fold(value)
        return bool(needle) and any(needle in text for text in reversed(self._texts.get(conversation_id, ())))


def foreign_values(
    tool_input: Mapping[str, Any],
    *,
    arguments: Iterable[str],
    user_messages: Sequence[str],
    memory: ConversationMemory,
    conversation_id: str,
    min_length: int = 4,
) -> list[str]:
    """Names of the watched arguments whose value came from a tool result and not from the user."""
    watched = {name.casefold() for name in arguments}
    said = [_fold(message) for message in user_messages]
    flagged: list[str] = []
    for name, value in tool_input.items():
        if name.casefold() not in watched:
            continue
        for text in iter_strings(value, max_depth=8):
            folded = _fold(text)
            if len(folded) < min_length or any(folded in message for message in said):
                continue
            if memory.seen_in_results(conversation_id, text):
                flagged.append(name)
                break
    return flagged
