// Frames and bytes through client connections, counted where every
// transport passes: plain numbers bumped on the hot path, read by the
// metrics only when scraped.

export class TrafficCounters {
  messagesIn = 0;
  bytesIn = 0;
  messagesOut = 0;
  bytesOut = 0;
  // A broadcast hands the same string to every subscriber: measure it once.
  private lastFrame = '';
  private lastFrameBytes = 0;

  received(frame: string): void {
    this.messagesIn++;
    this.bytesIn += Buffer.byteLength(frame);
  }

  sent(frame: string): void {
    if (frame !== this.lastFrame) {
      this.lastFrame = frame;
      this.lastFrameBytes = Buffer.byteLength(frame);
    }
    this.messagesOut++;
    this.bytesOut += this.lastFrameBytes;
  }
}
