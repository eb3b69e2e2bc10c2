"""What a push did: :class:`PushResult`, the counts the CLI prints and the status keeps."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class PushResult:
    """What one or more batches did: ratings sent and the collector's verdicts."""

    batches: int = 0
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    rejected: int = 0
    clock_offset_s: float | None = None
    conflicts: list[str] = field(default_factory=list)
    #: Ratings sent before that the collector said it lacked, queued again.
    requeued: int = 0
    missing: list[tuple[int, int]] = field(default_factory=list, repr=False)
    #: The collector's verdicts on the ratings it rejected: reason -> count.
    rejected_reasons: dict[str, int] = field(default_factory=dict)

    def add(self, other: PushResult) -> None:
        """Fold a later result into this one."""
        self.missing = other.missing
        for name in ("batches", "sent", "accepted", "duplicate", "conflict", "rejected",
                     "requeued"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        if other.clock_offset_s is not None:
            self.clock_offset_s = other.clock_offset_s
        self.conflicts.extend(other.conflicts)
        for reason, n in other.rejected_reasons.items():
            self.rejected_reasons[reason] = self.rejected_reasons.get(reason, 0) + n

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready counts (conflict ids left out)."""
        data = asdict(self)
        data.pop("conflicts")
        data.pop("missing")
        data.pop("rejected_reasons")
        return data
