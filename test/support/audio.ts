// Small synthetic recordings for tests: mono 16-bit PCM WAV (8 kHz unless told) with a seed-dependent
// tone, so every call has different bytes (the simulator derives its conversation from them); amplitude 0
// gives digital silence.
export function makeWav(seconds: number, seed: number, rate = 8000, amplitude = 8000): Uint8Array {
  const samples = Math.round(seconds * rate);
  const buf = Buffer.alloc(44 + samples * 2);
  buf.write('RIFF', 0);
  buf.writeUInt32LE(36 + samples * 2, 4);
  buf.write('WAVE', 8);
  buf.write('fmt ', 12);
  buf.writeUInt32LE(16, 16);
  buf.writeUInt16LE(1, 20); // PCM
  buf.writeUInt16LE(1, 22); // mono
  buf.writeUInt32LE(rate, 24);
  buf.writeUInt32LE(rate * 2, 28);
  buf.writeUInt16LE(2, 32);
  buf.writeUInt16LE(16, 34);
  buf.write('data', 36);
  buf.writeUInt32LE(samples * 2, 40);
  const freq = 200 + (seed % 50) * 10;
  for (let i = 0; i < samples; i++) {
    buf.writeInt16LE(Math.round(amplitude * Math.sin((2 * Math.PI * freq * i) / rate)), 44 + i * 2);
  }
  return new Uint8Array(buf);
}
