"""A catalogue entry (`Prompt`): storage keeps the admins' own, the programme reads them all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

Stage = Literal["start", "substance", "commitments", "closing"]
STAGES: tuple[Stage, ...] = get_args(Stage)


@dataclass(frozen=True)
class Prompt:
    """One catalogue entry: a topic for the pair and its matching prep note for the junior.

    `text` is the topic, posted to the pair (written to the senior: "ask your mentor to…");
    `prep` goes privately to the junior mentor with the choice of topics; `title` is the short
    label the junior picks from. `stage` places it in the programme's arc (`stage_of`). `key`
    is stable, so deliveries can refer to it.
    """

    key: str
    track: str
    text: str
    stage: Stage
    title: str
    prep: str
