"""The family table: coverage of the reference pages, validation, prices and result files."""

import pytest

from api import tasks
from api.errors import ValidationError
from api.media import DataURI

PNG_URI = "data:image/png;base64,iVBORw0KGgo="


def test_every_documented_family_has_a_row():
    expected = {
        "text_to_3d_preview": "/openapi/v2/text-to-3d", "text_to_3d_refine": "/openapi/v2/text-to-3d",
        "image_to_3d": "/openapi/v1/image-to-3d", "multi_image_to_3d": "/openapi/v1/multi-image-to-3d",
        "remesh": "/openapi/v1/remesh", "convert": "/openapi/v1/convert",
        "resize": "/openapi/v1/resize", "rigging": "/openapi/v1/rigging",
        "animation": "/openapi/v1/animations", "retexture": "/openapi/v1/retexture",
        "text_to_image": "/openapi/v1/text-to-image", "image_to_image": "/openapi/v1/image-to-image",
        "multi_color_print": "/openapi/v1/print/multi-color",
        "analyze_printability": "/openapi/v1/print/analyze",
        "repair_printability": "/openapi/v1/print/repair",
    }
    for product in ("keychain", "fridge-magnet", "figure", "lamp"):
        for stage in ("prototype", "build"):
            expected[f"{product.replace('-', '_')}_{stage}"] = \
                f"/openapi/creative-lab/{product}/v1/{stage}"
    assert {kind: tasks.family(kind).path for kind in tasks.KINDS} == expected


def test_rows_carry_versions_and_list_endpoints_as_documented():
    assert tasks.family("text_to_3d_preview").version == "v2"
    assert tasks.family("image_to_3d").version == "v1"
    # Rigging and animation pages document no list endpoint.
    assert tasks.family("rigging").list_path is None
    assert tasks.family("animation").list_path is None
    assert tasks.family("remesh").list_path == "/openapi/v1/remesh"
    assert tasks.family("lamp_build").list_path == "/openapi/creative-lab/lamp/v1/build"


def test_task_id_inputs_name_the_kinds_they_chain_from():
    assert tasks.family("text_to_3d_refine").field("preview_task_id").refs == ("text_to_3d_preview",)
    assert tasks.family("animation").field("rig_task_id").refs == ("rigging",)
    assert tasks.family("keychain_build").field("input_task_id").refs == ("keychain_prototype",)
    assert set(tasks.family("image_to_3d").field("input_task_id").refs) == {
        "text_to_image", "image_to_image"}
    assert "remesh" in tasks.family("retexture").field("input_task_id").refs


def test_unknown_kind_is_a_validation_error():
    with pytest.raises(ValidationError) as caught:
        tasks.family("text_to_4d")
    assert caught.value.field == "kind"


def test_validate_adds_mode_and_drops_none():
    assert tasks.validate("text_to_3d_preview", {"prompt": "a mask", "ai_model": None}) == {
        "mode": "preview", "prompt": "a mask"}
    assert tasks.validate("text_to_3d_refine", {"preview_task_id": "abc"})["mode"] == "refine"


@pytest.mark.parametrize("kind, payload, field, words", [
    ("text_to_3d_preview", {"prompt": "x" * 601}, "prompt", "601 characters"),
    ("text_to_3d_preview", {}, "prompt", "required"),
    ("text_to_3d_preview", {"prompt": "   "}, "prompt", "empty"),
    ("text_to_3d_preview", {"prompt": "a", "target_polycount": 99}, "target_polycount", "100"),
    ("text_to_3d_preview", {"prompt": "a", "target_polycount": 300_001}, "target_polycount", "300000"),
    ("text_to_3d_preview", {"prompt": "a", "target_polycount": True}, "target_polycount", "number"),
    ("text_to_3d_preview", {"prompt": "a", "target_polycount": 1000.5}, "target_polycount", "whole"),
    ("text_to_3d_preview", {"prompt": "a", "ai_model": "meshy-4"}, "ai_model", "meshy-4"),
    ("text_to_3d_preview", {"prompt": "a", "decimation_mode": 5}, "decimation_mode", "one of"),
    ("text_to_3d_preview", {"prompt": "a", "target_formats": []}, "target_formats", "at least"),
    ("text_to_3d_preview", {"prompt": "a", "target_formats": ["dae"]}, "target_formats", "dae"),
    ("text_to_3d_preview", {"prompt": "a", "should_remesh": "yes"}, "should_remesh", "true or false"),
    ("text_to_3d_preview", {"prompt": "a", "promt": "b"}, "promt", "not a known parameter"),
    ("text_to_3d_preview", {"prompt": "a", "mode": "refine"}, "mode", "preview"),
    ("text_to_3d_refine", {"preview_task_id": "p", "texture_prompt": "a",
                           "texture_image_url": PNG_URI}, "texture_image_url", "only one"),
    ("text_to_3d_refine", {"preview_task_id": "p", "texture_prompt": "y" * 601},
     "texture_prompt", "600"),
    ("image_to_3d", {}, "input_task_id", "required"),
    ("image_to_3d", {"input_task_id": "t", "image_url": PNG_URI}, "image_url", "only one"),
    ("image_to_3d", {"image_url": "https://example.com/a.gif"}, "image_url", ".gif"),
    ("image_to_3d", {"image_url": "data:image/webp;base64,UklGRg=="}, "image_url", "image/webp"),
    ("image_to_3d", {"image_url": "ftp://example.com/a.png"}, "image_url", "scheme"),
    ("image_to_3d", {"image_url": "data:image/png;base64,"}, "image_url", "base64"),
    ("image_to_3d", {"image_url": PNG_URI, "should_texture": False, "enable_pbr": True},
     "enable_pbr", "should_texture"),
    ("multi_image_to_3d", {"image_urls": [PNG_URI] * 5}, "image_urls", "1 to 4"),
    ("multi_image_to_3d", {"image_urls": PNG_URI}, "image_urls", "list"),
    ("multi_image_to_3d", {"image_urls": [PNG_URI, "https://x/y.bmp"]}, "image_urls[1]", ".bmp"),
    ("remesh", {"input_task_id": "t", "resize_height": 1.0, "auto_size": True}, "resize_height",
     "only one"),
    ("remesh", {"input_task_id": "t", "convert_format_only": True}, "target_formats", "required"),
    ("remesh", {"model_url": "https://example.com/model.3dm"}, "model_url", ".3dm"),
    ("remesh", {"model_url": "data:image/png;base64,AAAA"}, "model_url", "application/octet-stream"),
    ("convert", {"input_task_id": "t"}, "target_formats", "required"),
    ("resize", {"input_task_id": "t"}, "resize_height", "required"),
    ("resize", {"input_task_id": "t", "resize_height": 0}, "resize_height", "above 0"),
    ("resize", {"input_task_id": "t", "resize_height": 1, "resize_longest_side": 2},
     "resize_longest_side", "only one"),
    ("rigging", {"model_url": "https://example.com/model.fbx"}, "model_url", ".glb"),
    ("rigging", {"input_task_id": "t", "height_meters": -1}, "height_meters", "above 0"),
    ("rigging", {"input_task_id": "t", "texture_image_url": "https://x/t.jpg"},
     "texture_image_url", ".png"),
    ("animation", {"rig_task_id": "r"}, "action_id", "required"),
    ("animation", {"rig_task_id": "r", "action_id": 1, "post_process": {"fps": 24}},
     "post_process.operation_type", "required"),
    ("animation", {"rig_task_id": "r", "action_id": 1,
                   "post_process": {"operation_type": "change_fps", "fps": 29}},
     "post_process.fps", "24"),
    ("animation", {"rig_task_id": "r", "action_id": 1,
                   "post_process": {"operation_type": "fbx2usdz", "fps": 24}},
     "post_process.fps", "change_fps"),
    ("retexture", {"input_task_id": "t"}, "text_style_prompt", "required"),
    ("retexture", {"input_task_id": "t", "text_style_prompt": "a", "image_style_url": PNG_URI},
     "image_style_url", "only one"),
    ("text_to_image", {"ai_model": "nano-banana"}, "prompt", "required"),
    ("text_to_image", {"ai_model": "dall-e", "prompt": "a"}, "ai_model", "dall-e"),
    ("text_to_image", {"ai_model": "gpt-image-2", "prompt": "a", "aspect_ratio": "16:9"},
     "aspect_ratio", "gpt-image-2"),
    ("text_to_image", {"ai_model": "nano-banana", "prompt": "a", "aspect_ratio": "3:2"},
     "aspect_ratio", "nano-banana"),
    ("text_to_image", {"ai_model": "nano-banana", "prompt": "a", "aspect_ratio": "1:1",
                       "generate_multi_view": True}, "aspect_ratio", "only one"),
    ("image_to_image", {"ai_model": "nano-banana", "prompt": "a",
                        "reference_image_urls": [PNG_URI] * 6}, "reference_image_urls", "1 to 5"),
    ("multi_color_print", {"input_task_id": "t", "max_colors": 17}, "max_colors", "16"),
    ("multi_color_print", {"input_task_id": "t", "max_depth": 2}, "max_depth", "3"),
    ("multi_color_print", {"model_url": "https://x/m.obj"}, "model_url", ".obj"),
    ("repair_printability", {"model_url": "https://x/m.fbx"}, "model_url", ".fbx"),
    ("keychain_prototype", {"image_url": "https://x/p.gif"}, "image_url", ".gif"),
    ("keychain_prototype", {"image_url": PNG_URI, "name": "n" * 101}, "name", "100"),
    ("keychain_build", {"input_task_id": "t", "options": {"size_mm": 0}}, "options.size_mm", "above 0"),
    ("keychain_build", {"input_task_id": "t", "options": {"size_mm": 401}}, "options.size_mm", "400"),
    ("keychain_build", {"input_task_id": "t", "options": {"badge_shape": "oval"}},
     "options.badge_shape", "oval"),
    ("keychain_build", {"input_task_id": "t", "options": {"export_resolution": 63}},
     "options.export_resolution", "64"),
    ("keychain_build", {"input_task_id": "t", "options": {"depth": 1}}, "options.depth", "not a known"),
    ("keychain_build", {"input_task_id": "t", "output": {"format": "stl"}}, "output.format", "stl"),
    ("fridge_magnet_build", {"input_task_id": "t", "options": {"relief_scale": 0}},
     "options.relief_scale", "above 0"),
    ("lamp_prototype", {}, "text", "required"),
    ("lamp_prototype", {"text": "owl", "image_url": PNG_URI}, "image_url", "only one"),
    ("lamp_prototype", {"text": "o" * 801}, "text", "800"),
    ("lamp_prototype", {"text": "owl", "image_subject": "portrait"}, "image_subject", "portrait"),
    ("lamp_build", {"input_task_id": "t", "options": {"diameter_mm": 49}}, "options.diameter_mm", "50"),
    ("lamp_build", {"input_task_id": "t", "options": {"rotate_x_deg": 361}},
     "options.rotate_x_deg", "360"),
    ("lamp_build", {"input_task_id": "t", "output": {"format": "glb"}}, "output.format", "glb"),
    ("figure_build", {}, "input_task_id", "required"),
    ("text_to_3d_refine", {"preview_task_id": "has space"}, "preview_task_id", "task id"),
])
def test_validation_names_the_field_and_the_reason(kind, payload, field, words):
    with pytest.raises(ValidationError) as caught:
        tasks.validate(kind, payload)
    error = caught.value
    assert error.field == field
    assert words in str(error)
    assert field in error.user_message


@pytest.mark.parametrize("kind, payload", [
    ("text_to_3d_preview", {"prompt": "x" * 600, "target_polycount": 100, "decimation_mode": 2,
                            "target_formats": ["glb", "3mf"], "pose_mode": "", "auto_size": True,
                            "origin_at": "center", "symmetry_mode": "on"}),
    ("image_to_3d", {"input_task_id": "t", "should_texture": True, "enable_pbr": True}),
    ("image_to_3d", {"image_url": "https://example.com/photo"}),  # no extension: the server judges
    ("multi_image_to_3d", {"image_urls": [PNG_URI, "https://x/a.JPG"]}),
    ("remesh", {"model_url": DataURI.encode("application/octet-stream", b"glTF")}),
    ("resize", {"input_task_id": "t", "auto_size": True, "resize_height": None}),
    ("text_to_image", {"ai_model": "gpt-image-2", "prompt": "a", "aspect_ratio": "3:2"}),
    ("keychain_build", {"input_task_id": "t", "options": {"size_mm": 400, "depth_threshold": 0},
                        "output": {"format": "zip"}}),
    ("keychain_prototype", {"image_url": "data:image/webp;base64,UklGRg=="}),
    ("lamp_prototype", {"image_url": PNG_URI, "image_subject": "landscape"}),
    ("animation", {"rig_task_id": "r", "action_id": 92.0,
                   "post_process": {"operation_type": "change_fps", "fps": 60}}),
])
def test_valid_payloads_pass(kind, payload):
    clean = tasks.validate(kind, payload)
    assert all(value is not None for value in clean.values())


def test_integers_given_as_whole_floats_are_normalised():
    clean = tasks.validate("animation", {"rig_task_id": "r", "action_id": 92.0})
    assert clean["action_id"] == 92 and isinstance(clean["action_id"], int)


@pytest.mark.parametrize("kind, payload, credits", [
    ("text_to_3d_preview", {"prompt": "a"}, 20),
    ("text_to_3d_preview", {"prompt": "a", "ai_model": "meshy-6"}, 20),
    ("text_to_3d_preview", {"prompt": "a", "ai_model": "meshy-5"}, 5),
    ("text_to_3d_preview", {"prompt": "a", "ai_model": "meshy-5", "model_type": "lowpoly"}, 20),
    ("text_to_3d_refine", {"preview_task_id": "p"}, 10),
    ("image_to_3d", {"image_url": PNG_URI}, 30),
    ("image_to_3d", {"image_url": PNG_URI, "should_texture": False}, 20),
    ("image_to_3d", {"image_url": PNG_URI, "ai_model": "meshy-5"}, 15),
    ("image_to_3d", {"image_url": PNG_URI, "ai_model": "meshy-5", "should_texture": False}, 5),
    ("image_to_3d", {"image_url": PNG_URI, "ai_model": "meshy-5", "model_type": "lowpoly"}, 30),
    ("multi_image_to_3d", {"image_urls": [PNG_URI]}, 30),
    ("multi_image_to_3d", {"image_urls": [PNG_URI], "ai_model": "meshy-5",
                           "should_texture": False}, 5),
    ("retexture", {}, 10), ("remesh", {}, 5), ("convert", {}, 1), ("resize", {}, 1),
    ("rigging", {}, 5), ("animation", {}, 3),
    ("text_to_image", {"ai_model": "nano-banana"}, 3),
    ("text_to_image", {"ai_model": "nano-banana-2"}, 6),
    ("text_to_image", {"ai_model": "nano-banana-pro"}, 9),
    ("text_to_image", {"ai_model": "gpt-image-2"}, 9),
    ("image_to_image", {"ai_model": "gpt-image-2"}, 12),
    ("image_to_image", {"ai_model": "nano-banana"}, 3),
    ("multi_color_print", {}, 10), ("analyze_printability", {}, 0), ("repair_printability", {}, 10),
    ("keychain_prototype", {}, 6), ("keychain_build", {}, 30),
    ("fridge_magnet_prototype", {}, 6), ("fridge_magnet_build", {}, 30),
    ("figure_prototype", {}, 6), ("figure_build", {}, 30),
    ("lamp_prototype", {}, 6), ("lamp_build", {}, 30),
])
def test_cost_follows_the_pricing_page(kind, payload, credits):
    assert tasks.cost(kind, payload) == credits


# --- result files, from the task objects printed on the reference pages ------------------------

A = "https://assets.meshy.ai/x/tasks/t/output/"


def files(kind, task):
    return {(f.role, f.fmt): f.url for f in tasks.result_files(kind, task)}


def test_text_to_3d_result_files_cover_models_textures_and_thumbnail():
    task = {"model_urls": {"glb": A + "model.glb?Expires=1", "fbx": A + "model.fbx", "mtl": A + "m.mtl",
                           "3mf": A + "model.3mf"},
            "thumbnail_url": A + "preview.png", "alpha_thumbnail_url": A + "preview_alpha.png",
            "texture_urls": [{"base_color": A + "texture_0.png", "metallic": A + "m.png",
                              "roughness": A + "r.png", "normal": A + "n.png",
                              "emission": A + "e.png"}]}
    found = files("text_to_3d_refine", task)
    assert found[("model", "glb")] == A + "model.glb?Expires=1"
    assert {("model", "fbx"), ("model", "mtl"), ("model", "3mf"), ("thumbnail", "png"),
            ("alpha_thumbnail", "png"), ("base_color", "png"), ("metallic", "png"),
            ("roughness", "png"), ("normal", "png"), ("emission", "png")} <= set(found)


def test_image_to_3d_multi_view_thumbnails_and_pre_remeshed_model():
    task = {"model_urls": {"glb": A + "model.glb", "pre_remeshed_glb": A + "pre.glb"},
            "thumbnail_urls": {"front": A + "f.png", "right": A + "r.png", "back": A + "b.png",
                               "left": A + "l.png"}}
    found = files("image_to_3d", task)
    assert ("pre_remeshed", "glb") in found
    assert {("thumbnail_front", "png"), ("thumbnail_left", "png")} <= set(found)


def test_empty_format_strings_are_skipped():
    # Convert and repair list formats that were not produced as "".
    task = {"model_urls": {"glb": "", "fbx": A + "model.fbx", "obj": "", "stl": A + "model.stl"},
            "task_error": None}
    assert set(files("convert", task)) == {("model", "fbx"), ("model", "stl")}


def test_rigging_and_animation_results_come_from_the_result_object():
    rig = {"result": {"rigged_character_fbx_url": A + "Character_output.fbx",
                      "rigged_character_glb_url": A + "Character_output.glb",
                      "basic_animations": {"walking_glb_url": A + "w.glb",
                                           "walking_fbx_url": A + "w.fbx",
                                           "walking_armature_glb_url": A + "wa.glb",
                                           "running_glb_url": A + "r.glb",
                                           "running_fbx_url": A + "r.fbx",
                                           "running_armature_glb_url": A + "ra.glb"}}}
    assert set(files("rigging", rig)) == {
        ("rigged_character", "fbx"), ("rigged_character", "glb"), ("walking", "glb"),
        ("walking", "fbx"), ("walking_armature", "glb"), ("running", "glb"), ("running", "fbx"),
        ("running_armature", "glb")}
    animation = {"result": {"animation_glb_url": A + "a.glb", "animation_fbx_url": A + "a.fbx",
                            "processed_usdz_url": A + "p.usdz",
                            "processed_armature_fbx_url": A + "pa.fbx",
                            "processed_animation_fps_fbx_url": A + "p60.fbx"}}
    assert set(files("animation", animation)) == {
        ("animation", "glb"), ("animation", "fbx"), ("processed", "usdz"),
        ("processed_armature", "fbx"), ("processed_animation_fps", "fbx")}
    assert files("rigging", {"result": None}) == {}


def test_creative_lab_outputs():
    assert set(files("keychain_prototype", {"image_urls": [A + "concept.png"]})) == {
        ("concept", "png")}
    # output.format "obj" is a zip bundle under model_urls.obj.
    assert set(files("keychain_build", {"model_urls": {"obj": A + "bundle.zip"}})) == {
        ("model_bundle", "zip")}
    assert set(files("fridge_magnet_build", {"model_urls": {"bundle_zip": A + "b.zip"}})) == {
        ("bundle", "zip")}
    assert set(files("lamp_build", {"model_urls": {"lamp_stl": A + "lamp.stl",
                                                   "base_stl": A + "base.stl"}})) == {
        ("lamp", "stl"), ("base", "stl")}
    figure = {"model_urls": {"glb": A + "m.glb", "obj": A + "m.obj", "mtl": A + "m.mtl"},
              "thumbnail_url": A + "p.png", "texture_urls": [{"base_color": A + "t.png"}]}
    assert ("base_color", "png") in files("figure_build", figure)


def test_images_and_multi_view_image_lists():
    task = {"image_urls": [A + "a.png", A + "b.jpeg", A + "c"]}
    assert set(files("text_to_image", task)) == {("image", "png"), ("image_1", "jpg"),
                                                 ("image_2", "png")}


def test_unknown_keys_and_fields_are_passed_through_not_fatal():
    task = {"model_urls": {"glb": A + "m.glb", "vrm": A + "m.vrm", "gltf_zip": A + "m.zip"},
            "texture_urls": [{"base_color": A + "t.png", "height": A + "h.png"}],
            "status": "SUCCEEDED_WITH_WARNINGS", "brand_new_field": {"x": 1}}
    found = files("remesh", task)
    assert ("vrm", "bin") in found
    assert ("gltf", "zip") in found
    assert ("model", "glb") in found
    assert tasks.result_files("analyze_printability", {"printability": {"status": "healthy"}}) == []


def test_malformed_result_sections_do_not_raise():
    odd = {"model_urls": ["not", "a", "dict"], "texture_urls": {"base_color": "x"},
           "image_urls": "x", "result": "x", "thumbnail_urls": None, "thumbnail_url": 5}
    for kind in tasks.KINDS:
        assert tasks.result_files(kind, odd) == []
