# SPDX-License-Identifier: GPL-3.0-or-later
"""Batch sheets in Blender: a sheet's rows become job chains in the one engine, into the library.

engine/sheet.py reads and checks a sheet and engine/batch.py keeps a running sheet's books (both
without bpy). Here, on the main thread:
- plan() turns every good row into its chain of requests, built by request.py from the add-on's
  defaults (Scene.meshy's RNA defaults, never the open file's sidebar) + the sheet's settings +
  the row, and prices it; the journal and an earlier report say what is already done or running;
- send() submits the chains through jobs.submit (the engine's concurrency cap applies) or
  follows the tasks an earlier run started (engine.resume): nothing finished is paid twice;
- a jobs listener keeps each sheet's row states, its grouped row in the Jobs panel
  (WindowManager.meshy.batches) and its report file current;
- resume_entries() routes the start-up recovery's batch entries back into their sheet.
"""

import os
import time
import types
from dataclasses import dataclass

import bpy

from . import jobs, preferences, request
from .api import tasks
from .engine import FAILED as JOB_FAILED
from .engine import DONE as JOB_DONE
from .engine import STOPPED as JOB_STOPPED
from .engine import batch as book
from .engine import sheet as sheets
from .engine import stand_in_payload
from .engine.journal import owner_alive
from .properties import SUPPORTED_IMAGE_EXTENSIONS

SheetError = sheets.SheetError
MODES = {"text": 'TEXT_TO_3D', "image": 'IMAGE_TO_3D', "multi-image": 'MULTI_IMAGE_TO_3D'}
DEFAULT_CATALOG = "Meshy/Batch/{title}"
RIG_ROLES = ["rigged_character", "walking", "running", "thumbnail"]
ANIMATION_ROLES = ["animation", "thumbnail"]

_running = {}      # sheet id -> Run, while its rows are being made
_last = {"run": None}   # the last run planned or finished here (the CLI's exit code)


@dataclass
class Stage:
    """One request of a row's chain: made directly, or from its parent's task id."""
    kind: str
    payload: dict
    id_field: str      # the payload field that takes the parent's task id ("" for the first)
    label: str
    options: dict
    cost: int
    # What its task object repeats beyond the payload's own echoes (a refine shows its
    # preview's prompt): tells a cut-off create's task apart from another row's.
    echoes: dict = None


class Source:
    """Where a sheet lives: a CSV file, or a Text datablock of the open .blend."""

    def __init__(self, path="", text=""):
        self.path = os.path.realpath(bpy.path.abspath(path)) if path else ""
        self.text = text
        self.blend = bpy.data.filepath
        if self.path:
            self.title = os.path.basename(self.path)
            self.id = sheets.sheet_id(self.path)
            self.folder = os.path.dirname(self.path)
        else:
            self.title = text
            self.id = sheets.sheet_id(f"{self.blend}::{text}")
            self.folder = os.path.dirname(self.blend) if self.blend else None

    def read(self):
        if self.path:
            return sheets.read_file(self.path)
        block = bpy.data.texts.get(self.text)
        if block is None:
            raise SheetError(f'There is no Text called "{self.text}" in this file')
        return block.as_string()

    def mark(self):
        """How the journal finds this sheet again (plain data)."""
        return {"path": self.path} if self.path else {"blend": self.blend, "text": self.text}

    @classmethod
    def from_mark(cls, mark):
        where = mark.get("where") or {}
        if where.get("path"):
            return cls(path=where["path"])
        if where.get("text") and where.get("blend") == bpy.data.filepath:
            return cls(text=where["text"])
        raise SheetError(f'the sheet "{where.get("text", "?")}" lives in '
                         f'{os.path.basename(where.get("blend", "")) or "an unsaved file"}')

    def report_paths(self, library):
        """Where the report file goes ("" when nowhere on disk) and the Text to keep it in."""
        if self.path:
            return os.path.splitext(self.path)[0] + ".report.csv", ""
        folder = library and bpy.path.abspath(library)
        return (os.path.join(folder, f"{self.text}.report.csv") if folder else "",
                f"{self.text}.report")


class Run:
    """A sheet being planned, sent and followed."""

    def __init__(self, source, library, keep_in_file, budget):
        self.source = source
        self.library = library
        self.keep_in_file = keep_in_file
        self.budget = budget
        self.chains = {}      # row key -> {stage: Stage}
        self.steps = {}       # row key -> [book.Step]
        self.history = {}     # row key -> {stage: journal entry} from earlier runs
        self.notes = []       # sentences about the whole run (balance, budget)
        self.echo = bpy.app.background
        self.batch = None
        self.report_file, self.report_text = source.report_paths(library)

    @property
    def total_cost(self):
        return sum(r.cost for r in self.batch.rows if r.status == book.WAITING)

    def say(self, line):
        if self.echo:
            print(f"Meshy batch: {line}", flush=True)


# --- the rows' requests -----------------------------------------------------------------------

def _rna_defaults(struct):
    """A plain namespace holding every property's default of an RNA struct (nested groups too)."""
    values = types.SimpleNamespace()
    for prop in struct.properties:
        name = prop.identifier
        if name == "rna_type":
            continue
        if prop.type == 'POINTER':
            nested = prop.fixed_type
            value = _rna_defaults(nested) if nested.identifier.startswith("MESHY_PG") else None
        elif prop.type == 'COLLECTION':
            value = []
        elif prop.type == 'ENUM':
            if prop.is_enum_flag:
                value = set(prop.default_flag)
            else:  # a list made at draw time (no static items) has no default to read
                value = prop.default if len(prop.enum_items_static) else ""
        elif getattr(prop, "is_array", False):
            value = list(prop.default_array)
        else:
            value = prop.default
        setattr(values, name, value)
    return values


def _file_input(path):
    return types.SimpleNamespace(source='FILE', filepath=path, image=None)


def row_settings(spec):
    """Scene.meshy's defaults with the row's (and the sheet's) choices: what request.py builds
    from, the same headless and in any open file."""
    s = _rna_defaults(bpy.types.Scene.bl_rna.properties["meshy"].fixed_type)
    s.mode = MODES[spec["mode"]]
    s.prompt = spec["prompt"]
    if spec["model"]:
        s.ai_model = spec["model"]
    s.auto_refine = spec["refine"]
    s.import_preview = False
    s.texture_prompt = spec["texture_prompt"]
    if spec["remesh"] == "no":
        s.should_remesh = False
    elif spec["remesh"] in ("quad", "triangle"):
        s.should_remesh = True
        s.remesh.topology = spec["remesh"]
    if spec["polycount"]:
        s.should_remesh = True
        s.remesh.use_adaptive_decimation = False
        s.remesh.target_polycount = spec["polycount"]
    s.image_source = 'FILE'
    if spec["mode"] == "image":
        s.image_input = _file_input(spec["images"][0])
    s.views = [_file_input(path) for path in spec["images"]] if spec["mode"] == "multi-image" \
        else []
    return s


def _cost(kind, payload):
    return tasks.cost(kind, stand_in_payload(payload))


def build_chain(context, run, row):
    """{stage: Stage} for a good sheet row; raises one of CANNOT_SEND when it cannot be made."""
    spec = row.spec
    settings = row_settings(spec)
    outgoing = request.build(context, settings=settings)
    title = os.path.splitext(run.source.title)[0]
    base = {"library_folder": run.library,
            "catalog": spec["category"] or DEFAULT_CATALOG.format(title=title),
            "asset_name": spec["name"], "keep_in_file": run.keep_in_file}
    mark = {"sheet": run.source.id, "row": row.key, "number": row.number,
            "where": run.source.mark(), "library": run.library,
            "keep_in_file": run.keep_in_file, "budget": run.budget}
    stages = book.stages_of(spec)
    # The row's asset(s): the rigged character and its animations, else the finished model.
    leaves = {s for s, _p in stages if s == book.RIG or s.startswith(book.ANIMATION_PREFIX)} \
        or {book.REFINE if spec["refine"] else book.MODEL}

    def options(stage, extra, **overrides):
        return {**extra, **base, **overrides, "import": stage in leaves,
                "batch": {**mark, "stage": stage}}

    def formats(payload):
        if spec["formats"] and "target_formats" in payload:
            payload["target_formats"] = sorted(set(payload["target_formats"]) |
                                               set(spec["formats"]))
        return payload

    name = spec["name"]
    model = formats(dict(outgoing.payload))
    chain = {book.MODEL: Stage(outgoing.kind, model, "", name,
                               options(book.MODEL, outgoing.options),
                               _cost(outgoing.kind, model))}
    if spec["refine"]:
        follow = outgoing.follow_up
        payload = formats(dict(follow["payload"]))
        chain[book.REFINE] = Stage(follow["kind"], payload, follow["id_field"], name,
                                   options(book.REFINE, follow.get("options") or {}),
                                   _cost(follow["kind"], payload),
                                   echoes={"prompt": model.get("prompt", "")})
    if spec["rig"]:
        payload = request.rig_payload(context, settings.tools)
        chain[book.RIG] = Stage("rigging", payload, "input_task_id", name,
                                options(book.RIG, {"roles": RIG_ROLES}),
                                _cost("rigging", payload))
        for action_id in spec["animation"]:
            stage = book.animation_stage(action_id)
            payload = {"action_id": action_id}
            label = f"{name} {action_id}"
            chain[stage] = Stage("animation", payload, "rig_task_id", label,
                                 options(stage, {"roles": ANIMATION_ROLES, "action_name": label,
                                                 "as_new_object": True}, asset_name=label),
                                 _cost("animation", payload))
    return chain


def _stage_options(stage, known_entry):
    """A stage's options, told when an earlier create of it was cut off (see book.cut_off):
    its worker then looks for the task that create made before paying for a new one."""
    since = book.cut_off(known_entry)
    if not since:
        return stage.options
    return dict(stage.options, maybe_created={"at": since, "fields": stage.echoes})


def _follow_up(chain, stages, children, known):
    """The engine's follow_up for `children` of a stage (each with its own below it)."""
    specs = []
    for child in children:
        stage = chain[child]
        below = [s for s, parent in stages if parent == child]
        specs.append({"kind": stage.kind, "payload": stage.payload, "id_field": stage.id_field,
                      "label": stage.label, "options": _stage_options(stage, known.get(child)),
                      "follow_up": _follow_up(chain, stages, below, known)})
    if not specs:
        return None
    return specs[0] if len(specs) == 1 else specs


def _new_stages(stages, step):
    """The stages a step will pay for: the one it creates, and everything handed on below."""
    made = [step.stage] if step.action == "create" else []
    for child in step.children:
        made += [child] + book.descendants(stages, child)
    return made


# --- planning -----------------------------------------------------------------------------------

def plan(context, source, library="", budget=0, keep_in_file=False, balance=None):
    """Read, check and price a sheet against what the journal and an earlier report say is done.
    Raises SheetError when the sheet cannot be read or is already running."""
    from .operators.poll import CANNOT_SEND
    if source.id in _running:
        raise SheetError(f"The sheet {source.title} is already running")
    run = Run(source, library, keep_in_file, budget)
    parsed = sheets.parse(source.read(), source.title, source.folder, SUPPORTED_IMAGE_EXTENSIONS)
    engine = jobs.engine()
    known = book.history(engine.journal.entries().values(), source.id)
    earlier = _earlier_report(run)
    rows, spent = [], 0
    for row in parsed.rows:
        state = book.RowState(row.number, row.line, row.name)
        rows.append(state)
        if row.errors:
            state.status, state.error = book.INVALID, "; ".join(row.errors)
            continue
        state.key = row.key
        try:
            chain = build_chain(context, run, row)
        except CANNOT_SEND as exc:
            state.status = book.INVALID
            state.error = f"row {row.number} (line {row.line}): {exc}"
            continue
        state.stages = book.stages_of(row.spec)
        history = known.get(row.key, {})
        for stage, entry in history.items():
            if book.stage_state(entry) == "done":
                state.note(stage, book.DONE, entry.get("task_id", ""), entry.get("credits", 0),
                           entry.get("library_file", ""))
            elif entry.get("task_id"):
                state.task_ids[stage] = entry["task_id"]
                state.credits[stage] = entry.get("credits", 0)
        spent += state.total_credits()
        steps = book.plan_row(state.stages, history)
        if not steps or (not history and earlier.get(row.key, {}).get("status") == book.DONE):
            state.status, state.earlier = book.DONE, True
            if not history:
                _copy_report(state, earlier[row.key])
            continue
        busy = [s.entry for s in steps if s.action == "follow" and _elsewhere(s.entry)]
        if busy:
            state.status = book.STOPPED
            state.error = (f"another Blender (process {busy[0].get('owner_pid')}) is making it; "
                           "run the sheet again once that one ends")
            continue
        run.chains[row.key] = chain
        run.steps[row.key] = steps
        run.history[row.key] = history
        state.cost = sum(chain[s].cost for step in steps for s in _new_stages(state.stages, step))
    report = parsed.title
    run.batch = book.Batch(source.id, report, rows, budget=budget, report_path=run.report_file)
    _limit_to_balance(run, balance, spent)
    return run


def _elsewhere(entry):
    return entry.get("owner_pid") not in (None, os.getpid()) and owner_alive(entry)


def _earlier_report(run):
    text = ""
    if run.report_file and os.path.isfile(run.report_file):
        try:
            with open(run.report_file, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            text = ""
    elif run.report_text and run.report_text in bpy.data.texts:
        text = bpy.data.texts[run.report_text].as_string()
    return book.read_report(text)


def _copy_report(state, line):
    for part in line.get("task_ids", "").split(";"):
        stage, _eq, task_id = part.partition("=")
        if task_id:
            state.task_ids[stage] = task_id
            state.stage_status[stage] = book.DONE
    try:
        state.credits[book.MODEL] = int(line.get("credits") or 0)
    except ValueError:
        pass
    if line.get("library_file"):
        state.library_files[book.MODEL] = line["library_file"]


def _limit_to_balance(run, balance, spent):
    """Apply the budget (credits for the whole sheet, what earlier runs spent included); a total
    over the known balance makes the balance the budget."""
    budget = run.budget or None
    total = run.total_cost
    if balance is not None and total > balance:
        if budget is None or budget - spent > balance:
            budget = spent + balance
            run.notes.append(f"The sheet needs {total} credits but the balance is {balance}: "
                             f"only the rows that fit in {balance} credits go")
    committed = book.apply_budget([r for r in run.batch.rows if r.status == book.WAITING],
                                  budget, spent)
    over = [r for r in run.batch.rows if r.status == book.OVER_BUDGET]
    if over:
        run.notes.append(f"{len(over)} row(s) not sent: over the budget of {budget} credits "
                         f"(from row {over[0].number}, {over[0].name})")
    run.batch.budget = budget
    return committed


def summary(run):
    """Sentences for a plan: rows, credits, balance, problems."""
    batch = run.batch
    waiting = [r for r in batch.rows if r.status == book.WAITING]
    earlier = [r for r in batch.rows if r.earlier]
    lines = [f"{run.source.title}: {len(batch.rows)} rows, {len(waiting)} to make for "
             f"{run.total_cost} credits"
             + (f", {len(earlier)} done before" if earlier else "")]
    lines += [r.error for r in batch.rows if r.status == book.INVALID]
    lines += [f"row {r.number} ({r.name}): {r.error}" for r in batch.rows
              if r.status == book.STOPPED]
    lines += run.notes
    return lines


def plan_lines(run):
    """The plan, one line per row (dry run)."""
    lines = []
    for row in run.batch.rows:
        chain = run.chains.get(row.key, {})
        stages = " -> ".join(chain[s].kind for s, _p in row.stages if s in chain)
        what = f"{row.status}" if row.status != book.WAITING else f"{stages}, {row.cost} credits"
        lines.append(f"[{row.number}/{len(run.batch.rows)}] {row.name or '(no name)'}: {what}")
    return lines


# --- sending and following -------------------------------------------------------------------

def send(context, run):
    """Submit the planned rows (raises preferences.ConnectionSetupError when nothing can be
    sent); the jobs listener follows them from here."""
    client = preferences.make_client(context)
    engine = jobs.engine()
    _running[run.source.id] = run
    _last["run"] = run
    jobs.add_listener(_on_jobs_changed)
    for line in summary(run):
        run.say(line)
    for row in run.batch.rows:
        if row.status != book.WAITING:
            continue
        row.status = book.RUNNING
        chain = run.chains[row.key]
        known = run.history.get(row.key, {})
        for step in run.steps[row.key]:
            follow_up = _follow_up(chain, row.stages, step.children, known)
            if step.action == "follow":
                entry = dict(step.entry, follow_up=follow_up)
                engine.resume(entry, client)
                continue
            stage = chain[step.stage]
            payload = dict(stage.payload)
            if step.parent_task:
                payload[stage.id_field] = step.parent_task
            jobs.submit(context, stage.kind, payload, stage.label,
                        options=_stage_options(stage, step.entry), follow_up=follow_up)
        # Cut-off creates are looked for by the new jobs; the old entries are done with.
        for stage in known.values():
            if book.cut_off(stage):
                engine.journal.update(stage["job_id"], state="discarded")
    _show(context, run)
    _write_report(run)
    if run.batch.settled():
        _finish(context, run)
    jobs.tick(context)
    jobs.ensure_watching()
    return run


def settle(context, run):
    """A sheet with nothing to send: its report and grouped row say so."""
    _last["run"] = run
    _show(context, run)
    _finish(context, run)


def _stage_status(job):
    if job.status == JOB_DONE:
        return book.DONE
    if job.status == JOB_STOPPED:
        return book.STOPPED
    if job.status in (JOB_FAILED, "DELETED", "EXPIRED"):
        return book.FAILED
    return book.RUNNING


def _on_jobs_changed(context, changed):
    """jobs listener: a sheet's jobs moved; keep its rows, grouped row and report current."""
    # Most events are a task's progress, which changes nothing a sheet shows: a sheet's grouped
    # row is refreshed only when a row learnt something, and its report rewritten only when a
    # row's status changed (this runs in tick(), hundreds of times a minute).
    touched, reports = {}, set()
    for job in changed:
        mark = job.options.get("batch")
        run = _running.get(mark.get("sheet")) if mark else None
        row = run.batch.by_key.get(mark.get("row")) if run else None
        if row is None:
            continue
        status = _stage_status(job)
        error = f"{job.kind}: {job.message}" if status in (book.FAILED, book.STOPPED) else ""
        before = _known(row)
        if row.note(mark["stage"], status, job.task_id, job.credits, job.library_file, error):
            run.say(book.progress_line(run.batch, row))
            reports.add(run.source.id)
        if _known(row) != before:
            touched[run.source.id] = run
        if job.status == JOB_DONE:
            # Its row has it now; kept in the engine, hundreds of finished jobs would make every
            # tick walk them (the sheet's jobs are not listed one by one anyway).
            jobs.engine().jobs.pop(job.id, None)
    for sheet, run in touched.items():
        if sheet in reports:
            _write_report(run)
        _show(context, run)
        if sheet in reports and run.batch.settled():
            _finish(context, run)


def _known(row):
    """What a sheet shows of a row (its status, tasks, credits and library files)."""
    return (row.status, len(row.task_ids), sum(row.credits.values()), len(row.library_files))


def _finish(context, run):
    batch = run.batch
    batch.finished = time.time()
    _running.pop(run.source.id, None)
    if not _running:
        jobs.remove_listener(_on_jobs_changed)
    _write_report(run)
    _show(context, run)
    run.say(f"{run.source.title}: {batch.done()}/{len(batch.rows)} done, {batch.failed()} "
            f"failed, {batch.credits()} credits"
            + (f"; report: {run.report_file}" if run.report_file else ""))


def wait(context, run, timeout):
    """Background mode: pump the jobs until the sheet is settled (True) or `timeout` passes."""
    engine = jobs.engine()
    deadline = time.monotonic() + timeout
    while not run.batch.settled():
        busy = jobs.tick(context)
        if run.batch.settled():
            break
        if not busy and not engine.busy():
            _give_up(context, run, "its jobs ended without finishing the row")
            break
        if time.monotonic() >= deadline:
            return False
        engine.wait_for_event(min(0.1, max(0.0, deadline - time.monotonic())))
    return True


def _give_up(context, run, why):
    for row in run.batch.rows:
        if row.status not in book.SETTLED_ROW:
            row.status, row.error = book.FAILED, why
    _finish(context, run)


def stop(context, sheet):
    """Stop following a sheet's jobs (their tasks go on at Meshy; running it again resumes)."""
    engine = jobs.engine()
    for job in list(engine.jobs.values()):
        if (job.options.get("batch") or {}).get("sheet") == sheet and job.active:
            engine.stop(job.id)
    jobs.tick(context)


# --- the report and the grouped row ----------------------------------------------------------

def _write_report(run):
    text = book.report_text(run.batch)
    if run.report_file:
        try:
            book.write_atomically(run.report_file, text)
        except OSError as exc:
            note = f"The report could not be written to {run.report_file} ({exc.strerror})"
            if note not in run.notes:
                run.notes.append(note)
                run.say(note)
    if run.report_text:
        block = bpy.data.texts.get(run.report_text) or bpy.data.texts.new(run.report_text)
        block.clear()
        block.write(text)


def _show(context, run):
    """Mirror a sheet into its grouped row of the Jobs panel."""
    view = context.window_manager.meshy.batches
    row = next((r for r in view if r.sheet_id == run.source.id), None)
    if row is None:
        row = view.add()
        row.sheet_id = run.source.id
    batch = run.batch
    row.title = run.source.title
    row.total = len(batch.rows)
    row.done = batch.done()
    row.failed = batch.failed()
    row.credits = batch.credits()
    row.running = not batch.finished
    row.report = run.report_file or run.report_text
    eta = None if batch.finished else batch.eta()
    row.eta = -1.0 if eta is None else eta
    row.updated = jobs.session_time()


def clear_settled(context):
    """Take finished sheets off the Jobs panel."""
    view = context.window_manager.meshy.batches
    for index in reversed(range(len(view))):
        if not view[index].running:
            view.remove(index)


# --- recovery -----------------------------------------------------------------------------------

def resume_entries(context, entries):
    """The start-up recovery's entries: a sheet's go back into that sheet (run again: finished
    rows are skipped, started ones followed); returns the entries that belong to no sheet."""
    from .operators.poll import CANNOT_SEND
    plain, by_sheet = [], {}
    for entry in entries:
        mark = (entry.get("options") or {}).get("batch")
        if not mark:
            plain.append(entry)
        elif mark.get("sheet") not in _running:
            by_sheet.setdefault(mark.get("sheet"), []).append(entry)
    for group in by_sheet.values():
        mark = group[0]["options"]["batch"]
        try:
            source = Source.from_mark(mark)
            run = plan(context, source, library=mark.get("library", ""),
                       budget=mark.get("budget", 0), keep_in_file=mark.get("keep_in_file", False))
            send(context, run)
        except (SheetError, *CANNOT_SEND) as exc:
            # The tasks still finish, into the library their options name.
            print(f"Meshy: a batch sheet cannot be run again ({exc}); its {len(group)} "
                  "task(s) are finished on their own")
            plain.extend(group)
    return plain


def unregister():
    _running.clear()
    _last["run"] = None
