// Edge runtimes (Cloudflare Workers style): the bundler turns the .wasm
// import into a compiled WebAssembly.Module, which init() accepts; no file
// system, no fetch of the module, no eval.
import wasm from "@tenso-go/tenso/tenso.wasm";
import { init, decode, encode } from "@tenso-go/tenso";

export default {
  async fetch(request) {
    await init(wasm);
    const t = decode(new Uint8Array(await request.arrayBuffer()));
    if (t.kind !== "dense" || t.dtype !== "float32") return new Response("want float32", { status: 400 });
    const doubled = t.data.map((x) => 2 * x);
    return new Response(encode({ ...t, data: doubled }), { headers: { "content-type": "application/x-tenso" } });
  },
};
