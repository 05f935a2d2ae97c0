"""Default values of the Wyoming server's settings (plain constants: the CLI parser reads them without
importing anything else)."""

DEFAULT_URI = "tcp://127.0.0.1:10200"  # the port Home Assistant's Wyoming integration suggests for TTS
DEFAULT_TIMEOUT = 120.0  # seconds one synthesis (a request, or one sentence of a text stream) may take
DEFAULT_SAMPLES_PER_CHUNK = 1024  # audio-chunk size, as wyoming-piper sends them
DEFAULT_ZEROCONF_NAME = "yourtts-onnx"
DEFAULT_IDLE_TIMEOUT = 60.0  # seconds a connection may send nothing while nothing is being said for it
DEFAULT_MAX_CONNECTIONS = 64  # open client connections; more are told the server is busy and closed
