#!/usr/bin/env python3
"""Generates the tokenizer golden fixtures from the real reference: Hugging Face `tokenizers` with the Qwen3
tokenizer.json (../shared/assets/qwen3-tokenizer).

Writes two JSONL files (first line of each: {"meta": {...}} describing how it was made):
  qwen3_encode.jsonl  one case per line: {"text", "ids"} and, only where they differ from the field named:
                        "ids_with_special"  encode(text, add_special_tokens=True)           (default: ids)
                        "decoded"           decode(ids, skip_special_tokens=False)        (default: text)
                        "decoded_skip"      decode(ids, skip_special_tokens=True)         (default: decoded)
                      "ids" is encode(text, add_special_tokens=False).
  qwen3_decode.jsonl  arbitrary id sequences: {"ids", "decoded", "decoded_skip"} (bytes that are not UTF-8
                      become U+FFFD in the reference, so these pin that behaviour).
  qwen3_pretokenize.jsonl  the pre-tokenizer alone on raw text: {"text", "piece_bytes"} (byte length of each
                      pre-token, in order).
  qwen3_added_tokens.jsonl  a variant of the tokenizer: meta "extra_added_tokens" are appended to added_tokens and
                      meta "post_processor" replaces the post-processor (lstrip, rstrip, single_word, normalized,
                      overlapping and duplicated added tokens, a TemplateProcessing); cases as in qwen3_encode.
The corpus is seeded: rerunning gives the same files. Never edit the output by hand.

Usage: make_tokenizer_golden.py [--tokenizer PATH] [--out-dir tests/golden/tokenizer]
"""
import argparse
import hashlib
import json
import pathlib
import random

import tokenizers
from tokenizers import Tokenizer

REPO = pathlib.Path(__file__).resolve().parents[2]
DEFAULT_TOKENIZER = REPO.parent / "shared" / "assets" / "qwen3-tokenizer" / "tokenizer.json"
SEED = 20250601

PROSE = {
    "english": [
        "The quick brown fox jumps over the lazy dog.",
        "It was the best of times, it was the worst of times; it was the age of wisdom.",
        "Don't panic: we'll read the manual, and they've promised it's short.",
        "Mr. O'Neil paid $1,234.56 for 3 tickets on 2024-03-15 at 7:30 p.m.",
    ],
    "french": [
        "Les élèves ont étudié l'histoire de la Révolution française.",
        "Où est la bibliothèque ? Je ne sais pas ! C'est à côté du théâtre.",
        "L'œuvre complète coûte 12,50 € — un prix très raisonnable.",
    ],
    "german": [
        "Größere Straßen führen über die Brücke nach Süden.",
        "Die Donaudampfschifffahrtsgesellschaftskapitänsmütze hängt am Haken.",
        "„Äpfel und Öl“, sagte die Verkäuferin höflich.",
    ],
    "spanish": ["¿Dónde está el niño? ¡Está en el jardín con su señora!", "El pingüino comió ñoquis y jamón."],
    "portuguese": ["A situação econômica não está melhorando, disse o ministro.", "Ação, coração e pão."],
    "italian": ["Perché la città è così affollata durante l'estate?", "Più di così non si può."],
    "polish": ["Zażółć gęślą jaźń — pchnąć w tę łódź jeża lub ośm skrzyń fig."],
    "czech": ["Příliš žluťoučký kůň úpěl ďábelské ódy."],
    "turkish": ["İstanbul'da ılık bir sabah, çay içip gazete okuduk.", "IĞDIR'DA ŞİŞLİ'YE GİDEN ÖĞRENCİ"],
    "vietnamese": ["Tiếng Việt có nhiều dấu thanh: sắc, huyền, hỏi, ngã, nặng.", "Người ướt đẫm mưa rào."],
    "russian": [
        "Съешь же ещё этих мягких французских булок, да выпей чаю.",
        "Москва — столица России; население около 13 миллионов.",
    ],
    "ukrainian": ["Чуєш їх, доцю, га? Кумедна ж ти, прощайся без ґольфів!"],
    "greek": ["Ξεσκεπάζω την ψυχοφθόρα βδελυγμία.", "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας."],
    "arabic": ["اللغة العربية جميلة جداً، وهي لغة القرآن الكريم.", "مرحبا بالعالم! كيف حالك اليوم؟ ٣ كتب."],
    "hebrew": ["שלום עולם! עברית נכתבת מימין לשמאל.", "בְּרֵאשִׁית בָּרָא אֱלֹהִים אֵת הַשָּׁמַיִם"],
    "persian": ["زبان فارسی در ایران، افغانستان و تاجیکستان صحبت می‌شود."],
    "hindi": ["हिन्दी भारत की राजभाषा है। नमस्ते दुनिया!", "क्षत्रिय ज्ञान श्रीमान् ऋषि"],
    "bengali": ["আমি বাংলায় গান গাই।"],
    "tamil": ["தமிழ் ஒரு பழமையான மொழி."],
    "thai": ["ภาษาไทยไม่มีการเว้นวรรคระหว่างคำ สวัสดีครับ", "กรุงเทพมหานคร อมรรัตนโกสินทร์"],
    "khmer": ["ភាសាខ្មែរជាភាសាផ្លូវការរបស់កម្ពុជា។"],
    "myanmar": ["မြန်မာဘာသာစကား"],
    "chinese": ["我们今天去公园散步，天气非常好。", "臺灣的夜市小吃非常有名。", "《红楼梦》是中国古典小说。"],
    "japanese": ["日本語の文章にはひらがな、カタカナ、漢字が混在しています。", "ｶﾀｶﾅ半角と全角ＡＢＣ１２３"],
    "korean": ["한국어는 한글로 씁니다. 안녕하세요, 세계!", "대한민국의 수도는 서울입니다."],
    "georgian": ["ქართული ენა ძალიან ლამაზია."],
    "armenian": ["Հայերենը հնդեվրոպական լեզու է։"],
    "ethiopic": ["አማርኛ የኢትዮጵያ ቋንቋ ነው።"],
    "tibetan": ["བོད་ཡིག་ནི་སྐད་ཡིག་ཞིག་ཡིན།"],
    "cherokee": ["ᏣᎳᎩ ᎦᏬᏂᎯᏍᏗ"],
    "syllabics": ["ᐃᓄᒃᑎᑐᑦ ᑎᑎᕋᐅᓯᖅ"],
    "math": ["∀x∈ℝ: x²≥0 ⇒ √(x²)=|x|", "∑_{i=1}^{n} i = n(n+1)/2 ≈ ½n²", "𝐀𝐁𝐂 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟙𝟚𝟛"],
    "historic": ["𐌰𐌱𐌲 𐍆𐍅 𓀀𓁐 𒀀𒀁 ꓐꓑꓒ"],
}

CODE = [
    'def fibonacci(n: int) -> int:\n    """Return the n-th Fibonacci number."""\n    if n < 2:\n        return n\n'
    "    return fibonacci(n - 1) + fibonacci(n - 2)\n",
    "#include <vector>\n\ntemplate <typename T>\nT sum(const std::vector<T>& xs) {\n  T total{};\n"
    "  for (const T& x : xs) total += x;\n  return total;\n}\n",
    "const add = (a, b) => a + b;\nconsole.log(`sum: ${add(2, 3)}`);\n// TODO: handle NaN\n",
    '{\n  "name": "fovea",\n  "version": "0.1.0",\n  "tags": ["llm", "vision"],\n  "nested": {"a": [1, 2.5, null]}\n}',
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Test &amp; demo</title></head>\n'
    '<body><p class="x">Hello, <b>world</b>!</p></body>\n</html>\n',
    "SELECT u.id, COUNT(*) AS n\nFROM users u\nJOIN orders o ON o.user_id = u.id\nWHERE o.total > 100.00\n"
    "GROUP BY u.id\nORDER BY n DESC;\n",
    '#!/usr/bin/env bash\nset -euo pipefail\nfor f in *.txt; do\n  echo "$f: $(wc -l < "$f")"\ndone\n',
    'fn main() {\n    let v: Vec<u32> = (1..=10).filter(|x| x % 2 == 0).collect();\n    println!("{:?}", v);\n}\n',
    'package main\n\nimport "fmt"\n\nfunc main() {\n\tch := make(chan int, 3)\n\tch <- 42\n\tfmt.Println(<-ch)\n}\n',
    "server:\n  port: 8080\n  hosts:\n    - a.example.com\n    - b.example.com\n  tls: {enabled: true}\n",
    "| Name | Value |\n|------|------:|\n| α | 1.0 |\n| β | 2.5 |\n",
    "\\begin{equation}\n  E = mc^2 \\quad \\forall x \\in \\mathbb{R}\n\\end{equation}\n",
    "diff --git a/x.py b/x.py\n--- a/x.py\n+++ b/x.py\n@@ -1,3 +1,3 @@\n-print('a')\n+print(\"b\")\n",
    r"^(?:[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*)@example\.com$",
    "\tif (x != NULL && *x == '\\0') {\r\n\t\treturn -1;\r\n\t}\r\n",
    "    x = [i**2 for i in range(100) if i % 3 == 0]  # squares\n\n\n    y = {k: v for k, v in zip('abc', x)}\n",
]

EMOJI = [
    "😀", "👍🏽", "👨‍👩‍👧‍👦", "🏳️‍🌈", "🇺🇸🇯🇵🇩🇪", "1️⃣#️⃣", "👩🏿‍💻", "🧑‍🤝‍🧑", "❤️‍🔥", "🤷‍♀️", "🙋🏻‍♂️",
    "✌︎✌️", "©️®️™️", "🫠🫡🪿", "🏴󠁧󠁢󠁳󠁣󠁴󠁿", "😂😂😂", "🔥💯", "👋 hi", "🐍🦀☕",
]

WHITESPACE = [" ", "  ", "\t", "\n", "\r\n", "\r", "\n\n", "\x0b", "\x0c", "\x85", "\xa0", "\u1680", "\u2000",
              "\u2003", "\u2009", "\u200a", "\u2028", "\u2029", "\u202f", "\u205f", "\u3000", "\u200b", "\ufeff"]

COMBINING = [
    "e\u0301", "a\u0308", "o\u0302\u0300", "A\u030a", "n\u0303", "c\u0327", "u\u031b\u0323", "a\u0323\u0302",
    "e\u0323\u0302", "q\u0307\u0323", "x\u0301\u0316\u0345", "\u1100\u1161\u11a8", "\u1112\u1161\u11ab",
    "\u05e9\u05c1\u05bc", "\u0627\u0653", "\u0915\u093c", "\u0d4a", "\u0d46\u0d3e", "\u0b47\u0b3e",
    "a\u1ac1\u0316", "a\u07fd\u0301", "b\u0898\u0316", "\u226f", ">\u0338", "=\u0338", "\u212b", "\u2126",
    "\uf900", "\u0344", "\u1e9b\u0323", "Ω\u0301", "\u0f73", "\u0f75\u0f72",
]

CONTRACTIONS = ["'s", "'t", "'re", "'ve", "'m", "'ll", "'d", "'S", "'T", "'RE", "'Re", "'rE", "'VE", "'vE",
                "'M", "'LL", "'Ll", "'lL", "'D", "'\u017f", "\u2019s", "''s", "'x", "'", "'1", "' s"]

DIGITS = ["0", "7", "42", "2024", "3.14159", "1,000,000", "1e-9", "0x1F", "٣٤٥", "०१२३", "೧೨", "１２３",
          "²³", "½¼", "Ⅻ", "ⅷ", "①②③", "𝟘𝟙", "〇一二", "12:30:45", "+1 (555) 010-9999"]

NEWER_UNICODE = [
    "\u1c89\u1c8a", "\ua7cb\ua7cc\ua7da", "\U000105c0\U000105c1", "\U00010d40\U00010d4a", "\U00011380\U00011381",
    "\U00013460\U00013461", "\U00016100\U00016130", "\U0002ebf0\U0002ebf1", "\U00031350\U00031351",
    "\U0001e5d0\U0001e5f1", "\U00011f00\U00011f04", "\U0001e030\U0001e031", "\U0001d2c0\U0001d2c1",
]


def random_scalar(rng):
    while True:
        code_point = rng.randrange(0x110000)
        if not 0xD800 <= code_point <= 0xDFFF:
            return chr(code_point)


def bmp_scalar(rng):
    while True:
        code_point = rng.randrange(0x10000)
        if not 0xD800 <= code_point <= 0xDFFF:
            return chr(code_point)


def all_prose():
    return [sentence for sentences in PROSE.values() for sentence in sentences]


def mix(rng, pieces, count, separators=(" ", "", "\n", ", ")):
    return "".join(rng.choice(pieces) + rng.choice(separators) for _ in range(count))


def build_corpus(rng, special_tokens):
    prose = all_prose()
    cases = []
    # Prose: every sentence alone, then random mixtures across scripts.
    cases += prose
    cases += [mix(rng, prose, rng.randint(2, 5)) for _ in range(300)]
    cases += [rng.choice(prose).upper() for _ in range(20)] + [rng.choice(prose).lower() for _ in range(20)]
    # Code: whole snippets, random slices and snippets glued with prose.
    cases += CODE
    for _ in range(180):
        snippet = rng.choice(CODE)
        start = rng.randrange(len(snippet))
        cases.append(snippet[start:start + rng.randint(1, 120)])
    cases += [rng.choice(CODE) + rng.choice(prose) for _ in range(20)]
    # Emoji with text, ZWJ sequences, skin tones, flags, keycaps.
    cases += EMOJI
    emoji_pieces = EMOJI + prose[:10] + ["", " ", "!"]
    cases += [mix(rng, emoji_pieces, rng.randint(2, 8), ("", " ", "\u200d")) for _ in range(130)]
    # Combining marks: alone, stacked in random order (canonical reordering), after letters and specials.
    cases += COMBINING
    marks = ["\u0300", "\u0301", "\u0316", "\u0323", "\u0334", "\u0345", "\u05b0", "\u0f71", "\u1ac1", "\u07fd",
             "\u0898", "\u093c", "\u3099", "\u0338", "\u20dd"]
    for _ in range(120):
        base = rng.choice(["a", "e", "o", "u", "n", "=", ">", "<", " ", "\u1100", "\u0915", "ω", ""])
        cases.append(base + "".join(rng.choice(marks) for _ in range(rng.randint(1, 4))) + rng.choice(["", "x", " "]))
    # Whitespace runs of every kind, between, before and after words.
    for _ in range(220):
        choices = ["word", "x", "123", "!!", "é", "中文", "<|im_end|>", ""]
        words = [rng.choice(choices) for _ in range(rng.randint(0, 4))]
        text = ""
        for word in words + [""]:
            text += "".join(rng.choice(WHITESPACE) for _ in range(rng.randint(0, 5))) + word
        cases.append(text)
    # Digits and numbers in many scripts.
    cases += DIGITS
    cases += [mix(rng, DIGITS + ["x", "-", ".", " "], rng.randint(2, 10), ("", " ", ",")) for _ in range(100)]
    # Contractions in any letter case and position.
    for _ in range(180):
        left = rng.choice(["I", "you", "we", "They", "it", "O", "", " ", "don", "1", "'"])
        right = rng.choice(["", " ", "x", "s", "abc", "\n", "'"])
        cases.append(left + rng.choice(CONTRACTIONS) + right + rng.choice(CONTRACTIONS))
    # Special-token text inside text: adjacent, partial, nested, with whitespace and combining marks.
    partials = ["<|im_start", "im_end|>", "<|", "|>", "<think", "</tool_call", "<|endoftext|"]
    for _ in range(230):
        parts = [rng.choice(special_tokens + partials + ["user", "\n", " ", "  ", "hi", "\u0338", "\u0301", "<", ">"])
                 for _ in range(rng.randint(1, 7))]
        cases.append("".join(parts))
    cases.append("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\nHello!<|im_end|>\n"
                 "<|im_start|>assistant\n<think>\n\n</think>\n\nHi there!<|im_end|>")
    cases.append("<|vision_start|>" + "<|image_pad|>" * 30 + "<|vision_end|>Describe this image.")
    # Random code points: anywhere in Unicode, in the BMP, and around the newest assignments.
    cases += ["".join(random_scalar(rng) for _ in range(rng.randint(1, 40))) for _ in range(200)]
    cases += ["".join(bmp_scalar(rng) for _ in range(rng.randint(1, 40))) for _ in range(150)]
    cases += NEWER_UNICODE
    cases += [mix(rng, NEWER_UNICODE + ["a", " ", "1", "!"], rng.randint(2, 6), ("", " ")) for _ in range(30)]
    # Long strings: long words (the BPE heap path and the word cache limit), long runs, long documents.
    for length in (63, 64, 65, 100, 255, 256, 257, 1000, 5000):
        cases.append("a" * length)
        cases.append("".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(length)))
    cases.append("ab" * 3000)
    cases.append(" " * 3000 + "x")
    cases.append("\n" * 2000)
    cases.append("7" * 2000)
    cases.append("!" * 2000)
    cases.append("😀" * 800)
    base64_chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
    cases.append("".join(rng.choice(base64_chars) for _ in range(4000)))
    cases += [mix(rng, prose + CODE + EMOJI + special_tokens, rng.randint(100, 300)) for _ in range(8)]
    # Single characters and tiny strings: every ASCII character, edges.
    cases += [chr(c) for c in range(128)]
    cases += ["", " ", "  ", "\n", "'", "''", "a'", " '", "\u017f", "'\u017f'", "a\u0000b", "\ufffd", "\U0010ffff",
              "\ue000", "\ufdd0", "\ufffe", "\U000e0001", "\u00ad", "\u0600\u0601"]
    return cases


def encode_case(tokenizer, text):
    ids = tokenizer.encode(text, add_special_tokens=False).ids
    case = {"text": text, "ids": ids}
    with_special = tokenizer.encode(text, add_special_tokens=True).ids
    if with_special != ids:
        case["ids_with_special"] = with_special
    decoded = tokenizer.decode(ids, skip_special_tokens=False)
    if decoded != text:
        case["decoded"] = decoded
    decoded_skip = tokenizer.decode(ids, skip_special_tokens=True)
    if decoded_skip != decoded:
        case["decoded_skip"] = decoded_skip
    return case


def decode_cases(rng, tokenizer, num_cases):
    vocab_size = tokenizer.get_vocab_size(with_added_tokens=True)
    # Ids of the single-byte tokens 0x80..0xFF: sequences of them make truncated and invalid UTF-8.
    high_byte_ids = [i for i in range(vocab_size) if len(tokenizer.id_to_token(i) or "") == 1
                     and tokenizer.decode([i]) == "\ufffd"]
    special_ids = sorted(tokenizer.get_added_tokens_decoder().keys())
    cases = []
    for case_idx in range(num_cases):
        length = rng.randint(1, 12)
        pool = [lambda: rng.randrange(vocab_size), lambda: rng.choice(high_byte_ids), lambda: rng.choice(special_ids)]
        weights = [(3, 1, 1), (1, 3, 0), (1, 1, 2)][case_idx % 3]
        ids = [rng.choices(pool, weights)[0]() for _ in range(length)]
        cases.append({"ids": ids, "decoded": tokenizer.decode(ids, skip_special_tokens=False),
                      "decoded_skip": tokenizer.decode(ids, skip_special_tokens=True)})
    return cases


# Added tokens exercising every flag; ids are the ones the reference assigns (after the file's last id).
EXTRA_ADDED_TOKENS = [
    {"content": "<L>", "lstrip": True, "special": True},
    {"content": "<R>", "rstrip": True},
    {"content": "<LR>", "lstrip": True, "rstrip": True, "special": True},
    {"content": "cat", "single_word": True},
    {"content": "e\u0301x", "normalized": True, "special": True},
    {"content": "\u212b\u212b", "normalized": True},
    {"content": "<ab"},
    {"content": "<abc>", "special": True},
    {"content": "ß", "single_word": True, "normalized": True},
    {"content": " sp"},
    {"content": "hello world"},
    {"content": "hello", "special": True},
    {"content": "<R>", "lstrip": True, "rstrip": True},
]

TEMPLATE_POST_PROCESSOR = {
    "type": "TemplateProcessing",
    "single": [{"SpecialToken": {"id": "<|endoftext|>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
               {"SpecialToken": {"id": "<|im_end|>", "type_id": 0}}],
    "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}}],
    "special_tokens": {"<|endoftext|>": {"id": "<|endoftext|>", "ids": [151643], "tokens": ["<|endoftext|>"]},
                       "<|im_end|>": {"id": "<|im_end|>", "ids": [151645], "tokens": ["<|im_end|>"]}},
}


def added_token_variant(tokenizer_path):
    config = json.loads(pathlib.Path(tokenizer_path).read_text(encoding="utf-8"))
    next_id = max(token["id"] for token in config["added_tokens"]) + 1
    extra = []
    for token in EXTRA_ADDED_TOKENS:
        full = {"id": next_id, "content": token["content"], "single_word": token.get("single_word", False),
                "lstrip": token.get("lstrip", False), "rstrip": token.get("rstrip", False),
                "normalized": token.get("normalized", False), "special": token.get("special", False)}
        extra.append(full)
        next_id += 1
    config["added_tokens"] += extra
    config["post_processor"] = TEMPLATE_POST_PROCESSOR
    return Tokenizer.from_str(json.dumps(config)), extra


def added_token_texts(rng):
    pieces = [token["content"] for token in EXTRA_ADDED_TOKENS] + [
        " ", "  ", "\t", "\n", "a", "cats", "_", "1", "é", "e\u0301", "\u00c5", "\u212b", "<a", "<abc", "<|im_end|>",
        "x", "\u3000", "concat", "hello", "world", "ss", "ẞ"]
    texts = ["", "cat", "a cat.", "concat cats", "_cat_", "1cat2", "é cat", "ab<L>cd", "ab <L> cd", "ab  <LR>  cd",
             "<R>  <R>", "<R> sp", "  <L>", "<L>  ", "\u212b\u212b", "\u00c5\u00c5", "e\u0301x", "\u00e9x", "<abc>",
             "<ab>", "<abc", "hello world", "hello  world", "say hello", "hello"]
    for _ in range(400):
        texts.append("".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))))
    return texts


def pretokenize_case(tokenizer, text):
    pieces = tokenizer.pre_tokenizer.pre_tokenize_str(text)
    # After ByteLevel each character of a piece stands for one byte of the original text.
    return {"text": text, "piece_bytes": [len(piece) for piece, _ in pieces]}


def write_jsonl(path, meta, cases):
    with open(path, "w", encoding="utf-8") as out:
        out.write(json.dumps({"meta": meta}, ensure_ascii=False) + "\n")
        for case in cases:
            out.write(json.dumps(case, ensure_ascii=False, separators=(",", ":")) + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tokenizer", default=str(DEFAULT_TOKENIZER))
    parser.add_argument("--out-dir", default=str(REPO / "tests" / "golden" / "tokenizer"))
    args = parser.parse_args()

    tokenizer = Tokenizer.from_file(args.tokenizer)
    special_tokens = [token.content for token in tokenizer.get_added_tokens_decoder().values()]
    special_tokens.sort()
    rng = random.Random(SEED)
    texts = build_corpus(rng, special_tokens)
    meta = {
        "generator": "tools/golden/make_tokenizer_golden.py",
        "tokenizers_version": tokenizers.__version__,
        "tokenizer_sha256": hashlib.sha256(pathlib.Path(args.tokenizer).read_bytes()).hexdigest(),
        "seed": SEED,
    }
    out_dir = pathlib.Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    encode = [encode_case(tokenizer, text) for text in texts]
    write_jsonl(out_dir / "qwen3_encode.jsonl", meta, encode)
    decode = decode_cases(rng, tokenizer, 400)
    write_jsonl(out_dir / "qwen3_decode.jsonl", meta, decode)
    pretokenize = [pretokenize_case(tokenizer, text) for text in texts if len(text) <= 2000]
    write_jsonl(out_dir / "qwen3_pretokenize.jsonl", meta, pretokenize)
    variant, extra = added_token_variant(args.tokenizer)
    variant_meta = dict(meta, extra_added_tokens=extra, post_processor=TEMPLATE_POST_PROCESSOR)
    added = [encode_case(variant, text) for text in added_token_texts(rng)]
    write_jsonl(out_dir / "qwen3_added_tokens.jsonl", variant_meta, added)
    print(f"{len(encode)} encode, {len(decode)} decode, {len(pretokenize)} pre-tokenize and {len(added)} "
          f"added-token cases in {out_dir}")


if __name__ == "__main__":
    main()
