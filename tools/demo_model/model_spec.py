"""The demo model's fixed parts: its byte-level BPE tokenizer, its Qwen3-VL config, its processor, and the fast
encoders training uses (prompt ids, mm token types, pixel patches) which train.py checks against the HF processor.

Must not contain training or evaluation loops. Reads the Qwen3 tokenizer and the Qwen3-VL chat template from
../shared/assets (tool time only: the exported folder carries its own copies).
"""
import json
import os
import pathlib

import numpy as np
import tokenizers
import torch
from tokenizers import decoders, models, normalizers, pre_tokenizers, trainers
from transformers import (PreTrainedTokenizerFast, Qwen2VLImageProcessor, Qwen3VLConfig, Qwen3VLProcessor,
                          Qwen3VLVideoProcessor)

import scenes

ROOT = pathlib.Path(__file__).resolve().parents[2]
# A copy with the same layout can stand in (the GPU machine gets only the repository).
SHARED = pathlib.Path(os.environ.get("FOVEA_SHARED_ASSETS", ROOT.parent / "shared" / "assets"))
PATCH = 16
MERGE = 2
TEMPORAL = 2
GRID = scenes.IMAGE_SIZE // PATCH  # 14 patches a side
NUM_IMAGE_TOKENS = (GRID // MERGE) ** 2  # 49 merged tokens per image
PIXELS = scenes.IMAGE_SIZE * scenes.IMAGE_SIZE
BPE_VOCAB = 1000


def real_tokenizer():
    return json.loads((SHARED / "qwen3-tokenizer" / "tokenizer.json").read_text())


def chat_template():
    return (SHARED / "chat-templates" / "qwen3-vl-style.jinja").read_text()


def corpus():
    """The task's own text (every phrasing, answer and colour/shape name) plus the chat markup."""
    lines = [chat_template()]
    for forms in scenes.QUESTIONS.values():
        for form in forms:
            for shape in scenes.SHAPES:
                for colour in scenes.COLOURS:
                    lines.append(form.format(shape=shape, colour=colour))
    lines += [f"{a} {c} {s}." for a in ("A", "a", "an", "An") for c in scenes.COLOURS for s in scenes.SHAPES]
    lines += ["yes", "no", "the first", "the second", "left", "right", "top", "bottom", "0 1 2 3 4 5 6 7 8 9"]
    lines += ["Hello! I am a small demo model. I answer questions about simple pictures of shapes."] * 4
    return lines * 4


def build_tokenizer():
    """A byte-level BPE with the real Qwen3 tokenizer.json's normalizer, pre-tokenizer, decoder and special tokens.

    Returns the tokenizers.Tokenizer and the tokenizer.json text in the real file's exact structure.
    """
    real = real_tokenizer()
    tok = tokenizers.Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    split = real["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"]
    tok.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(tokenizers.Regex(split), behavior="isolated", invert=False),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=BPE_VOCAB, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    tok.train_from_iterator(corpus(), trainer)
    trained = json.loads(tok.to_str())
    vocab = trained["model"]["vocab"]
    next_id = len(vocab)
    added = []
    for token in sorted(real["added_tokens"], key=lambda t: t["id"]):
        added.append({**token, "id": next_id})
        next_id += 1
    out = dict(real)
    out["added_tokens"] = added
    out["model"] = {**real["model"], "vocab": vocab, "merges": trained["model"]["merges"]}
    text = json.dumps(out, ensure_ascii=False, indent=2) + "\n"
    return tokenizers.Tokenizer.from_str(text), text


def vocab_size(tok):
    return (tok.get_vocab_size() + 63) // 64 * 64


def make_config(tok):
    ids = {t: tok.token_to_id(t) for t in ("<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>",
                                           "<|im_end|>", "<|endoftext|>")}
    text = dict(vocab_size=vocab_size(tok), hidden_size=192, intermediate_size=512, num_hidden_layers=4,
                num_attention_heads=6, num_key_value_heads=2, head_dim=32, max_position_embeddings=4096,
                rms_norm_eps=1e-6, tie_word_embeddings=True,
                rope_parameters={"rope_type": "default", "rope_theta": 5000000.0, "mrope_section": [6, 5, 5],
                                 "mrope_interleaved": True})
    vision = dict(depth=3, hidden_size=96, intermediate_size=384, num_heads=3, out_hidden_size=192,
                  num_position_embeddings=GRID * GRID, deepstack_visual_indexes=[0, 1], patch_size=PATCH,
                  spatial_merge_size=MERGE, temporal_patch_size=TEMPORAL, in_channels=3)
    config = Qwen3VLConfig(text_config=text, vision_config=vision, image_token_id=ids["<|image_pad|>"],
                           video_token_id=ids["<|video_pad|>"], vision_start_token_id=ids["<|vision_start|>"],
                           vision_end_token_id=ids["<|vision_end|>"], tie_word_embeddings=True)
    config.eos_token_id = ids["<|im_end|>"]
    config.pad_token_id = ids["<|endoftext|>"]
    return config


def make_processor(tok_json_text):
    hf_tok = PreTrainedTokenizerFast(tokenizer_object=tokenizers.Tokenizer.from_str(tok_json_text),
                                     eos_token="<|im_end|>", pad_token="<|endoftext|>", model_max_length=4096,
                                     clean_up_tokenization_spaces=False)
    hf_tok.chat_template = chat_template()
    size = {"shortest_edge": PIXELS, "longest_edge": PIXELS}
    common = dict(patch_size=PATCH, temporal_patch_size=TEMPORAL, merge_size=MERGE, image_mean=[0.5] * 3,
                  image_std=[0.5] * 3)
    return Qwen3VLProcessor(image_processor=Qwen2VLImageProcessor(size=size, **common), tokenizer=hf_tok,
                            video_processor=Qwen3VLVideoProcessor(size={"shortest_edge": PIXELS,
                                                                        "longest_edge": PIXELS * 16}, **common),
                            chat_template=chat_template())


def messages(num_images, question, answer=None):
    content = [{"type": "image"} for _ in range(num_images)] + [{"type": "text", "text": question}]
    out = [{"role": "user", "content": content}]
    if answer is not None:
        out.append({"role": "assistant", "content": [{"type": "text", "text": answer}]})
    return out


class FastEncoder:
    """Prompt ids and patches as the HF processor makes them for 224x224 images (train.py checks it against it)."""

    def __init__(self, tok):
        self.tok = tok
        self.im_start = tok.token_to_id("<|im_start|>")
        self.im_end = tok.token_to_id("<|im_end|>")
        self.vision_start = tok.token_to_id("<|vision_start|>")
        self.vision_end = tok.token_to_id("<|vision_end|>")
        self.image_pad = tok.token_to_id("<|image_pad|>")
        self.newline = self.ids("\n")
        self.user = self.ids("user\n")
        self.assistant = self.ids("assistant\n")

    def ids(self, text):
        return self.tok.encode(text, add_special_tokens=False).ids

    def prompt(self, num_images, question):
        """Ids up to and including the generation prompt '<|im_start|>assistant\\n'."""
        image = [self.vision_start] + [self.image_pad] * NUM_IMAGE_TOKENS + [self.vision_end]
        return ([self.im_start] + self.user + image * num_images + self.ids(question) + [self.im_end]
                + self.newline + [self.im_start] + self.assistant)

    def follow_up(self, question):
        """A later user turn after an answer: '\n<|im_start|>user\nQ<|im_end|>\n<|im_start|>assistant\n'."""
        return (self.newline + [self.im_start] + self.user + self.ids(question) + [self.im_end] + self.newline
                + [self.im_start] + self.assistant)

    def answer(self, answer):
        """The assistant's tokens the loss is taken on: the answer and <|im_end|> (the template's '\\n' after it
        is never generated)."""
        return self.ids(answer) + [self.im_end]


def patchify(image):
    """A 224x224 RGB PIL image -> [196, 1536] float32 rows, in the order Qwen2VLImageProcessor emits them."""
    pixels = np.asarray(image.convert("RGB"), dtype=np.float32) * np.float32(1 / 255)
    pixels = (pixels - 0.5) / 0.5
    chw = np.repeat(pixels.transpose(2, 0, 1)[None], TEMPORAL, axis=0)  # [T, C, H, W]
    g = GRID // MERGE
    patches = chw.reshape(1, TEMPORAL, 3, g, MERGE, PATCH, g, MERGE, PATCH)
    # (1, T, C, gh, mh, ph, gw, mw, pw) -> (1, gh, gw, mh, mw, C, T, ph, pw)
    patches = patches.transpose(0, 3, 6, 4, 7, 2, 1, 5, 8)
    return torch.from_numpy(np.ascontiguousarray(patches.reshape(GRID * GRID, 3 * TEMPORAL * PATCH * PATCH)))


def patchify_batch(images):
    """[N, 224, 224, 3] uint8 (any device) -> [N * 196, 1536] float32 rows; patchify() for a batch, in torch."""
    n = images.shape[0]
    pixels = (images.float() * (1 / 255) - 0.5) / 0.5
    chw = pixels.permute(0, 3, 1, 2).unsqueeze(1).expand(n, TEMPORAL, 3, scenes.IMAGE_SIZE, scenes.IMAGE_SIZE)
    g = GRID // MERGE
    patches = chw.reshape(n, TEMPORAL, 3, g, MERGE, PATCH, g, MERGE, PATCH).permute(0, 3, 6, 4, 7, 2, 1, 5, 8)
    return patches.reshape(n * GRID * GRID, 3 * TEMPORAL * PATCH * PATCH).contiguous()
