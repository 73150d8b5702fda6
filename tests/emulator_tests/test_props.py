"""Results differ by request: the prompt's words choose a prop (robot, chair, tower, lamp, tree),
textured with the palette its UVs were laid out for; other prompts get the sample object."""

import pytest

from tests.emulator import assets, glb, images, props

from .helpers import PNG_1x1, create_and_finish, data_uri, download

T23D = "/openapi/v2/text-to-3d"


def triangles(task):
    return len(glb.world_mesh(download(task["model_urls"]["glb"])).triangles)


@pytest.mark.parametrize("prompt, prop", [
    ("a friendly little Robot with round eyes", "robot"),
    ("an old wooden chair", "chair"),
    ("a stone tower by the sea", "tower"),
    ("a weathered bronze lantern", "lamp"),
    ("two pine trees", "tree"),
    ("a", props.DEFAULT),
])
def test_the_prompt_chooses_the_prop(prompt, prop):
    assert props.choose(prompt) == prop


def test_preview_and_refine_are_the_prop_in_its_palette(emulator):
    preview = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a chair"})
    assert triangles(preview) == len(assets.prop_mesh("chair").triangles)
    refine = create_and_finish(emulator, T23D, {"mode": "refine", "preview_task_id": preview["id"],
                                                "enable_pbr": True})
    assert triangles(refine) == triangles(preview)
    palette = props.maps(64)
    for role, url in refine["texture_urls"][0].items():
        assert download(url) == palette[role], role
    other = create_and_finish(emulator, T23D, {"mode": "preview", "prompt": "a tall tower"})
    assert triangles(other) != triangles(preview)


def test_image_to_3d_follows_the_words_of_its_image(emulator):
    image = create_and_finish(emulator, "/openapi/v1/text-to-image",
                              {"ai_model": "nano-banana", "prompt": "a little oak tree"})
    model = create_and_finish(emulator, "/openapi/v1/image-to-3d", {"input_task_id": image["id"]})
    assert triangles(model) == len(assets.prop_mesh("tree").triangles)
    plain = create_and_finish(emulator, "/openapi/v1/image-to-3d",
                              {"image_url": data_uri(PNG_1x1, "image/png")})
    assert triangles(plain) == len(assets.sample_mesh().triangles)
    worded = create_and_finish(emulator, "/openapi/v1/multi-image-to-3d", {
        "image_urls": [data_uri(PNG_1x1, "image/png")] * 2, "texture_prompt": "a robot"})
    assert triangles(worded) == len(assets.prop_mesh("robot").triangles)


def test_prop_fixtures_stay_small_and_textured():
    for prop in props.PROPS:
        data = assets.fixture(f"prop_{prop}.glb")
        assert len(data) < 100_000, prop
        doc, _ = glb.read_glb(data)
        assert len(doc["images"]) >= 4, prop      # base colour, metallic-roughness, normal, emission
        assert assets.prop_mesh(prop).uvs, prop


def test_text_to_image_pictures_the_prop_its_words_name(emulator):
    square = create_and_finish(emulator, "/openapi/v1/text-to-image",
                               {"ai_model": "nano-banana", "prompt": "a friendly robot"})
    picture = download(square["image_urls"][0])
    assert picture == assets.fixture("prop_robot.png")
    assert images.image_size(picture) == (256, 256)
    wide = create_and_finish(emulator, "/openapi/v1/text-to-image", {
        "ai_model": "nano-banana", "prompt": "a friendly robot", "aspect_ratio": "16:9"})
    assert images.image_size(download(wide["image_urls"][0])) == (256, 144)
