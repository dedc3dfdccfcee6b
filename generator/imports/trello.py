"""A Trello board export (Board menu > Print, export and share > Export as JSON) as rows.

Each card becomes a row whose cells are the card's properties (name, desc, list, due,
labels, members, custom fields by name); its comments become touches and its moves
between lists the dates it entered each stage. The lists must be stages: of
dealbook.yaml by name, or through the mapping's `stages:` table; if they are not, a stage
list for dealbook.yaml is suggested instead of importing anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from ..model import ERROR, Config, Problem
from .csvfile import Row, SourceError, Table
from .dealtext import scalar
from .mapping import Mapping, Ref, Spec, Template, extra_key, norm
from .slugs import slugify, unique_names

COLUMNS = (
    "id",
    "name",
    "desc",
    "list",
    "labels",
    "members",
    "first_member",
    "other_members",
    "due",
    "start",
    "created",
    "closed_date",
    "last_activity",
    "url",
)
_CREATED = ("createCard", "copyCard", "convertToCardFromCheckItem", "moveCardToBoard")
# custom fields with these names (loosely) fill the deal field of the same name
_AUTO_FIELDS = {
    norm(f): f
    for f in (
        "client",
        "value",
        "currency",
        "probability",
        "source",
        "expected_close",
        "lost_reason",
        "next_step",
        "owner",
    )
}


@dataclass(frozen=True)
class Board:
    name: str
    table: Table
    lists: list[tuple[str, int]]  # open lists in board order: (name, cards to import)
    defaults: dict[str, Spec]
    default_extra: dict[str, Spec]


def _day(text: object) -> date | None:
    """A Trello timestamp ('2017-09-15T16:14:03.187Z', UTC) -> its date in UTC."""
    if not isinstance(text, str) or not text:
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment.astimezone(UTC) if moment.tzinfo else moment).date()


def _id_day(card_id: str) -> date | None:
    """A real Trello id starts with the Unix time it was made at, in 8 hex digits."""
    if not re.fullmatch(r"[0-9a-f]{24}", card_id):
        return None
    return datetime.fromtimestamp(int(card_id[:8], 16), UTC).date()


def _fail(shown: str, message: str, hint: str, line: int = 1, col: int = 1) -> SourceError:
    return SourceError([Problem(shown, line, col, ERROR, "", message, hint)])


def read_board(data: bytes, shown: str, config: Config) -> Board:
    try:
        board = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise _fail(shown, "the file is not UTF-8", "export the board from Trello again") from None
    except json.JSONDecodeError as exc:
        raise _fail(
            shown,
            f"not valid JSON: {exc.msg}",
            "export the board again (Trello: Menu > Print, export and share > Export as JSON)",
            exc.lineno,
            exc.colno,
        ) from None
    if not isinstance(board, dict) or not isinstance(board.get("cards"), list):
        raise _fail(
            shown,
            "not a Trello board export: there is no 'cards' list",
            "export the board from Trello with Menu > Print, export and share > Export as JSON",
        )
    lists = {lst["id"]: lst for lst in _items(board, "lists") if "id" in lst}
    members = {
        m["id"]: m.get("fullName") or m.get("username") or "" for m in _items(board, "members")
    }
    labels = {lb["id"]: lb.get("name") or lb.get("color") or "" for lb in _items(board, "labels")}
    custom = {cf["id"]: cf for cf in _items(board, "customFields") if "id" in cf}
    by_card: dict[str, list[dict[str, Any]]] = {}
    for action in _items(board, "actions"):
        card = (action.get("data") or {}).get("card") or {}
        if card.get("id"):
            by_card.setdefault(card["id"], []).append(action)

    custom_names = [str(cf.get("name") or "") for cf in custom.values() if cf.get("name")]
    columns = list(COLUMNS) + [n for n in custom_names if n not in COLUMNS]
    rows: list[Row] = []
    skipped: list[tuple[Row, str, str]] = []
    counts: dict[str, int] = {}
    for number, card in enumerate(_items(board, "cards"), start=1):
        lst = lists.get(card.get("idList", ""), {})
        row = _row(number, card, lst, members, labels, custom, by_card.get(card.get("id", ""), []))
        if card.get("closed") or lst.get("closed"):
            skipped.append(
                (
                    row,
                    "archived in Trello"
                    if card.get("closed")
                    else f"in the archived list '{lst.get('name', '')}'",
                    "restore it in Trello and export again to import it",
                )
            )
            continue
        counts[row.cells["list"]] = counts.get(row.cells["list"], 0) + 1
        rows.append(row)
    open_lists = sorted(
        (lst for lst in lists.values() if not lst.get("closed")), key=lambda x: x.get("pos", 0)
    )
    board_lists = [
        (str(lst.get("name", "")), counts.get(str(lst.get("name", "")), 0)) for lst in open_lists
    ]
    table = Table(shown, columns, rows, skipped, f"Trello board '{board.get('name', '')}'")
    defaults, extra = _defaults(config, custom_names)
    return Board(str(board.get("name", "")), table, board_lists, defaults, extra)


def _items(board: dict[str, Any], key: str) -> list[dict[str, Any]]:
    value = board.get(key)
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _row(
    number: int,
    card: dict[str, Any],
    lst: dict[str, Any],
    members: dict[str, str],
    labels: dict[str, str],
    custom: dict[str, dict[str, Any]],
    actions: list[dict[str, Any]],
) -> Row:
    actions = sorted(actions, key=lambda a: str(a.get("date", "")))
    list_name = str(lst.get("name", ""))
    made = [a for a in actions if a.get("type") in _CREATED]
    created = (
        _day(made[0].get("date"))
        if made
        else _id_day(str(card.get("id", "")))
        or (_day(actions[0].get("date")) if actions else None)
        or _day(card.get("dateLastActivity"))
    )
    entered: dict[str, date] = {}  # list name -> first day the card entered it
    last_into_current: date | None = None
    touches: list[tuple[date, str, str]] = []
    for a in actions:
        day = _day(a.get("date"))
        data = a.get("data") or {}
        if day is None:
            continue
        after = data.get("listAfter")
        if a.get("type") == "updateCard" and isinstance(after, dict):
            after_name = str(after.get("name", ""))
            entered.setdefault(after_name, day)
            if after.get("id") == lst.get("id") or after_name == list_name:
                last_into_current = day
        elif a.get("type") == "commentCard" and str(data.get("text", "")).strip():
            touches.append((day, "comment", str(data["text"])))
    if created is not None:
        entered = {k: v for k, v in entered.items() if v >= created}
        touches = [t for t in touches if t[0] >= created]
    closed = last_into_current or (created if made else None) or _day(card.get("dateLastActivity"))
    if created and closed and closed < created:
        closed = created
    names = [members[m] for m in card.get("idMembers", []) if members.get(m)]
    card_labels = card.get("labels") or [{"id": i} for i in card.get("idLabels", [])]
    tags = [
        lb.get("name") or lb.get("color") or labels.get(lb.get("id", ""), "") for lb in card_labels
    ]
    cells = {
        "id": str(card.get("id", "")),
        "name": str(card.get("name") or "").strip(),
        "desc": str(card.get("desc") or "").strip(),
        "list": list_name,
        "labels": ", ".join(t for t in dict.fromkeys(tags) if t),
        "members": ", ".join(names),
        "first_member": names[0] if names else "",
        "other_members": ", ".join(names[1:]),
        "due": _iso(_day(card.get("due"))),
        "start": _iso(_day(card.get("start"))),
        "created": _iso(created),
        "closed_date": _iso(closed),
        "last_activity": _iso(_day(card.get("dateLastActivity"))),
        "url": str(card.get("url") or card.get("shortUrl") or ""),
    }
    for item in card.get("customFieldItems") or []:
        cf = custom.get(item.get("idCustomField", ""))
        if cf and cf.get("name") and cf["name"] not in cells:
            cells[str(cf["name"])] = _custom_value(cf, item)
    return Row(number, f"card {number}", cells, entered, tuple(touches))


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""


def _custom_value(cf: dict[str, Any], item: dict[str, Any]) -> str:
    if item.get("idValue"):
        for option in cf.get("options") or []:
            if option.get("id") == item["idValue"]:
                return str((option.get("value") or {}).get("text", ""))
        return ""
    value = item.get("value") or {}
    if "date" in value:
        return _iso(_day(value["date"]))
    if "checked" in value:
        return "yes" if str(value["checked"]).lower() == "true" else "no"
    return str(value.get("number", value.get("text", ""))).strip()


def _col(name: str) -> tuple[Template, ...]:
    return (Template((Ref(name),)),)


def _defaults(config: Config, custom_names: list[str]) -> tuple[dict[str, Spec], dict[str, Spec]]:
    """What a card's properties fill when the mapping file says nothing else."""
    outcomes = frozenset(s.id for s in config.stages if s.outcome)
    lost = frozenset(s.id for s in config.stages if s.outcome == "lost")
    opened = frozenset(s.id for s in config.open_stages)
    fields = {
        "title": Spec("trello: name", _col("name")),
        "notes": Spec("trello: desc", _col("desc")),
        "stage": Spec("trello: list", _col("list")),
        "created": Spec("trello: created", _col("created")),
        "closed": Spec("trello: closed_date", _col("closed_date"), stages=outcomes),
        "next_step_due": Spec("trello: due", _col("due"), stages=opened),
        "tags": Spec("trello: labels", _col("labels")),
        "owner": Spec("trello: first_member", _col("first_member")),
        "lost_reason": Spec("trello", default="not recorded", stages=lost),
    }
    extra = {
        "trello_card": Spec("trello: url", _col("url")),
        "other_members": Spec("trello: other_members", _col("other_members")),
    }
    for name in custom_names:
        target = _AUTO_FIELDS.get(norm(name))
        if name in COLUMNS:
            continue
        if target == "lost_reason":
            fields[target] = Spec(f"trello: {name}", _col(name), "not recorded", lost)
        elif target:
            fields[target] = Spec(f"trello: {name}", _col(name))
        else:
            key = extra_key(name) or "custom"
            extra[key if key not in fields and key not in extra else f"trello_{key}"] = Spec(
                f"trello: {name}", _col(name)
            )
    return fields, extra


def unmapped_lists(board: Board, mapping: Mapping, config: Config) -> list[str]:
    """Lists holding cards to import that are neither in the stages table nor stages."""
    if mapping.fields.get("stage") is not board.defaults["stage"]:
        return []  # the mapping takes the stage from somewhere else
    known = {norm(s.id) for s in config.stages} | {norm(s.label) for s in config.stages}
    return [
        name
        for name, cards in board.lists
        if cards and norm(name) not in mapping.stages and norm(name) not in known
    ]


def _outcome(name: str) -> str | None:
    words = set(re.findall(r"[a-z]+", name.casefold()))
    if words & {"won", "win", "signed"}:
        return "won"
    if words & {"lost", "lose", "dead", "rejected", "declined"}:
        return "lost"
    return None


def _flow(text: str) -> str:
    """A scalar inside {...}: a comma would end it, so quote text with one."""
    out = scalar(text)
    return out if "," not in out or out.startswith('"') else '"' + out + '"'


def suggestion(board: Board, unmapped: list[str], config: Config) -> list[str]:
    """What to add to dealbook.yaml (or to a --map file) so the board's lists are stages."""
    names = [name for name, _ in board.lists]
    ids = unique_names([slugify(n) or f"list-{i}" for i, n in enumerate(names, start=1)])
    opened = [(n, i) for n, i in zip(names, ids, strict=True) if _outcome(n) is None]
    won = [(n, i) for n, i in zip(names, ids, strict=True) if _outcome(n) == "won"][:1]
    lost = [(n, i) for n, i in zip(names, ids, strict=True) if _outcome(n) == "lost"][:1]
    opened += [
        (n, i) for n, i in zip(names, ids, strict=True) if _outcome(n) and (n, i) not in won + lost
    ]
    which = (
        f"the board's list '{unmapped[0]}' is not a stage"
        if len(unmapped) == 1
        else "the board's lists " + ", ".join(f"'{n}'" for n in unmapped) + " are not stages"
    )
    lines = [
        f"{which} of dealbook.yaml; nothing was imported.",
        "Either make the lists your stages: put this in dealbook.yaml (and check the "
        "probabilities),",
        "",
        "stages:",
    ]
    for k, (name, sid) in enumerate(opened, start=1):
        p = round(k / (len(opened) + 1), 2)
        lines.append(f"  - {{id: {sid}, label: {_flow(name)}, probability: {p}}}")
    for outcome, chosen in (("won", won), ("lost", lost)):
        name, sid = chosen[0] if chosen else (outcome.capitalize(), outcome)
        lines.append(f"  - {{id: {sid}, label: {_flow(name)}, outcome: {outcome}}}")
    open_ids = [s.id for s in config.open_stages]
    lines += [
        "",
        "or map each list onto one of your stages ("
        + ", ".join(s.id for s in config.stages)
        + ") in a file you pass with --map:",
        "",
        "stages:",
    ]
    for name in unmapped:
        kind = _outcome(name)
        stage = config.outcome_stage(kind) if kind else None
        lines.append(f"  {scalar(name)}: {stage.id if stage else open_ids[0]}")
    return lines
