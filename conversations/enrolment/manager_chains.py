"""Manager-chain checks for a roster (README.md, "The roster"): managers found nowhere, and loops.

Used by `conversations.enrolment.roster_csv`, which reports these under the manager_email column.
Pure, and
linear in the number of people, so a million-row roster is checked in one pass.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

_CHAIN_SHOWN = 8  # longest loop spelt out in full before it is abbreviated


def manager_problems(
    people: Sequence[tuple[int, str, str]], known_managers: Mapping[str, str | None]
) -> list[tuple[int, str]]:
    """(line, message) for each manager_email problem: managers found nowhere, and loops.

    `people` holds (line, email, manager email or "") for each row, emails lowercased;
    `known_managers` the same for people already imported. Rows override the database.
    """
    problems: list[tuple[int, str]] = []
    manager_in_file = {email: manager for _, email, manager in people}
    for line, _, manager in people:
        if manager and manager not in manager_in_file and manager not in known_managers:
            message = f"{manager} is not in this file nor among people already imported"
            problems.append((line, message))

    def next_of(email: str) -> str | None:
        # Rows in the file override the database for the same person.
        if email in manager_in_file:
            found = manager_in_file[email]
        else:
            found = known_managers.get(email) or ""
        if not found or found == email:
            return None  # no manager, or a self-reference already reported
        if found not in manager_in_file and found not in known_managers:
            return None  # reported above
        return found

    # One manager per person makes this a functional graph: walk each chain once. `loop_of`
    # maps everyone on, or leading into, a loop to that loop (shared tuple, never copied).
    loop_of: dict[str, tuple[str, ...]] = {}
    done: set[str] = set()
    for _, email, _ in people:
        path: dict[str, int] = {}  # insertion-ordered: the chain walked from `email`
        node: str | None = email
        while node is not None and node not in done and node not in path:
            path[node] = len(path)
            node = next_of(node)
        loop: tuple[str, ...] | None = None
        if node is not None and node in path:
            loop = tuple(path)[path[node] :]
        elif node is not None:
            loop = loop_of.get(node)
        done.update(path)
        if loop is not None:
            for person in path:
                loop_of[person] = loop

    # Per loop, computed once: where each member sits, and whether the file can fix it.
    positions: dict[int, dict[str, int]] = {}
    fixable: dict[int, bool] = {}
    for line, email, _ in people:
        loop = loop_of.get(email)
        if loop is None:
            continue
        if id(loop) not in positions:
            positions[id(loop)] = {person: i for i, person in enumerate(loop)}
            fixable[id(loop)] = any(person in manager_in_file for person in loop)
        if email in positions[id(loop)]:
            message = f"manager chain loops: {_chain(loop, positions[id(loop)][email])}"
            problems.append((line, message))
        elif not fixable[id(loop)]:
            # Only possible when the database already holds a loop; rows here can mend it.
            message = (
                f"manager chain reaches a loop among people already imported: {_chain(loop, 0)}"
                "; add rows for them with their right managers"
            )
            problems.append((line, message))
    return problems


def _chain(loop: Sequence[str], start: int) -> str:
    """`loop` as "a → b → c → a" starting at index `start`, abbreviated when long."""
    n = len(loop)
    if n + 1 <= _CHAIN_SHOWN:
        people = [loop[(start + i) % n] for i in range(n + 1)]
    else:
        head = [loop[(start + i) % n] for i in range(4)]
        people = [*head, f"… {n - 5} more …", loop[(start - 1) % n], loop[start]]
    return " → ".join(people)
