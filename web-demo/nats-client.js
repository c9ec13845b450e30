// Entry of the browser NATS client the live panel loads: `make demo`
// bundles it with its dependencies (esbuild, from node_modules) into
// build/nats-core.js, an ES module the demo server serves at /vendor/.
export { wsconnect } from "@nats-io/nats-core";
