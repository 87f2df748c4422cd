"""Channel canvases for the fake Slack Web API: canvases that keep their sections, like Slack's.

A canvas is a list of sections; a section is a heading line (``#`` to ``######``) with the lines under
it up to the next heading (text before the first heading is a section without a heading).
``conversations.info`` shows the channel's canvas, ``conversations.canvases.create`` makes it,
``canvases.sections.lookup`` finds heading sections by text and ``canvases.edit`` replaces one section
or adds content at the end. Tests set up what people wrote with :meth:`CanvasMethods.people_write` and
read the canvas back as a person would see it with :meth:`CanvasMethods.canvas_text`.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

_HEADING = re.compile(r"^#{1,6} ")
_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")  # CommonMark: a backslash before ASCII punctuation


@dataclass
class Section:
    id: str
    lines: list[str]

    @property
    def heading(self) -> str | None:
        return self.lines[0] if self.lines and _HEADING.match(self.lines[0]) else None


@dataclass
class Canvas:
    id: str
    channel: str
    team_id: str
    sections: list[Section] = field(default_factory=list)


@dataclass
class CanvasMethods:
    canvases: dict[str, Canvas] = field(default_factory=dict)  # canvas id → canvas
    channel_canvas: dict[str, str] = field(default_factory=dict)  # channel → its canvas id (kept when deleted)
    no_canvas_plan: set[str] = field(default_factory=set)  # workspaces whose plan cannot create channel canvases
    _section_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    # --- set-up and reading back --------------------------------------------------------------------

    def people_write(self, channel: str, markdown: str, *, team_id: str = "T1") -> Canvas:
        """A person adds a canvas to the channel (or writes more into it)."""
        canvas = self._canvas_of(channel)
        if canvas is None:
            canvas = Canvas(f"F{channel}{len(self.canvases) + 1}", channel, team_id)
            self.canvases[canvas.id] = canvas
            self.channel_canvas[channel] = canvas.id
        canvas.sections += self._sections(markdown)
        return canvas

    def delete_canvas(self, channel: str) -> None:
        """Someone deletes the channel's canvas (the channel still points at it, as Slack's does for a while)."""
        self.canvases.pop(self.channel_canvas[channel], None)

    def delete_section(self, channel: str, contains: str) -> None:
        canvas = self._canvas_of(channel)
        assert canvas is not None
        canvas.sections = [s for s in canvas.sections if not (s.heading and contains in s.heading)]

    def canvas_markdown(self, channel: str) -> str:
        canvas = self._canvas_of(channel)
        return "" if canvas is None else "\n".join(line for s in canvas.sections for line in s.lines)

    def canvas_text(self, channel: str) -> str:
        """The canvas as a person reads it: markdown escapes undone."""
        return _ESCAPED.sub(r"\1", self.canvas_markdown(channel))

    def _canvas_of(self, channel: str) -> Canvas | None:
        canvas_id = self.channel_canvas.get(channel)
        return self.canvases.get(canvas_id) if canvas_id else None

    def _sections(self, markdown: str) -> list[Section]:
        sections: list[Section] = []
        for line in markdown.rstrip("\n").split("\n"):
            if not sections or _HEADING.match(line):
                sections.append(Section(f"temp:C{next(self._section_ids)}", []))
            sections[-1].lines.append(line)
        return sections

    def _channel_problem(self, channel: str) -> str | None:
        raise NotImplementedError

    # --- the Web API methods ------------------------------------------------------------------------

    def _conversations_info(self, ws: Any, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel") or "")
        if problem := self._channel_problem(channel):
            return {"ok": False, "error": problem}
        properties = {"canvas": {"file_id": self.channel_canvas[channel]}} if channel in self.channel_canvas else {}
        return {"ok": True, "channel": {"id": channel, "properties": properties}}

    def _conversations_canvases_create(self, ws: Any, params: dict[str, Any]) -> dict[str, Any]:
        channel = str(params.get("channel_id") or "")
        if problem := self._channel_problem(channel):
            return {"ok": False, "error": problem}
        if ws.team_id in self.no_canvas_plan:
            return {"ok": False, "error": "team_tier_cannot_create_channel_canvases"}
        if self._canvas_of(channel) is not None:
            return {"ok": False, "error": "channel_canvas_already_exists"}
        content = _json(params.get("document_content")) or {}
        self.channel_canvas.pop(channel, None)
        canvas = self.people_write(channel, str(content.get("markdown") or ""), team_id=ws.team_id)
        return {"ok": True, "canvas_id": canvas.id}

    def _canvases_sections_lookup(self, ws: Any, params: dict[str, Any]) -> dict[str, Any]:
        canvas = self.canvases.get(str(params.get("canvas_id") or ""))
        if canvas is None or canvas.team_id != ws.team_id:
            return {"ok": False, "error": "canvas_not_found"}
        criteria = _json(params.get("criteria")) or {}
        text = str(criteria.get("contains_text") or "")
        found = [{"id": s.id} for s in canvas.sections if s.heading is not None and text in s.heading]
        return {"ok": True, "sections": found}

    def _canvases_edit(self, ws: Any, params: dict[str, Any]) -> dict[str, Any]:
        canvas = self.canvases.get(str(params.get("canvas_id") or ""))
        if canvas is None or canvas.team_id != ws.team_id:
            return {"ok": False, "error": "canvas_not_found"}
        for change in _json(params.get("changes")) or []:
            new = self._sections(str((change.get("document_content") or {}).get("markdown") or ""))
            if change.get("operation") == "insert_at_end":
                canvas.sections += new
            elif change.get("operation") == "replace" and change.get("section_id"):
                at = [i for i, s in enumerate(canvas.sections) if s.id == change["section_id"]]
                if not at:
                    return {"ok": False, "error": "canvas_editing_failed"}
                canvas.sections[at[0] : at[0] + 1] = new
            else:
                return {"ok": False, "error": "invalid_arguments"}
        return {"ok": True}


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value
