// herald/client: never miss an event across a reconnect. Attach it to a
// pusher-js client or a laravel-echo Echo; see README "Never miss an event".
export { attachRecovery, type Recovery, type RecoveryOptions, type ResumeFailureReason, type SerialStorage } from './recovery.js';
export type { EchoShape, PusherShape } from './pusher-shape.js';
export { compareSerials, type Serial } from './serial.js';
