"""HTTP routes, one module per area: Coqui ``tts-server`` (+ MaryTTS), OpenAI speech, voices, system, web page."""
