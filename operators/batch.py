# SPDX-License-Identifier: GPL-3.0-or-later
"""Batch sheets: `meshy.batch` (interface, scripts, tests) and the `meshy_batch` command line.

    blender -b -c meshy_batch SHEET.csv --library DIR [--budget CREDITS] [--dry-run]

In the interface the operator shows the plan (rows, credits, balance) in a confirm dialog and
returns at once: the rows run in the background and the Jobs panel shows the sheet as one row.
In background mode (blender -b, scripts, tests) it blocks until the sheet is done, printing one
line per row change; batches.py does the work.
"""

import argparse
import os

import bpy
from bpy.props import BoolProperty, FloatProperty, IntProperty, StringProperty

from .. import batches, jobs, preferences
from ..engine import batch as book
from .poll import CANNOT_SEND, describe

# Blender takes only identifiers as command names (no hyphen): `blender -c meshy_batch`.
CLI_COMMAND = "meshy_batch"
BALANCE_WAIT = 30.0          # seconds a background run waits for the balance before going on
_dialogs = {}                # (filepath, text) -> (run or error text, balance Future)
_cli = {"handle": None}


def _balance_future(context):
    try:
        return jobs.call(preferences.make_client(context).balance)
    except CANNOT_SEND:
        return None


def _known_balance(context, future, wait=0.0):
    """The balance, from the call when it has answered, else the last known figure, else None."""
    import concurrent.futures
    if future is not None:
        try:
            return int(future.result(timeout=wait))
        except (concurrent.futures.TimeoutError, Exception):
            pass
    view = context.window_manager.meshy
    return view.balance if view.balance_known else None


class MESHY_OT_batch(bpy.types.Operator):
    """Run a batch sheet (CSV file or Text): every good row becomes an asset in the Meshy library"""
    bl_idname = "meshy.batch"
    bl_label = "Meshy: Run Batch Sheet"

    filepath: StringProperty(name="Sheet", subtype='FILE_PATH', options={'SKIP_SAVE'},
                             description="The CSV sheet: one asset per row")
    filter_glob: StringProperty(default="*.csv;*.txt", options={'HIDDEN'})
    text: StringProperty(name="Text", options={'SKIP_SAVE'},
                         description="A Text in this file holding the sheet (instead of a file)")
    library: StringProperty(name="Library", subtype='DIR_PATH', options={'SKIP_SAVE'},
                            description="The Meshy library folder for the results "
                                        "(empty: the one in the preferences)")
    budget: IntProperty(name="Budget", min=0, options={'SKIP_SAVE'},
                        description="Credits the sheet may spend: rows stop being sent once "
                                    "the next one would pass it (0: no cap)")
    dry_run: BoolProperty(name="Dry Run", options={'SKIP_SAVE'},
                          description="Check and price the sheet; send nothing")
    keep_in_file: BoolProperty(name="Keep in This File", options={'SKIP_SAVE'},
                               description="Also keep every result in the open file (off: "
                                           "results go to the library only, memory stays flat)")
    timeout: FloatProperty(name="Timeout", default=24 * 3600.0, min=0.0, options={'SKIP_SAVE'},
                           description="Background mode: stop waiting after this many seconds")
    browsed: BoolProperty(options={'HIDDEN', 'SKIP_SAVE'})

    @classmethod
    def poll(cls, context):
        return jobs.engine() is not None

    def _source(self):
        return batches.Source(path=self.filepath) if self.filepath else \
            batches.Source(text=self.text)

    def invoke(self, context, event):
        if not self.filepath and not self.text:
            self.browsed = True
            context.window_manager.fileselect_add(self)
            return {'RUNNING_MODAL'}
        key = (self.filepath, self.text)
        try:
            planned = batches.plan(context, self._source(), self.library, self.budget,
                                   self.keep_in_file)
        except (batches.SheetError, *CANNOT_SEND) as exc:
            self.report({'ERROR'}, describe(exc) if not isinstance(exc, batches.SheetError)
                        else str(exc))
            return {'CANCELLED'}
        _dialogs[key] = (planned, _balance_future(context))
        return context.window_manager.invoke_props_dialog(self, width=460,
                                                          confirm_text="Send")

    def draw(self, context):
        layout = self.layout
        planned, future = _dialogs.get((self.filepath, self.text), (None, None))
        if planned is None:
            return
        col = layout.column(align=True)
        for line in batches.summary(planned)[:12]:
            col.label(text=line[:110])
        balance = _known_balance(context, future)
        col.label(text=f"Balance: {balance} credits" if balance is not None
                  else "Balance: asking Meshy...", icon='FUND')
        layout.prop(self, "library")
        layout.prop(self, "budget")
        layout.prop(self, "keep_in_file")

    def execute(self, context):
        if not self.filepath and not self.text:
            self.report({'ERROR'}, "Choose a sheet: a CSV file (filepath) or a Text (text)")
            return {'CANCELLED'}
        if self.browsed:
            # From the file browser: show the plan before anything is paid for.
            return bpy.ops.meshy.batch('INVOKE_DEFAULT', filepath=self.filepath,
                                       library=self.library, budget=self.budget,
                                       keep_in_file=self.keep_in_file)
        _planned, future = _dialogs.pop((self.filepath, self.text), (None, None))
        background = bpy.app.background or context.window is None
        if future is None and (background or self.dry_run):
            future = _balance_future(context)
        balance = _known_balance(context, future, BALANCE_WAIT if background else 0.0)
        try:
            run = batches.plan(context, self._source(), self.library, self.budget,
                               self.keep_in_file, balance=balance)
        except batches.SheetError as exc:
            self.report({'ERROR'}, str(exc))
            return {'CANCELLED'}
        batches._last["run"] = run
        if balance is not None:
            run.notes.append(f"Balance: {balance} credits")
        if self.dry_run:
            for line in batches.summary(run) + batches.plan_lines(run):
                run.say(line)
            self.report({'INFO'}, f"Dry run: {batches.summary(run)[0]}; nothing was sent")
            return {'FINISHED'}
        if not any(r.status == book.WAITING for r in run.batch.rows):
            # Nothing (more) to make: every row is done from before, bad or over the budget.
            for line in batches.summary(run):
                run.say(line)
            if not run.batch.done():
                self.report({'ERROR'}, "Nothing to send: " + "; ".join(batches.summary(run)[1:3]))
                return {'CANCELLED'}
            batches.settle(context, run)
            self.report({'INFO'} if run.batch.ok() else {'WARNING'}, batches.summary(run)[0])
            return {'FINISHED'}
        try:
            batches.send(context, run)
        except CANNOT_SEND as exc:
            self.report({'ERROR'}, describe(exc))
            return {'CANCELLED'}
        if not background:
            self.report({'INFO'}, batches.summary(run)[0])
            return {'FINISHED'}
        if not batches.wait(context, run, self.timeout):
            self.report({'WARNING'}, f"Stopped waiting after {self.timeout:.0f} s; the sheet's "
                                     "tasks go on and running it again picks them up")
            return {'CANCELLED'}
        batch = run.batch
        text = (f"{run.source.title}: {batch.done()}/{len(batch.rows)} rows done, "
                f"{batch.failed()} failed, {batch.credits()} credits")
        self.report({'INFO'} if batch.ok() else {'WARNING'}, text)
        return {'FINISHED'}


class MESHY_OT_stop_batch(bpy.types.Operator):
    """Stop following this sheet's tasks (they go on at Meshy; running the sheet again resumes)"""
    bl_idname = "meshy.stop_batch"
    bl_label = "Meshy: Stop Batch Sheet"

    sheet_id: StringProperty(options={'HIDDEN', 'SKIP_SAVE'})

    def execute(self, context):
        batches.stop(context, self.sheet_id)
        return {'FINISHED'}


# --- the command line -----------------------------------------------------------------------

def _parser():
    parser = argparse.ArgumentParser(
        prog=f"blender -b -c {CLI_COMMAND}",
        description="Run a Meshy batch sheet: every good row becomes an asset in the Meshy "
                    "library. Exit status: 0 every row done, 1 a row failed or was not sent, "
                    "2 usage error.")
    parser.add_argument("sheet", help="the CSV sheet (name, mode, prompt, images, category, ...)")
    parser.add_argument("--library", default="",
                        help="the Meshy library folder (default: the add-on's preference)")
    parser.add_argument("--budget", type=int, default=0, metavar="CREDITS",
                        help="stop sending rows once the next would pass this many credits")
    parser.add_argument("--dry-run", action="store_true",
                        help="check and price the sheet, print the plan, send nothing")
    parser.add_argument("--timeout", type=float, default=24 * 3600.0, metavar="SECONDS",
                        help="give up waiting after this long (the tasks go on)")
    return parser


def cli(argv):
    """`blender -c meshy_batch ...`: returns the exit status."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help (0) or a usage error (2): argparse has said why
        return exc.code if isinstance(exc.code, int) else 2
    if args.budget < 0:
        parser.print_usage()
        print("meshy_batch: error: --budget must be 0 or more")
        return 2
    batches._last["run"] = None
    try:
        result = bpy.ops.meshy.batch(
            filepath=os.path.abspath(args.sheet),
            library=os.path.abspath(args.library) if args.library else "",
            budget=args.budget, dry_run=args.dry_run, timeout=args.timeout)
    except RuntimeError as exc:  # the operator reported an error: it is already said
        print(f"{CLI_COMMAND}: {str(exc).strip()}", flush=True)
        return 1
    run = batches._last["run"]
    if 'FINISHED' not in result or run is None:
        return 1
    if args.dry_run:
        return 1 if any(r.status == book.INVALID for r in run.batch.rows) else 0
    return 0 if run.batch.ok() else 1


def register_cli():
    register = getattr(bpy.utils, "register_cli_command", None)
    if register is not None and _cli["handle"] is None:
        _cli["handle"] = register(CLI_COMMAND, cli)


def unregister_cli():
    if _cli["handle"] is not None:
        bpy.utils.unregister_cli_command(_cli["handle"])
        _cli["handle"] = None
    _dialogs.clear()


classes = (MESHY_OT_batch, MESHY_OT_stop_batch)
