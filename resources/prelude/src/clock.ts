// The prelude's one clock. Every time a script can observe through the prelude
// (timer deadlines, log stamps, performance.now()/timeOrigin, Event.timeStamp,
// File.lastModified, a cron's default scheduledTime) is read here, so recording
// and replaying time has a single place to hook (tape.ts). Date.now is captured when the
// prelude loads: a script that replaces Date.now does not move the prelude's timers.
import { tapeClock, tapeMode } from "./tape";

const realNow = Date.now;
const sinceOriginLive = (): number => realNow() - timeOrigin;

/** Epoch milliseconds. */
export function now(): number { return tapeMode === 0 ? realNow() : tapeClock("c", realNow); }

/** When this isolate's prelude was loaded (performance.timeOrigin). */
export const timeOrigin = realNow();

/** Milliseconds since timeOrigin (performance.now()). */
export function sinceOrigin(): number { return tapeMode === 0 ? realNow() - timeOrigin : tapeClock("p", sinceOriginLive); }
