#!/usr/bin/env python3
# make_random_qwen3.py: writes a Qwen3-0.6B-shaped HF checkpoint with seeded random weights (transformers'
# Qwen3ForCausalLM with its own initialisation, saved in bf16 safetensors) for the CPU speed comparison.
# The config values are those of the released Qwen/Qwen3-0.6B config.json. Not a golden: nothing compares
# against these weights; they only give fovea and llama.cpp the same shape and dtype.
import argparse
import pathlib
import sys

# Qwen/Qwen3-0.6B config.json (the released model), written out so that no download is needed.
QWEN3_0_6B_CONFIG = dict(
    architectures=["Qwen3ForCausalLM"],
    attention_bias=False,
    attention_dropout=0.0,
    bos_token_id=151643,
    eos_token_id=151645,
    head_dim=128,
    hidden_act="silu",
    hidden_size=1024,
    initializer_range=0.02,
    intermediate_size=3072,
    max_position_embeddings=40960,
    max_window_layers=28,
    num_attention_heads=16,
    num_hidden_layers=28,
    num_key_value_heads=8,
    rms_norm_eps=1e-06,
    rope_scaling=None,
    rope_theta=1000000,
    sliding_window=None,
    tie_word_embeddings=True,
    use_cache=True,
    use_sliding_window=False,
    vocab_size=151936,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out_dir", type=pathlib.Path)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    import torch
    from transformers import Qwen3Config, Qwen3ForCausalLM

    torch.manual_seed(args.seed)
    config = Qwen3Config(**QWEN3_0_6B_CONFIG)
    # Initialise directly in bf16: the fp32 model would need 2.4 GB more memory on a shared 2-core machine.
    torch.set_default_dtype(torch.bfloat16)
    model = Qwen3ForCausalLM(config).eval()
    model.config.torch_dtype = torch.bfloat16
    args.out_dir.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(args.out_dir, safe_serialization=True)
    num_params = sum(p.numel() for p in model.parameters())
    print(f"make_random_qwen3: wrote {args.out_dir} ({num_params / 1e6:.1f} M parameters, bf16, seed {args.seed})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
