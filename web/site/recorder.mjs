// The microphone through MediaRecorder: start() asks for the microphone (no echo cancellation, noise
// suppression or gain control, which would change the voice), stop() resolves with the recorded Blob.

export class RecorderError extends Error {}

export class MicRecorder {
  constructor() {
    this.recorder = null;
    this.stream = null;
    this.parts = [];
    this.startedAt = 0;
  }

  get recording() {
    return this.recorder?.state === 'recording';
  }

  async start() {
    if (!navigator.mediaDevices?.getUserMedia || !globalThis.MediaRecorder) {
      throw new RecorderError('this browser cannot record from a microphone here (it needs a secure page: https or localhost)');
    }
    try {
      this.stream = await navigator.mediaDevices.getUserMedia({
        audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false, channelCount: 1 },
      });
    } catch (err) {
      throw new RecorderError(`cannot use the microphone: ${err.message || err.name}`);
    }
    this.parts = [];
    this.recorder = new MediaRecorder(this.stream);
    this.recorder.ondataavailable = (event) => {
      if (event.data.size) this.parts.push(event.data);
    };
    this.recorder.start(250);
    this.startedAt = performance.now();
  }

  /** Stop; resolves with {blob, seconds}. */
  stop() {
    return new Promise((resolve) => {
      const recorder = this.recorder;
      recorder.onstop = () => {
        for (const track of this.stream.getTracks()) track.stop();
        resolve({ blob: new Blob(this.parts, { type: recorder.mimeType }), seconds: (performance.now() - this.startedAt) / 1000 });
      };
      recorder.stop();
    });
  }
}
