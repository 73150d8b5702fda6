"""What every task family shares: its table entry, the create context, input-task and input-model
resolution, and the task object as GET, list and the final SSE event show it."""

from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

from .. import assets, faults, glb
from ..store import RETENTION_SECONDS
from ..validation import ApiError, bad_request, check_uuid

AI_MODELS = ("meshy-5", "meshy-6", "latest")
MODEL_FORMATS = ("glb", "obj", "fbx", "stl", "usdz", "3mf")
DEFAULT_MODEL_FORMATS = ["glb", "obj", "fbx", "stl", "usdz"]   # 3mf only when asked for
# Words that stand in for "harmful content" when a request sets `moderation: true`.
FLAGGED_WORDS = ("nsfw", "gore", "explicit")


@dataclass
class Family:
    """One collection of the API: POST/GET list at `path`, GET/DELETE at `path/:id`, SSE at
    `path/:id/stream`."""
    title: str
    path: str
    create: Callable            # (Params, Context) -> Plan
    ok_task_error: object = field(default_factory=lambda: {"message": ""})
    preceding_only_when_pending: bool = False
    cancel_on_delete: bool = False   # Creative Lab: DELETE cancels (204) instead of deleting (200)
    documented_list: bool = True


class Context:
    """What a create function may consult: the caller's account, the clock and other tasks."""

    def __init__(self, store, account, now, resolve_local, faults_registry, path):
        self.store = store
        self.account = account
        self.now = now
        self.resolve_local = resolve_local
        self.faults = faults_registry
        self.path = path

    def input_task(self, task_id, key, kinds=None, not_found=400, wrong_kind=400,
                   other_account=None, require_uuid=False):
        """The referenced task, which must be the caller's, of an allowed kind and SUCCEEDED."""
        if not isinstance(task_id, str) or not task_id:
            raise bad_request(f"Invalid parameter: {key} must be a task id")
        if require_uuid:
            check_uuid(task_id, key)
        task = self.store.tasks.get(task_id)
        if task is None:
            raise ApiError(not_found, f"Task not found: {key} {task_id} does not exist")
        if task.account is not self.account:
            raise ApiError(other_account or not_found,
                           f"Task not found: {key} {task_id} does not belong to this account"
                           if (other_account or not_found) == 404 else
                           f"Forbidden: {key} {task_id} is owned by a different user")
        if kinds is not None and task.kind not in kinds:
            raise ApiError(wrong_kind, f"Invalid input task: {key} refers to a {task.kind} task; "
                                       f"expected one of: " + ", ".join(kinds))
        status = task.status(self.now)
        if status != "SUCCEEDED":
            raise bad_request(f"Task not ready: {key} must refer to a SUCCEEDED task "
                              f"(it is {status})")
        return task

    @staticmethod
    def moderation_failure(text):
        """`moderation: true` screens text; flagged words end the task in moderation_blocked.
        (Injected failures, the `fail_tasks` fault, are applied by the server after all checks.)"""
        if any(word in text.lower() for word in FLAGGED_WORDS):
            return faults.task_error("invalid_input", "moderation_blocked")
        return None


def resolve_ai_model(value):
    return "meshy-6" if value == "latest" else value


def task_glb(task, key):
    """Producer of a task's GLB for chaining; 400 when the task has no GLB output."""
    if "model.glb" not in task.plan.files:
        raise bad_request(f"Invalid input task: {key} refers to a task without a GLB model")
    return lambda: task.file("model.glb")


def source_glb(input_task, media, key="input_task_id"):
    """Producer of the GLB a model-consuming task starts from. Uploads the emulator cannot see (a
    public URL) or read (FBX, glTF JSON) stand in as the sample object."""
    if input_task is not None:
        return task_glb(input_task, key)
    if media is not None and media.data is not None and media.kind == "glb":
        return lambda: media.data
    return lambda: assets.fixture("object.glb")


def source_mesh(input_task, media, key="input_task_id"):
    """Producer of the world-space Mesh a task starts from (GLB, STL or OBJ uploads are read)."""
    if input_task is not None:
        producer = task_glb(input_task, key)
        return lambda: glb.world_mesh(producer())
    if media is not None and media.data is not None and media.kind in ("stl", "obj"):
        return lambda: assets.mesh_from_upload(media.data, media.kind) or assets.sample_mesh()
    producer = source_glb(None, media)
    return lambda: glb.world_mesh(producer())


def upload_failure(media, need_uv=False):
    """The task_error an unreadable uploaded GLB will end in (decided at create, shown at the end)."""
    if media is None or media.data is None or media.kind != "glb":
        return None
    try:
        mesh = glb.world_mesh(media.data)
    except glb.GlbError as error:
        return faults.task_error("invalid_input", "invalid_input", str(error))
    if need_uv and not mesh.uvs:
        return faults.task_error("invalid_input", "model_missing_uv")
    return None


def input_or_model(params, ctx, input_kinds, model_extensions, not_found=400, wrong_kind=400,
                   other_account=None, require_uuid=False, data_bypasses_extension=False):
    """The documented "only one of input_task_id or model_url is required; input_task_id takes
    priority" rule. Returns (input task or None, Media or None)."""
    from ..validation import model_input
    if params.given("input_task_id"):
        return ctx.input_task(params.body["input_task_id"], "input_task_id", input_kinds,
                              not_found, wrong_kind, other_account, require_uuid), None
    if params.given("model_url"):
        return None, model_input(params.body["model_url"], "model_url", model_extensions,
                                 ctx.resolve_local, data_bypasses_extension)
    raise bad_request("Missing parameter: either model_url or input_task_id must be provided")


def ms(seconds):
    return 0 if seconds is None else int(round(seconds * 1000))


def task_object(task, now, base_url, full=True):
    """The task as the API shows it; `full=False` is the slim SSE event of a running task."""
    status, progress, started, finished = task.state(now)
    if not full:
        return {"id": task.id, "progress": progress, "status": status}
    expires = None if finished is None else finished + RETENTION_SECONDS

    def url(name):
        return f"{base_url}/assets/{quote(task.id, safe='')}/{name}?Expires={int(expires)}"

    family = task.family
    obj = {"id": task.id, "type": task.kind, **task.plan.fields,
           "status": status, "progress": progress, "created_at": ms(task.created),
           "started_at": ms(started), "finished_at": ms(finished), "expires_at": ms(expires)}
    if status == "PENDING" or not family.preceding_only_when_pending:
        obj["preceding_tasks"] = _preceding(task, now)
    obj["task_error"] = task.plan.failure if status == "FAILED" else family.ok_task_error
    obj["consumed_credits"] = 0 if task.refunded or status == "FAILED" else task.charged
    obj.update(task.plan.result(url) if status == "SUCCEEDED" else task.plan.unfinished)
    return obj


def _preceding(task, now):
    if task.status(now) != "PENDING":
        return 0
    return sum(1 for other in task.account.tasks.values()
               if other.created < task.created and other.status(now) == "PENDING")
