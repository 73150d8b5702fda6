"""The animation catalogue served at /web/public/animations/resources (29-animation-library.md).

The real catalogue is only described ("action_id, name, category, preview URL"), apart from
action 92, "Double Combo Attack", which the page uses as its example. These entries follow that
shape; `clip` says which fixture animation the emulator plays for the action.
"""

ACTIONS = [
    (0, "Idle", "Idle", "action"), (1, "Breathing Idle", "Idle", "action"),
    (2, "Look Around", "Idle", "action"), (3, "Bored Idle", "Idle", "action"),
    (10, "Walking", "Walking", "walking"), (11, "Slow Walk", "Walking", "walking"),
    (12, "Sneak Walk", "Walking", "walking"), (13, "Injured Walk", "Walking", "walking"),
    (14, "Walk Backward", "Walking", "walking"), (20, "Running", "Running", "running"),
    (21, "Sprint", "Running", "running"), (22, "Jog", "Running", "running"),
    (23, "Run Backward", "Running", "running"), (30, "Jump", "Jumping", "action"),
    (31, "Jump Forward", "Jumping", "action"), (32, "Backflip", "Jumping", "action"),
    (40, "Wave", "Gesture", "action"), (41, "Clap", "Gesture", "action"),
    (42, "Point", "Gesture", "action"), (43, "Thumbs Up", "Gesture", "action"),
    (50, "Dance Loop", "Dancing", "action"), (51, "Hip Hop Dance", "Dancing", "action"),
    (52, "Robot Dance", "Dancing", "action"), (60, "Sit Down", "Interaction", "action"),
    (61, "Pick Up", "Interaction", "action"), (62, "Push Button", "Interaction", "action"),
    (70, "Hit Reaction", "Reaction", "action"), (71, "Fall Down", "Reaction", "action"),
    (80, "Punch", "Fighting", "action"), (81, "Kick", "Fighting", "action"),
    (90, "Sword Slash", "Fighting", "action"), (91, "Block", "Fighting", "action"),
    (92, "Double Combo Attack", "Fighting", "action"), (93, "Reaping Swing", "Fighting", "action"),
    (100, "Victory", "Celebration", "action"), (101, "Cheer", "Celebration", "action"),
]

BY_ID = {action_id: (name, category, clip) for action_id, name, category, clip in ACTIONS}


def resources(base_url):
    return [{"action_id": action_id, "name": name, "category": category,
             "preview_url": f"{base_url}/web/public/animations/previews/{action_id}.png"}
            for action_id, name, category, _ in ACTIONS]
