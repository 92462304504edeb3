// node:string_decoder for nodejs_compat: the string_decoder package (Node core's
// module as a library; unenv has only a stub, as workerd implements it natively).
// Imported by its file path (this folder is copied beside the toolchain's node_modules):
// esbuild's alias of the bare name, and its subpaths, leads to this module.
import sd from "../../node_modules/string_decoder/lib/string_decoder.js";

export const StringDecoder = sd.StringDecoder;
export default { StringDecoder };
