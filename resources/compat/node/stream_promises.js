// node:stream/promises for nodejs_compat (readable-stream).
import stream from "readable-stream";

export const { pipeline, finished } = stream.promises;
export default stream.promises;
