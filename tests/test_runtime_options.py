"""SynthesisOptions: validated once, at construction, with errors naming the field and the limit."""

from __future__ import annotations

import numpy as np
import pytest

from yourtts_onnx.errors import InputError
from yourtts_onnx.runtime.chunked_decoding import ChunkSchedule
from yourtts_onnx.runtime.limits import MAX_LENGTH_SCALE, MAX_SENTENCE_PAUSE
from yourtts_onnx.runtime.options import SynthesisOptions, make_options


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"noise_scale": -0.1}, "noise_scale must be at least 0 and at most 10"),
        ({"noise_scale_dp": float("inf")}, "noise_scale_dp must be a finite number"),
        ({"length_scale": 0}, "length_scale must be at least 0.05"),
        ({"length_scale": MAX_LENGTH_SCALE + 1}, "at most 20"),
        ({"sentence_pause": 1e12}, f"sentence_pause must be at least 0 and at most {MAX_SENTENCE_PAUSE:g}"),
        ({"sentence_pause": "0.2"}, "sentence_pause must be a number, got str"),
        ({"noise_scale": True}, "noise_scale must be a number, got bool"),
        ({"max_tokens": 2}, "max_tokens must be an integer from 3 to 2000"),
        ({"max_tokens": 1.5}, "max_tokens must be an integer"),
        ({"chunk_frames": -1}, "chunk_frames must be an integer from 0"),
        ({"seed": -5}, "seed must be an integer from 0"),
        ({"seed": 2**64}, "seed must be an integer from 0"),
        ({"normalize_numbers": "yes"}, "normalize_numbers must be true or false"),
        ({"language": ""}, "language must be a non-empty string"),
        ({"voice": "  "}, "voice must be a non-empty name or path"),
        ({"voice": "a", "embedding": np.ones(4)}, "give only one of voice, speaker_wav and embedding"),
        ({"speaker_wav": []}, "speaker_wav lists no recording"),
        ({"speaker_wav": 3}, "speaker_wav must be a path"),
        ({"embedding": np.zeros(4)}, "embedding must be finite and not all zero"),
        ({"embedding": np.ones((2, 3))}, "embedding must be a 1-D vector"),
    ],
)
def test_bad_options_name_the_field(fields, message):
    with pytest.raises(InputError, match=message.replace("(", r"\(")):
        SynthesisOptions(**fields)


def test_values_are_normalised():
    opts = SynthesisOptions(
        noise_scale=np.float32(0.5), length_scale=2, speaker_wav="a.wav", chunk_frames=np.int64(8), seed=3
    )
    assert opts.noise_scale == 0.5 and isinstance(opts.length_scale, float)
    assert opts.speaker_wav == ("a.wav",) and opts.chunk_frames == 8
    emb = SynthesisOptions(embedding=[[1.0, 2.0]]).embedding
    assert emb.shape == (2,) and emb.dtype == np.float32 and not emb.flags.writeable
    schedule = ChunkSchedule(first=3)
    assert SynthesisOptions(chunk_frames=schedule).chunk_frames is schedule


def test_with_replaces_the_voice_source_and_revalidates():
    opts = SynthesisOptions(voice="alice", length_scale=1.2)
    cloned = opts.with_(embedding=np.ones(4))
    assert cloned.voice is None and cloned.embedding is not None and cloned.length_scale == 1.2
    with pytest.raises(InputError, match="length_scale"):
        opts.with_(length_scale=-1)
    with pytest.raises(InputError, match="unknown synthesis option"):
        opts.with_(speed=2)


def test_make_options_ignores_unset_values():
    base = SynthesisOptions(language="fr", sentence_pause=0.5)
    assert make_options(base, language=None, voice=None) is base
    assert make_options(base, sentence_pause=0.0).sentence_pause == 0.0
    assert make_options(None, seed=1).seed == 1
    assert SynthesisOptions(normalize_numbers=False, split_sentences=False).coqui_exact
