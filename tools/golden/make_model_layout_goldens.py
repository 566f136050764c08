#!/usr/bin/env python3
"""Reference 3-D rotary positions and vision patch layouts from HF transformers, for tests/unit/model.

Records, for synthetic Qwen3-VL token layouts (text, images, videos split per temporal patch, adjacent images,
an image first or last, a large grid), what Qwen3VLModel.get_rope_index returns (positions [3, T] and
rope_delta) and the positions its forward gives the next decoded tokens (compute_3d_position_ids); and, for a
few image/video grids, the vision tower's per-patch inputs from transformers.vision_utils: get_vision_position_ids
(rotary row/col), get_vision_interpolation_indices_and_weights (bilinear taps into the learned position table,
align_corners=True) and get_vision_cu_seqlens. Run, never hand-edit:

    python3 tools/golden/make_model_layout_goldens.py   (writes tests/unit/model/data/model_layout_goldens.json)
"""
import json
import pathlib

import torch
import transformers
from transformers import Qwen3VLConfig
from transformers.models.qwen3_vl.modeling_qwen3_vl import Qwen3VLModel
from transformers.vision_utils import (
    get_vision_cu_seqlens,
    get_vision_interpolation_indices_and_weights,
    get_vision_position_ids,
)

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHECKPOINT = ROOT / "tests" / "golden" / "model" / "data" / "checkpoints" / "qwen3-vl-tiny"
OUT = ROOT / "tests" / "unit" / "model" / "data" / "model_layout_goldens.json"
MERGE = 2
TEXT = 100  # any plain token id


class Layout:
    """Builds input_ids / mm_token_type_ids the way the processor lays out a prompt."""

    def __init__(self, config):
        self.config = config
        self.ids, self.types, self.images, self.videos, self.segments = [], [], [], [], []

    def text(self, count):
        self.ids += [TEXT] * count
        self.types += [0] * count
        return self

    def image(self, t, h, w, framed=True):
        if framed:
            self.ids.append(self.config.vision_start_token_id)
            self.types.append(0)
        self.segments.append({"start_idx": len(self.ids), "grid_thw": [t, h, w]})
        count = t * h * w // (MERGE * MERGE)
        self.ids += [self.config.image_token_id] * count
        self.types += [1] * count
        if framed:
            self.ids.append(self.config.vision_end_token_id)
            self.types.append(0)
        self.images.append([t, h, w])
        return self

    def video(self, t, h, w):
        # Each temporal patch: "<x.x seconds>" text, then its own <|vision_start|> pads <|vision_end|>.
        for _ in range(t):
            self.text(3)
            self.ids.append(self.config.vision_start_token_id)
            self.types.append(0)
            self.segments.append({"start_idx": len(self.ids), "grid_thw": [1, h, w]})
            count = h * w // (MERGE * MERGE)
            self.ids += [self.config.video_token_id] * count
            self.types += [2] * count
            self.ids.append(self.config.vision_end_token_id)
            self.types.append(0)
        self.videos.append([t, h, w])
        return self


class FilledCache:
    """Stands in for a KV cache that already holds num_tokens tokens (all compute_3d_position_ids asks of it)."""

    def __init__(self, num_tokens):
        self.num_tokens = num_tokens

    def get_seq_length(self):
        return self.num_tokens


def decode_positions(model, layout, num_steps):
    """What the model's forward gives the tokens after the prompt: one decode step at a time, each a [3] column.

    Runs HF's own incremental path (compute_3d_position_ids with a filled cache and the rope_deltas that the prompt's
    forward stored), not a re-derivation of its formula.
    """
    input_ids = torch.tensor([layout.ids])
    types = torch.tensor([layout.types])
    images = torch.tensor(layout.images) if layout.images else None
    videos = torch.tensor(layout.videos) if layout.videos else None
    model.rope_deltas = None
    model.compute_3d_position_ids(input_ids, None, image_grid_thw=images, video_grid_thw=videos,
                                  mm_token_type_ids=types)
    if model.rope_deltas is None:  # text only: generate() stores a zero delta
        model.rope_deltas = torch.zeros(1, 1, dtype=torch.long)
    hidden = model.config.text_config.hidden_size
    steps = []
    for step in range(num_steps):
        position_ids = model.compute_3d_position_ids(
            torch.tensor([[TEXT]]), torch.zeros(1, 1, hidden), image_grid_thw=images, video_grid_thw=videos,
            cache=FilledCache(len(layout.ids) + step), mm_token_type_ids=torch.zeros(1, 1, dtype=torch.long))
        steps.append(position_ids[:, 0, 0].tolist())
    return steps


def rope_case(model, name, layout):
    input_ids = torch.tensor([layout.ids])
    types = torch.tensor([layout.types])
    images = torch.tensor(layout.images) if layout.images else None
    videos = torch.tensor(layout.videos) if layout.videos else None
    positions, deltas = model.get_rope_index(input_ids, types, image_grid_thw=images, video_grid_thw=videos)
    return {
        "name": name,
        "num_tokens": len(layout.ids),
        "segments": layout.segments,
        "positions": positions[:, 0, :].tolist(),
        "rope_delta": int(deltas[0, 0]),
        # [step][axis]: the token at index num_tokens + step, decoded after the prompt.
        "decode_positions": decode_positions(model, layout, 3),
    }


def vision_case(grids, side):
    grid_thw = torch.tensor(grids)
    indices, weights = get_vision_interpolation_indices_and_weights(
        grid_thw, num_grid_per_side=side, mode="bilinear", align_corners=True, spatial_merge_size=MERGE)
    coords = get_vision_position_ids(grid_thw, MERGE)
    return {
        "grids": grids,
        "side": side,
        "tap_rows": indices.tolist(),
        # float32 values are exact as JSON doubles.
        "tap_weights": [[float(v) for v in row] for row in weights.to(torch.float32).tolist()],
        "coords": coords.tolist(),
        "cu_seqlens": get_vision_cu_seqlens(grid_thw).tolist(),
    }


def main():
    config = Qwen3VLConfig.from_pretrained(CHECKPOINT)
    model = Qwen3VLModel(config).eval()

    def layout():
        return Layout(config)

    rope_cases = [
        rope_case(model, "text_only", layout().text(7)),
        rope_case(model, "one_image", layout().text(4).image(1, 4, 6).text(5)),
        rope_case(model, "image_first", layout().image(1, 2, 2, framed=False).text(3)),
        rope_case(model, "image_last", layout().text(2).image(1, 6, 4, framed=False)),
        rope_case(model, "tall_image", layout().text(3).image(1, 12, 2).text(2)),
        rope_case(model, "adjacent_images", layout().text(1).image(1, 4, 4).image(1, 8, 2).text(4)),
        rope_case(model, "video", layout().text(2).video(3, 4, 6).text(3)),
        rope_case(model, "image_and_video", layout().text(2).image(1, 2, 8).video(2, 4, 4).image(1, 6, 6).text(2)),
        rope_case(model, "large_grid", layout().text(5).image(1, 64, 40).text(6)),
    ]
    vision_cases = [
        vision_case([[1, 8, 12]], 8),
        vision_case([[1, 2, 38], [1, 4, 6]], 8),
        vision_case([[2, 4, 6]], 8),
        vision_case([[1, 10, 6], [1, 16, 22]], 48),
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps({
        "reference": {"transformers": transformers.__version__, "torch": torch.__version__.split("+")[0]},
        "spatial_merge_size": MERGE,
        "rope_index": rope_cases,
        "vision_layout": vision_cases,
    }) + "\n")
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
