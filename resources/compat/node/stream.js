// node:stream for nodejs_compat: readable-stream, the userland copy of Node's own
// streams (unenv ships only stubs, as workerd implements it natively).
import stream from "readable-stream";

export const { Readable, Writable, Duplex, Transform, PassThrough, Stream, pipeline, finished, addAbortSignal,
  compose, isDisturbed, isErrored, isReadable, destroy, duplexPair, getDefaultHighWaterMark,
  setDefaultHighWaterMark } = stream;
export const promises = stream.promises;
export default stream;
