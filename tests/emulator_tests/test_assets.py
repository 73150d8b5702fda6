"""Result files are real: GLBs that parse and carry what the task promises, images of the asked
aspect ratio, zips and 3MF packages that open. (Blender's importer: test_blender_import.py.)"""

import base64
import io
import json
import zipfile

import pytest
import requests

from tests.emulator import glb, meshes

from .helpers import (PNG_1x1, create_and_finish, cube_glb, data_uri, download, get, glb_json,
                      glb_positions, png_size, post)

T23D = "/openapi/v2/text-to-3d"
PNG_URI = data_uri(PNG_1x1, "image/png")


def material_images(data):
    doc = glb_json(data)
    material = doc["materials"][0]
    pbr = material.get("pbrMetallicRoughness", {})
    return {name for name, present in (
        ("base_color", "baseColorTexture" in pbr),
        ("metallic_roughness", "metallicRoughnessTexture" in pbr),
        ("normal", "normalTexture" in material),
        ("emission", "emissiveTexture" in material)) if present}


def test_preview_is_untextured_and_refine_embeds_every_pbr_map(emulator):
    preview = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})
    assert material_images(download(preview["model_urls"]["glb"])) == set()
    refine = create_and_finish(emulator, T23D, {"mode": "refine", "preview_task_id": preview["id"],
                                                "enable_pbr": True})
    data = download(refine["model_urls"]["glb"])
    assert material_images(data) == {"base_color", "metallic_roughness", "normal", "emission"}
    assert glb_positions(data)[0] == glb_positions(download(preview["model_urls"]["glb"]))[0]
    for url in refine["texture_urls"][0].values():
        assert png_size(download(url)) == (64, 64)
    assert png_size(download(refine["thumbnail_url"]))
    obj = download(refine["model_urls"]["obj"]).decode()
    assert obj.startswith("mtllib model.mtl") and "\nf " in obj
    assert b"map_Kd texture_0.png" in download(refine["model_urls"]["mtl"])
    stl = download(refine["model_urls"]["stl"])
    assert len(stl) == 84 + 50 * int.from_bytes(stl[80:84], "little")
    assert download(refine["model_urls"]["fbx"]).startswith(b"Kaydara FBX Binary")
    assert zipfile.ZipFile(io.BytesIO(download(refine["model_urls"]["usdz"]))).namelist()


def test_meshy_5_without_pbr_embeds_only_base_colour(emulator):
    task = create_and_finish(emulator, "/openapi/v1/image-to-3d",
                             {"image_url": PNG_URI, "ai_model": "meshy-5"})
    assert material_images(download(task["model_urls"]["glb"])) == {"base_color"}


def test_optional_thumbnails_and_pre_remeshed_model(emulator):
    task = create_and_finish(emulator, "/openapi/v1/image-to-3d", {
        "image_url": PNG_URI, "alpha_thumbnail": True, "multi_view_thumbnails": True,
        "should_remesh": True, "save_pre_remeshed_model": True, "target_polycount": 100})
    assert set(task["thumbnail_urls"]) == {"front", "right", "back", "left"}
    assert png_size(download(task["thumbnail_urls"]["left"])) == (512, 512)
    alpha = download(task["alpha_thumbnail_url"])
    assert alpha[25] == 6                                          # PNG colour type RGBA
    reduced = glb.world_mesh(download(task["model_urls"]["glb"]))
    original = glb.world_mesh(download(task["model_urls"]["pre_remeshed_glb"]))
    assert len(reduced.triangles) < len(original.triangles)


def test_retexture_keeps_the_uploaded_geometry(emulator):
    upload = cube_glb(with_uvs=True)
    task = create_and_finish(emulator, "/openapi/v1/retexture", {
        "model_url": data_uri(upload), "text_style_prompt": "mossy stone", "enable_pbr": True,
        "enable_original_uv": True})
    result = download(task["model_urls"]["glb"])
    assert glb_positions(result) == glb_positions(upload)
    assert material_images(result) == {"base_color", "metallic_roughness", "normal", "emission"}
    assert glb_json(result)["images"]
    assert task["text_style_prompt"] == "mossy stone"


def test_retexture_generates_uvs_or_fails_with_model_missing_uv(emulator):
    upload = cube_glb(with_uvs=False)
    generated = create_and_finish(emulator, "/openapi/v1/retexture", {
        "model_url": data_uri(upload), "text_style_prompt": "wood"})
    doc = glb_json(download(generated["model_urls"]["glb"]))
    assert "TEXCOORD_0" in doc["meshes"][0]["primitives"][0]["attributes"]
    failed = create_and_finish(emulator, "/openapi/v1/retexture", {
        "model_url": data_uri(upload), "text_style_prompt": "wood", "enable_original_uv": True})
    assert failed["status"] == "FAILED"
    assert failed["task_error"]["code"] == "model_missing_uv"
    assert failed["task_error"]["doc_url"].endswith("#model-missing-uv")


def test_retexture_of_a_corrupt_upload_fails_as_invalid_input(emulator):
    task = create_and_finish(emulator, "/openapi/v1/retexture", {
        "model_url": data_uri(b"glTF" + bytes(40)), "text_style_prompt": "wood"})
    assert task["status"] == "FAILED" and task["task_error"]["type"] == "invalid_input"


def test_retexture_of_a_task_and_different_styles_differ(emulator):
    preview = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})
    first = create_and_finish(emulator, "/openapi/v1/retexture",
                              {"input_task_id": preview["id"], "text_style_prompt": "gold"})
    second = create_and_finish(emulator, "/openapi/v1/retexture",
                               {"input_task_id": preview["id"], "text_style_prompt": "silver"})
    assert download(first["texture_urls"][0]["base_color"]) != \
        download(second["texture_urls"][0]["base_color"])
    assert glb_positions(download(first["model_urls"]["glb"])) == \
        glb_positions(download(preview["model_urls"]["glb"]))


def test_remesh_reduces_and_convert_resize_follow_the_request(emulator):
    preview = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})
    source = glb.world_mesh(download(preview["model_urls"]["glb"]))
    remesh = create_and_finish(emulator, "/openapi/v1/remesh", {
        "input_task_id": preview["id"], "target_polycount": 100,
        "target_formats": ["glb", "blend", "3mf"]})
    reduced = glb.world_mesh(download(remesh["model_urls"]["glb"]))
    assert len(reduced.triangles) <= 100 < len(source.triangles)
    blend = download(remesh["model_urls"]["blend"])
    assert blend.startswith((b"BLENDER", b"\x28\xb5\x2f\xfd"))     # plain or zstd-compressed
    package = zipfile.ZipFile(io.BytesIO(download(remesh["model_urls"]["3mf"])))
    assert "3D/3dmodel.model" in package.namelist()

    convert = create_and_finish(emulator, "/openapi/v1/convert", {
        "input_task_id": preview["id"], "target_formats": ["stl", "obj"]})
    assert set(convert["model_urls"]) == {"stl", "obj"}

    resized = create_and_finish(emulator, "/openapi/v1/resize", {
        "input_task_id": preview["id"], "resize_height": 1.8})
    low, high = glb.world_mesh(download(resized["model_urls"]["glb"])).bounds()
    assert high[1] - low[1] == pytest.approx(1.8, rel=1e-4) and low[1] == pytest.approx(0, abs=1e-5)
    stl_upload = meshes.to_stl(source)
    kept = create_and_finish(emulator, "/openapi/v1/resize", {
        "model_url": data_uri(stl_upload), "resize_longest_side": 2.0, "origin_at": "center"})
    assert set(kept["model_urls"]) == {"stl"}                     # an upload keeps its format
    mesh = meshes.parse_stl(download(kept["model_urls"]["stl"]))
    low, high = mesh.bounds()
    assert max(h - l for l, h in zip(low, high)) == pytest.approx(2.0, rel=1e-4)


@pytest.mark.parametrize("model,ratio,size", [("nano-banana", "16:9", (256, 144)),
                                              ("nano-banana-2", "3:4", (192, 256)),
                                              ("gpt-image-2", "3:2", (256, 171)),
                                              ("nano-banana-pro", None, (256, 256))])
def test_text_to_image_aspect_ratio(emulator, model, ratio, size):
    body = {"ai_model": model, "prompt": "a dragon"}
    if ratio:
        body["aspect_ratio"] = ratio
    task = create_and_finish(emulator, "/openapi/v1/text-to-image", body)
    assert [png_size(download(url)) for url in task["image_urls"]] == [size]


def test_multi_view_images_and_image_to_image_keeps_reference_proportions(emulator):
    multi = create_and_finish(emulator, "/openapi/v1/text-to-image",
                              {"ai_model": "nano-banana", "prompt": "a", "generate_multi_view": True})
    assert len(multi["image_urls"]) == 3
    from tests.emulator.images import pattern_png
    wide = data_uri(pattern_png(400, 200, "ref"), "image/png")
    edit = create_and_finish(emulator, "/openapi/v1/image-to-image",
                             {"ai_model": "nano-banana", "prompt": "b",
                              "reference_image_urls": [wide]})
    assert png_size(download(edit["image_urls"][0])) == (256, 128)
    # A result URL of the emulator can be fed back in (resolved locally, never fetched).
    chained = post(emulator, "/openapi/v1/image-to-3d", {"image_url": edit["image_urls"][0]})
    assert chained.status_code == 202


def test_rig_and_animation_results(emulator):
    preview = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})
    rig = create_and_finish(emulator, "/openapi/v1/rigging", {"input_task_id": preview["id"]})
    result = rig["result"]
    character = glb_json(download(result["rigged_character_glb_url"]))
    assert character["skins"] and "JOINTS_0" in character["meshes"][0]["primitives"][0]["attributes"]
    assert download(result["rigged_character_fbx_url"]).startswith(b"Kaydara FBX Binary")
    walking = glb_json(download(result["basic_animations"]["walking_glb_url"]))
    assert walking["animations"] and walking["skins"]
    armature = glb_json(download(result["basic_animations"]["running_armature_glb_url"]))
    assert armature["animations"] and not armature.get("meshes")

    animation = create_and_finish(emulator, "/openapi/v1/animations", {
        "rig_task_id": rig["id"], "action_id": 92,
        "post_process": {"operation_type": "change_fps", "fps": 24}})
    urls = animation["result"]
    assert set(urls) == {"animation_glb_url", "animation_fbx_url",
                         "processed_animation_fps_fbx_url"}
    assert "Double_Combo_Attack" in urls["animation_glb_url"]
    assert glb_json(download(urls["animation_glb_url"]))["animations"]


def test_animation_catalogue(emulator):
    catalogue = requests.get(emulator.url + "/web/public/animations/resources", timeout=10).json()
    assert len(catalogue) >= 24
    entry = next(e for e in catalogue if e["action_id"] == 92)
    assert entry["name"] == "Double Combo Attack"
    assert set(entry) == {"action_id", "name", "category", "preview_url"}
    assert png_size(download(entry["preview_url"]))


def test_print_results(emulator):
    preview = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})
    colour = create_and_finish(emulator, "/openapi/v1/print/multi-color",
                               {"input_task_id": preview["id"], "max_colors": 3})
    package = zipfile.ZipFile(io.BytesIO(download(colour["model_urls"]["3mf"])))
    model = package.read("3D/3dmodel.model").decode()
    assert model.count("<base ") == 3

    analysis = create_and_finish(emulator, "/openapi/v1/print/analyze",
                                 {"input_task_id": preview["id"]})
    printability = analysis["printability"]
    assert printability["status"] == "healthy" and printability["metrics"]["is_watertight"]
    assert analysis["consumed_credits"] == 0 and analysis["task_error"] is None

    # An open box (one face missing) has a hole; repair closes it.
    box = glb.world_mesh(cube_glb())
    open_box = meshes.Mesh(box.positions, [], [], box.triangles[2:])
    upload = data_uri(meshes.to_stl(open_box))
    holed = create_and_finish(emulator, "/openapi/v1/print/analyze", {"model_url": upload})
    assert holed["printability"]["metrics"]["holes"] == 1
    assert holed["printability"]["status"] == "error"
    repaired = create_and_finish(emulator, "/openapi/v1/print/repair", {"model_url": upload})
    assert repaired["model_urls"]["stl"] and repaired["model_urls"]["glb"] == ""
    fixed = meshes.parse_stl(download(repaired["model_urls"]["stl"]))
    assert meshes.printability(fixed)["is_watertight"]


def test_creative_lab_outputs(emulator):
    proto = create_and_finish(emulator, "/openapi/creative-lab/keychain/v1/prototype",
                              {"image_url": PNG_URI, "name": "fox"})
    assert proto["name"] == "fox" and len(proto["image_urls"]) == 1
    for fmt, key in (("glb", "glb"), ("obj", "obj"), ("zip", "bundle_zip")):
        build = create_and_finish(emulator, "/openapi/creative-lab/keychain/v1/build", {
            "input_task_id": proto["id"], "options": {"badge_shape": "star", "size_mm": 50},
            "output": {"format": fmt}})
        assert list(build["model_urls"]) == [key]
        data = download(build["model_urls"][key])
        if fmt == "glb":
            low, high = glb.world_mesh(data).bounds()
            assert high[0] - low[0] == pytest.approx(0.05, rel=0.01)   # 50 mm across
        else:
            names = zipfile.ZipFile(io.BytesIO(data)).namelist()
            assert {"model.obj", "model.mtl", "texture.png"} <= set(names)
    lamp = create_and_finish(emulator, "/openapi/creative-lab/lamp/v1/prototype", {"text": "a fox"})
    build = create_and_finish(emulator, "/openapi/creative-lab/lamp/v1/build",
                              {"input_task_id": lamp["id"]})
    assert set(build["model_urls"]) == {"lamp_stl", "base_stl"}
    none = create_and_finish(emulator, "/openapi/creative-lab/lamp/v1/build", {
        "input_task_id": lamp["id"], "options": {"light_source_preset": "none",
                                                 "include_result_json": True},
        "output": {"format": "zip"}})
    names = zipfile.ZipFile(io.BytesIO(download(none["model_urls"]["bundle_zip"]))).namelist()
    assert sorted(names) == ["lamp.stl", "result.json"]
    figure_proto = create_and_finish(emulator, "/openapi/creative-lab/figure/v1/prototype",
                                     {"image_url": PNG_URI})
    figure = create_and_finish(emulator, "/openapi/creative-lab/figure/v1/build",
                               {"input_task_id": figure_proto["id"]})
    assert set(figure["model_urls"]) == {"glb", "obj", "mtl"} and figure["prompt"] == ""
    assert figure["texture_urls"][0]["base_color"]


def test_openai_compatible_image_generation(emulator):
    url = emulator.url + "/v1/images/generations"
    auth = {"Authorization": f"Bearer {emulator.test_key}"}
    answer = requests.post(url, headers=auth, json={"model": "openai/gpt-image-1",
                                                    "prompt": "a fox", "n": 2,
                                                    "size": "1792x1024"}, timeout=10).json()
    assert len(answer["data"]) == 2 and answer["size"] == "1792x1024" and "usage" in answer
    assert png_size(download(answer["data"][0]["url"])) == (1792, 1024)
    vertex = requests.post(url, headers=auth, json={"model": "vertex/imagen-3", "prompt": "a fox",
                                                    "response_format": "url"}, timeout=10).json()
    assert png_size(base64.b64decode(vertex["data"][0]["b64_json"])) == (1024, 1024)
    assert "usage" not in vertex
    bad = requests.post(url, headers=auth, json={"model": "openai/gpt-image-1"}, timeout=10)
    assert bad.status_code == 400 and "prompt" in bad.json()["error"]["message"]
    assert requests.post(url, json={"model": "m", "prompt": "p"}, timeout=10).status_code == 401


def test_openai_compatible_streaming_keep_alive(emulator):
    response = requests.post(emulator.url + "/v1/images/generations",
                             headers={"Authorization": f"Bearer {emulator.test_key}"},
                             json={"model": "openai/gpt-image-1", "prompt": "a fox", "stream": True,
                                   "response_format": "b64_json"}, stream=True, timeout=10)
    lines = [line for line in response.iter_lines(decode_unicode=True) if line]
    assert response.headers["Content-Type"] == "text/event-stream"
    first = json.loads(lines[0][5:])
    assert first["object"] == "image.chunk" and first["data"] == [] and first["status"] == "processing"
    assert ": ping" in lines
    final = json.loads(lines[-2][5:])
    assert final["data"][0]["b64_json"]
    assert lines[-1] == "data: [DONE]"


def test_result_url_of_a_deleted_task_is_gone(emulator):
    task = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})
    requests.delete(f"{emulator.url}{T23D}/{task['id']}",
                    headers={"Authorization": f"Bearer {emulator.paid_key}"}, timeout=10)
    assert requests.get(task["model_urls"]["glb"], timeout=10).status_code == 404
    assert get(emulator, f"{T23D}/{task['id']}").status_code == 404


def test_asset_url_places_result_files_on_another_host(emulator):
    """`asset_url` makes answers point at a host that plays a remote CDN (here one that never
    resolves); the files stay served here, and reset() restores the emulator's own address."""
    emulator.asset_url = "https://assets.example.invalid"
    task = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a"})
    url = task["model_urls"]["glb"]
    assert url.startswith(f"https://assets.example.invalid/assets/{task['id']}/")
    local = emulator.url + url[len("https://assets.example.invalid"):]
    assert glb_json(download(local))["asset"]["version"] == "2.0"
    emulator.reset()
    assert emulator.asset_url is None
