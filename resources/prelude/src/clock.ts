// The prelude's one clock. Every time a script can observe through the prelude
// (timer deadlines, log stamps, performance.now()/timeOrigin, Event.timeStamp,
// File.lastModified, a cron's default scheduledTime) is read here, so recording
// and replaying time has a single place to hook. Date.now is captured when the
// prelude loads: a script that replaces Date.now does not move the prelude's timers.
const realNow = Date.now;

/** Epoch milliseconds. */
export function now(): number { return realNow(); }

/** When this isolate's prelude was loaded (performance.timeOrigin). */
export const timeOrigin = realNow();

/** Milliseconds since timeOrigin (performance.now()). */
export function sinceOrigin(): number { return realNow() - timeOrigin; }
