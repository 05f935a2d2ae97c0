"""Benchmark texts: four English sentences per length class (batch 4 uses all four, batch 1 the first).

Each text is one utterance (no sentence splitting) so that PyTorch and every ONNX variant see exactly the
same ids; the long ones stay under the runtime's 400-id utterance cap. ``STREAMING_SENTENCE`` is the
20-word sentence of the time-to-first-audio target.
"""

from __future__ import annotations

TEXTS: dict[str, tuple[str, ...]] = {
    "short": (
        "Hello, how are you today?",
        "Please close the door.",
        "The train leaves at noon.",
        "Thank you very much.",
    ),
    "medium": (
        "The quick brown fox jumps over the lazy dog while the sun sets slowly behind the distant green hills tonight.",
        "She opened the old wooden box and found a bundle of letters that her grandmother had written long ago.",
        "After the storm had passed, the children ran outside to splash in the puddles and chase the bright rainbow.",
        "Our flight was delayed by three hours, so we had dinner at the airport and watched planes take off.",
    ),
    "long": (
        "In the small village by the sea, the fishermen rose before dawn every morning, mended their nets by "
        "lantern light, and sailed out past the harbor wall.",
        "The museum's new exhibition brings together paintings, letters and photographs that tell the story of "
        "a family who lived through two world wars.",
        "When the orchestra finally began to play, the noisy hall fell silent, and for nearly an hour nobody "
        "moved, coughed, or even seemed to breathe.",
        "Scientists studying the glacier have measured how quickly it is melting, and their results suggest the "
        "ice may vanish within our lifetimes.",
    ),
}
STREAMING_SENTENCE = TEXTS["medium"][0]  # 20 words
LANGUAGE = "en"

QUICK_TEXTS: dict[str, tuple[str, ...]] = {k: v[:2] for k, v in TEXTS.items()}
