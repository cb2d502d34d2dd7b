"""Group commit without a thread of its own: callers stage entries, and the first caller that
waits while no commit is under way commits every entry staged so far (one write, one sync for
all of them); the others wait for it, and one of those still waiting leads the next commit.

    group = GroupCommit(commit)          # commit(entries) settles each entry's ticket
    ticket = group.stage(entry)          # cheap; the caller may stage on an event loop
    result = group.wait(ticket)          # blocks: leads a commit or waits for the one under way

Whoever leads does the work on its own thread, so a request costs no hand-off to a writer
thread and back; only the followers of a commit are woken when it ends. Commits never overlap,
so they settle entries in the order they were staged.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Ticket:
    """An entry's outcome: the result of its commit, or the error that kept it off disk."""

    __slots__ = ("done", "result", "error")

    def __init__(self) -> None:
        self.done = False
        self.result: Any = None
        self.error: BaseException | None = None

    def settle(self, result: Any = None, error: BaseException | None = None) -> None:
        self.result, self.error = result, error
        self.done = True


class GroupCommit:
    def __init__(self, commit: Callable[[list[tuple[Any, Ticket]]], None]):
        # commit(entries) makes the entries durable and settles every ticket; an exception it
        # raises settles the tickets it left unsettled with that error
        self._commit = commit
        self.cond = threading.Condition(threading.Lock())
        self._staged: list[tuple[Any, Ticket]] = []
        self._committing = False

    def stage(self, entry: Any) -> Ticket:
        """Queue `entry` for the next commit."""
        ticket = Ticket()
        with self.cond:
            self._staged.append((entry, ticket))
        return ticket

    def wait(self, ticket: Ticket, timeout: float = 120.0) -> Any:
        """The result of the ticket's commit, once it is settled; raises its error."""
        with self.cond:
            while not ticket.done:
                if self._committing:
                    if not self.cond.wait(timeout):
                        raise TimeoutError("the commit under way did not end in time")
                    continue
                self._lead()
        if ticket.error is not None:
            raise ticket.error
        return ticket.result

    def _lead(self) -> None:
        """With the lock held: commit everything staged, releasing the lock while doing so."""
        entries, self._staged = self._staged, []
        self._committing = True
        self.cond.release()
        try:
            self._commit(entries)
        except BaseException as e:
            for _, ticket in entries:
                if not ticket.done:
                    ticket.settle(error=e)
        finally:
            self.cond.acquire()
            self._committing = False
            self.cond.notify_all()

    def exclusive(self, task: Callable[[], Any]) -> Any:
        """Commit what is staged, then run `task` with the lock held and no commit under way:
        nothing can be staged or committed until it returns."""
        with self.cond:
            while self._committing or self._staged:
                if self._committing:
                    self.cond.wait()
                else:
                    self._lead()
            return task()
