# SPDX-License-Identifier: GPL-3.0-or-later
"""A running batch sheet's bookkeeping (NO bpy): row states, credits, budget, ETA, the report
file, and the resume plan from journal entries.

Each good row of a sheet becomes a chain of stages, each one Meshy task:
`model` (text preview, image or multi-image), then `refine` (text rows), `rig`, and one
`anim:<id>` per animation, each made from its parent's task id. Every job of a row carries
`options["batch"] = {"sheet", "row", "stage", ...}`, so the journal says, for every task paid
for, which sheet, row and stage it belongs to. Running the same sheet again (or the start-up
recovery) reads that back: a finished stage is not made again, a stage whose task exists is
followed, and a stage that never got a task is made from its parent's task id.
"""

import csv
import io
import os
import tempfile
import time
from dataclasses import dataclass, field

MODEL, REFINE, RIG = "model", "refine", "rig"
ANIMATION_PREFIX = "anim:"

# Row statuses, as the report and the Jobs panel say them.
WAITING = "waiting"
RUNNING = "running"
DONE = "done"
FAILED = "failed"
INVALID = "invalid"
OVER_BUDGET = "not sent: over budget"
STOPPED = "stopped"
SETTLED_ROW = frozenset({DONE, FAILED, INVALID, OVER_BUDGET, STOPPED})

# Journal states of a stage (engine/journal.py, engine/worker.py).
_FINISHED_STATES = frozenset({"imported"})
_GONE_STATES = frozenset({"failed", "deleted", "expired", "discarded"})

REPORT_COLUMNS = ("row", "name", "status", "error", "task_ids", "credits", "library_file", "key")


def animation_stage(action_id):
    return f"{ANIMATION_PREFIX}{action_id}"


def stages_of(spec):
    """[(stage, parent stage)] of a row's normalised request (engine/sheet.py spec), in order."""
    stages = [(MODEL, None)]
    last = MODEL
    if spec.get("refine"):
        stages.append((REFINE, MODEL))
        last = REFINE
    if spec.get("rig"):
        stages.append((RIG, last))
        stages.extend((animation_stage(a), RIG) for a in spec.get("animation", ()))
    return stages


# --- what the journal says about a row ----------------------------------------------------------

def history(entries, sheet):
    """{row key: {stage: entry}} of the journal entries of sheet id `sheet`; for a stage made more
    than once (a failed task made again), the latest entry that still counts."""
    found = {}
    for entry in sorted(entries, key=lambda e: e.get("recorded_at") or 0):
        mark = (entry.get("options") or {}).get("batch") or {}
        if mark.get("sheet") != sheet or not mark.get("row") or not mark.get("stage"):
            continue
        stages = found.setdefault(mark["row"], {})
        known = stages.get(mark["stage"])
        if known is None or stage_state(entry) != "none" or stage_state(known) == "none":
            stages[mark["stage"]] = entry
    return found


def stage_state(entry):
    """"done" (finished and imported or handed on), "live" (its task exists and may still be
    followed) or "none" (no usable task: make it, again if it failed on Meshy)."""
    if not entry:
        return "none"
    state = entry.get("state")
    if state in _FINISHED_STATES:
        return "done"
    if entry.get("task_id") and state not in _GONE_STATES:
        return "live"
    return "none"


def cut_off(entry):
    """When `entry` is a create cut off before its task id was recorded (the process died
    during the POST): the time.time() it was sent, so the task it may have made can be looked
    for (engine/worker.py) rather than paid for again; else None."""
    if entry and entry.get("state") == "submitting" and not entry.get("task_id"):
        return entry.get("created_at") or entry.get("recorded_at")
    return None


@dataclass
class Step:
    """One thing to do for a row: follow a journal entry, or create a stage.

    `entry`: the journal entry followed, or for a create the stage's earlier entry if any (a
    failed task, or a create cut off before its id was recorded: see cut_off()).
    `parent_task`: the task id a created stage is made from (None for the row's first stage).
    `children`: the stages a followed or created stage must hand on to when it succeeds.
    """
    action: str               # "follow" or "create"
    stage: str
    entry: dict = None
    parent_task: str = None
    children: list = field(default_factory=list)


def plan_row(stages, known):
    """The steps that finish a row, given `known` {stage: entry}; [] when it is done.

    A stage with a live task is followed; a missing stage whose parent is done is created from
    the parent's task id; a missing stage under a live or newly created parent is left to that
    parent's follow-up (listed in its `children`). Nothing done is made again.
    """
    state = {name: stage_state(known.get(name)) for name, _parent in stages}
    steps, by_stage = [], {}
    for name, parent in stages:
        if state[name] == "done":
            continue
        if state[name] == "live":
            step = Step("follow", name, entry=known[name])
        elif parent is None:
            step = Step("create", name, entry=known.get(name))
        elif state[parent] == "done":
            step = Step("create", name, entry=known.get(name),
                        parent_task=known[parent].get("task_id"))
        else:
            # Made by its parent's follow-up (or, below a stage that is itself handed on, by
            # that stage's own follow-up).
            if parent in by_stage:
                by_stage[parent].children.append(name)
            continue
        steps.append(step)
        by_stage[name] = step
    return steps


def descendants(stages, name):
    """The stages made (directly or not) from `name`, in order."""
    below, found = {name}, []
    for stage, parent in stages:
        if parent in below:
            below.add(stage)
            found.append(stage)
    return found


# --- the running sheet ----------------------------------------------------------------------------

@dataclass
class RowState:
    number: int
    line: int
    name: str
    key: str = ""
    status: str = WAITING
    error: str = ""
    stages: list = field(default_factory=list)       # [(stage, parent)]
    stage_status: dict = field(default_factory=dict)  # stage -> DONE / FAILED / RUNNING ...
    task_ids: dict = field(default_factory=dict)     # stage -> task id
    credits: dict = field(default_factory=dict)      # stage -> credits charged
    library_files: dict = field(default_factory=dict)  # stage -> .blend in the Meshy library
    cost: int = 0             # credits this run will spend on it (stages still to be made)
    earlier: bool = False     # finished by an earlier run

    def note(self, stage, status, task_id="", credits=0, library_file="", error=""):
        """A stage changed; returns True when the row's status changed."""
        self.stage_status[stage] = status
        if task_id:
            self.task_ids[stage] = task_id
        if credits:
            self.credits[stage] = credits
        if library_file:
            self.library_files[stage] = library_file
        before = self.status
        if status == FAILED:
            self.status, self.error = FAILED, error or self.error
        elif status == STOPPED and self.status != FAILED:
            self.status, self.error = STOPPED, error or self.error
        elif self.status not in (FAILED, STOPPED):
            finished = all(self.stage_status.get(s) == DONE for s, _p in self.stages)
            self.status = DONE if finished else RUNNING
        return self.status != before

    def total_credits(self):
        return sum(self.credits.values())


class Batch:
    """The rows of one running sheet, and what is known of them."""

    def __init__(self, sheet_id, title, rows, budget=0, report_path="", started=None):
        self.sheet_id = sheet_id
        self.title = title
        self.rows = rows                  # [RowState], in sheet order
        self.by_key = {r.key: r for r in rows if r.key}
        self.budget = budget
        self.report_path = report_path
        self.started = time.time() if started is None else started
        self.finished = 0.0

    def counts(self):
        counts = {}
        for row in self.rows:
            counts[row.status] = counts.get(row.status, 0) + 1
        return counts

    def sent(self):
        """Rows this run works on (not invalid, not over the budget)."""
        return [r for r in self.rows if r.status not in (INVALID, OVER_BUDGET)]

    def done(self):
        return sum(1 for r in self.rows if r.status == DONE)

    def failed(self):
        return sum(1 for r in self.rows if r.status in (FAILED, INVALID, STOPPED))

    def credits(self):
        return sum(r.total_credits() for r in self.rows)

    def settled(self):
        return all(r.status in SETTLED_ROW for r in self.rows)

    def ok(self):
        """Every row of the sheet is done."""
        return all(r.status == DONE for r in self.rows)

    def eta(self, now=None):
        """Seconds until the rows sent in this run are settled, from the pace so far (None until
        one of this run's rows has settled)."""
        now = time.time() if now is None else now
        return eta(self.started, now, [r for r in self.sent() if not r.earlier])


def eta(started, now, rows):
    """Seconds left for `rows` at the pace of those already settled (None: nothing to go on)."""
    settled = sum(1 for r in rows if r.status in SETTLED_ROW)
    left = len(rows) - settled
    if left == 0:
        return 0.0
    if settled == 0 or now <= started:
        return None
    return (now - started) / settled * left


def apply_budget(rows, budget, spent=0):
    """Mark rows over the budget: in sheet order, a row goes while the credits already `spent`
    (by earlier runs of the sheet), of the rows sent before it and its own stay within `budget`
    (None: no cap); from the first row that does not fit, none goes. Returns the credits
    committed, `spent` included."""
    committed = spent
    over = False
    for row in rows:
        if row.status in (INVALID, DONE):
            continue
        if budget is not None and (over or committed + row.cost > budget):
            over = True
            row.status = OVER_BUDGET
            row.error = (f"needs {row.cost} credits; {max(budget - committed, 0)} of the "
                         f"budget of {budget} were left")
            continue
        committed += row.cost
    return committed


# --- the report -------------------------------------------------------------------------------

def report_text(batch):
    """The report as CSV text: one line per row of the sheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(REPORT_COLUMNS)
    for row in batch.rows:
        order = [s for s, _p in row.stages]
        writer.writerow([
            row.number, row.name, row.status, row.error,
            ";".join(f"{s}={row.task_ids[s]}" for s in order if s in row.task_ids),
            row.total_credits(),
            ";".join(row.library_files[s] for s in order if s in row.library_files),
            row.key,
        ])
    return out.getvalue()


def write_atomically(path, text):
    """Replace `path` with `text` in one step: a reader sees the old or the new file, never half."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=".report-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.replace(temporary, path)
    except BaseException:
        try:
            os.unlink(temporary)
        except OSError:
            pass
        raise


def read_report(text):
    """{row key: status} from an earlier report's text (unreadable lines are ignored)."""
    found = {}
    try:
        for record in csv.DictReader(io.StringIO(text)):
            if record.get("key"):
                found[record["key"]] = {"status": record.get("status", ""),
                                        "task_ids": record.get("task_ids", ""),
                                        "credits": record.get("credits", ""),
                                        "library_file": record.get("library_file", "")}
    except csv.Error:
        return {}
    return found


def progress_line(batch, row):
    """One line for a row's change: `[3/12] Crate: done (30 credits)`."""
    text = f"[{row.number}/{len(batch.rows)}] {row.name or '(no name)'}: {row.status}"
    credits = row.total_credits()
    if credits:
        text += f" ({credits} credits)"
    if row.error and row.status != DONE:
        text += f" - {row.error}"
    return text


def clock(seconds):
    seconds = max(0, int(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
