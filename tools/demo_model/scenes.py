"""Synthetic scenes for the demo model: 1 to 4 coloured shapes on a plain or textured background, with questions.

Everything is a pure function of a seed (random.Random / numpy Generator), so the training stream, the 500
held-out evaluation scenes and the golden test's scenes are reproducible. Must not contain model or tokenizer code.
"""
import math
import random
import re

import numpy as np
from PIL import Image, ImageDraw

IMAGE_SIZE = 224
SHAPES = ("circle", "square", "triangle", "star", "cross", "diamond")
COLOURS = {
    "red": (220, 30, 30),
    "orange": (245, 140, 20),
    "yellow": (240, 220, 30),
    "green": (30, 160, 50),
    "blue": (30, 70, 220),
    "purple": (140, 40, 180),
}
# Neutral backgrounds only, so that no shape colour can vanish into its background.
BACKGROUNDS = ((255, 255, 255), (235, 235, 235), (245, 238, 220), (200, 200, 200), (120, 120, 120), (40, 40, 40),
               (15, 15, 15))
NUMBER_WORDS = ("zero", "one", "two", "three", "four")

# Question phrasings (the model card lists them); the first of each list is the canonical one.
QUESTIONS = {
    "describe": ("Describe the image.", "What is in this image?", "Describe this image.", "What do you see?"),
    "count": ("How many shapes are there?", "How many shapes are in the image?", "Count the shapes."),
    "colour": ("What colour is the {shape}?", "What color is the {shape}?"),
    "shape": ("What shape is the {colour} one?", "Which shape is {colour}?"),
    "exists": ("Is there a {shape}?", "Is there a {colour} {shape}?"),
    "position": ("Where is the {colour} {shape}?", "Where is the {shape}?"),
    "compare": ("Which image has more shapes?", "Which of the two images has more shapes?"),
}
# Training mixture; compare questions carry two images. Stage 3 shifted weight from count and compare (learnt,
# 1.00) to colour and position, which need a shape found by its kind (stage 2: 0.46 and 0.83).
QUESTION_WEIGHTS = {"describe": 0.16, "count": 0.05, "colour": 0.26, "shape": 0.14, "exists": 0.14,
                    "position": 0.22, "compare": 0.03}
EVAL_CATEGORIES = ("colour", "shape", "count", "position", "describe", "exists", "compare")
# Questions whose answer is a colour-shape pairing, which an earlier turn of a conversation must not give away.
BINDING_CATEGORIES = ("colour", "shape", "describe", "exists")


def _polygon(kind, cx, cy, r):
    if kind == "square":
        s = r * 0.85
        return [(cx - s, cy - s), (cx + s, cy - s), (cx + s, cy + s), (cx - s, cy + s)]
    if kind == "diamond":
        return [(cx, cy - r), (cx + r * 0.8, cy), (cx, cy + r), (cx - r * 0.8, cy)]
    if kind == "triangle":
        return [(cx, cy - r), (cx + r * 0.95, cy + r * 0.75), (cx - r * 0.95, cy + r * 0.75)]
    if kind == "star":
        points = []
        for idx in range(10):
            radius = r if idx % 2 == 0 else r * 0.42
            angle = -math.pi / 2 + idx * math.pi / 5
            points.append((cx + radius * math.cos(angle), cy + radius * math.sin(angle)))
        return points
    if kind == "cross":
        a, b = r, r * 0.33
        return [(cx - b, cy - a), (cx + b, cy - a), (cx + b, cy - b), (cx + a, cy - b), (cx + a, cy + b),
                (cx + b, cy + b), (cx + b, cy + a), (cx - b, cy + a), (cx - b, cy + b), (cx - a, cy + b),
                (cx - a, cy - b), (cx - b, cy - b)]
    raise ValueError(kind)


def _background(rng, nprng):
    base = np.array(rng.choice(BACKGROUNDS), dtype=np.int16)
    kind = rng.choice(("plain", "plain", "noise", "stripes", "checker", "gradient"))
    yy, xx = np.mgrid[0:IMAGE_SIZE, 0:IMAGE_SIZE]
    image = np.broadcast_to(base, (IMAGE_SIZE, IMAGE_SIZE, 3)).copy()
    sign = -1 if base[0] > 128 else 1
    if kind == "noise":
        image += nprng.integers(-18, 19, size=(IMAGE_SIZE, IMAGE_SIZE, 1), dtype=np.int16)
    elif kind == "stripes":
        period = rng.randint(8, 24)
        axis = xx if rng.random() < 0.5 else yy
        image += (sign * 22 * ((axis // (period // 2)) % 2))[..., None].astype(np.int16)
    elif kind == "checker":
        period = rng.randint(10, 32)
        image += (sign * 20 * (((xx // period) + (yy // period)) % 2))[..., None].astype(np.int16)
    elif kind == "gradient":
        image += (sign * 40 * xx // IMAGE_SIZE)[..., None].astype(np.int16)
    return np.clip(image, 0, 255).astype(np.uint8)


def position_of(shape):
    """left/right/top/bottom of a shape's centre, or None when it is too close to the centre or a diagonal."""
    dx = shape["cx"] / IMAGE_SIZE - 0.5
    dy = shape["cy"] / IMAGE_SIZE - 0.5
    if max(abs(dx), abs(dy)) < 0.17 or abs(abs(dx) - abs(dy)) < 0.1:
        return None
    if abs(dx) > abs(dy):
        return "left" if dx < 0 else "right"
    return "top" if dy < 0 else "bottom"


def make_scene(rng, num_shapes=None):
    """A scene: distinct shape kinds and distinct colours (so every question has one answer), no overlaps."""
    while True:
        count = num_shapes or rng.randint(1, 4)
        kinds = rng.sample(SHAPES, count)
        colours = rng.sample(sorted(COLOURS), count)
        shapes = []
        for kind, colour in zip(kinds, colours):
            for _ in range(100):
                r = rng.uniform(14, 32)
                cx, cy = rng.uniform(r + 2, IMAGE_SIZE - r - 2), rng.uniform(r + 2, IMAGE_SIZE - r - 2)
                if all(math.hypot(cx - s["cx"], cy - s["cy"]) > r + s["r"] + 6 for s in shapes):
                    shapes.append({"shape": kind, "colour": colour, "cx": cx, "cy": cy, "r": r})
                    break
        if len(shapes) == count:
            return {"shapes": shapes, "seed": rng.getrandbits(32)}


def example_scene():
    """The model card's example: a red circle on the left, a blue square on the right, on light grey."""
    return {"shapes": [{"shape": "circle", "colour": "red", "cx": 64.0, "cy": 100.0, "r": 28.0},
                       {"shape": "square", "colour": "blue", "cx": 160.0, "cy": 124.0, "r": 28.0}], "seed": 15}


def render(scene):
    rng = random.Random(scene["seed"])
    image = Image.fromarray(_background(rng, np.random.default_rng(scene["seed"])))
    draw = ImageDraw.Draw(image)
    for s in scene["shapes"]:
        fill = COLOURS[s["colour"]]
        if s["shape"] == "circle":
            draw.ellipse([s["cx"] - s["r"], s["cy"] - s["r"], s["cx"] + s["r"], s["cy"] + s["r"]], fill=fill)
        else:
            draw.polygon(_polygon(s["shape"], s["cx"], s["cy"], s["r"]), fill=fill)
    return image


def describe(scene):
    ordered = sorted(scene["shapes"], key=lambda s: s["cx"])
    names = [f"{'an' if s['colour'][0] in 'aeiou' else 'a'} {s['colour']} {s['shape']}" for s in ordered]
    text = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return text[0].upper() + text[1:] + "."


def question(rng, category, scenes, canonical=False):
    """(question, answer) of one category about scenes (two scenes for compare, else one); None if not askable."""
    pick = (lambda options: options[0]) if canonical else rng.choice
    scene = scenes[0]
    shapes = scene["shapes"]
    if category == "describe":
        return pick(QUESTIONS["describe"]), describe(scene)
    if category == "count":
        return pick(QUESTIONS["count"]), str(len(shapes))
    if category == "colour":
        s = rng.choice(shapes)
        return pick(QUESTIONS["colour"]).format(shape=s["shape"]), s["colour"]
    if category == "shape":
        s = rng.choice(shapes)
        return pick(QUESTIONS["shape"]).format(colour=s["colour"]), s["shape"]
    if category == "exists":
        form = pick(QUESTIONS["exists"])
        if "{colour}" in form:
            # Half present pairs; the rest mix a present shape or colour with an absent partner.
            if rng.random() < 0.5:
                s = rng.choice(shapes)
                return form.format(colour=s["colour"], shape=s["shape"]), "yes"
            kind, colour = rng.choice(SHAPES), rng.choice(sorted(COLOURS))
            present = any(s["shape"] == kind and s["colour"] == colour for s in shapes)
            return form.format(colour=colour, shape=kind), "yes" if present else "no"
        kind = rng.choice(SHAPES)
        return form.format(shape=kind), "yes" if any(s["shape"] == kind for s in shapes) else "no"
    if category == "position":
        placed = [s for s in shapes if position_of(s)]
        if not placed:
            return None
        s = rng.choice(placed)
        return pick(QUESTIONS["position"]).format(colour=s["colour"], shape=s["shape"]), position_of(s)
    if category == "compare":
        first, second = len(scenes[0]["shapes"]), len(scenes[1]["shapes"])
        if first == second:
            return None
        return pick(QUESTIONS["compare"]), "the first" if first > second else "the second"
    raise ValueError(category)


def make_example(rng, category, canonical=False):
    """One example: {category, scenes, question, answer}; redraws scenes until the question is askable."""
    while True:
        if category == "compare":
            first = make_scene(rng)
            counts = [n for n in range(1, 5) if n != len(first["shapes"])]
            scenes = [first, make_scene(rng, rng.choice(counts))]
        else:
            scenes = [make_scene(rng)]
        qa = question(rng, category, scenes, canonical)
        if qa:
            return {"category": category, "scenes": scenes, "question": qa[0], "answer": qa[1]}


def stated_pairs(scene, qa):
    """The scene's (colour, kind) pairs whose two words both occur in one question and its answer."""
    words = set(re.findall(r"[a-z]+", (qa[0] + " " + qa[1]).lower()))
    return {(s["colour"], s["shape"]) for s in scene["shapes"] if s["colour"] in words and s["shape"] in words}


def make_conversation(rng, max_turns):
    """Several questions about one scene (or one compare question about two): {scenes, turns: [(q, a)...]}.

    Training only: one image encoding then supervises up to max_turns answers. A colour, shape, describe or
    exists question whose colour-shape pairing an earlier turn already stated is redrawn (same category while a
    shape is still unnamed): otherwise about a third of the colour and shape turns could be answered by copying
    words from the text instead of looking."""
    category = sample_category(rng)
    if category == "compare" or max_turns <= 1:
        example = make_example(rng, category)
        return {"scenes": example["scenes"], "turns": [(example["question"], example["answer"])]}
    scene = make_scene(rng)
    turns = []
    told = set()  # pairs stated by the turns so far
    num_turns = rng.randint(1, max_turns)
    for _ in range(4 * num_turns):
        if len(turns) == num_turns:
            break
        qa = question(rng, category, [scene])
        given_away = bool(qa) and category in BINDING_CATEGORIES and bool(stated_pairs(scene, qa) & told)
        if qa and qa not in turns and not given_away:
            turns.append(qa)
            told |= stated_pairs(scene, qa)
        elif given_away and category != "describe" and len(told) < len(scene["shapes"]):
            continue  # ask this kind of question again, about a shape not yet named, to keep the mixture
        category = sample_category(rng)
        while category == "compare":
            category = sample_category(rng)
    if not turns:  # every drawn category had no question for this scene: ask for the count, which always has one
        turns.append(question(rng, "count", [scene]))
    return {"scenes": [scene], "turns": turns}


def sample_category(rng):
    return rng.choices(list(QUESTION_WEIGHTS), weights=list(QUESTION_WEIGHTS.values()))[0]


def eval_examples(seed, num_scenes):
    """The held-out set: per scene one question of each category (compare pairs it with a second scene)."""
    rng = random.Random(seed)
    examples = []
    for scene_idx in range(num_scenes):
        scene = make_scene(rng)
        while not any(position_of(s) for s in scene["shapes"]):
            scene = make_scene(rng)
        for category in EVAL_CATEGORIES:
            scenes = [scene]
            if category == "compare":
                counts = [n for n in range(1, 5) if n != len(scene["shapes"])]
                scenes = [scene, make_scene(rng, rng.choice(counts))]
                if rng.random() < 0.5:
                    scenes.reverse()
            qa = question(rng, category, scenes)
            examples.append({"scene_idx": scene_idx, "category": category, "scenes": scenes,
                             "question": qa[0], "answer": qa[1]})
    return examples
